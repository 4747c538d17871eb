"""What every generative augmenter shares: conditioned draws, contract, hit rate, save/load.

A generative augmenter fits one model on all classes (conditioned on the label) or one
model per class (``per_class=True`` on CTGAN and CopulaGAN; TVAE and the Gaussian copula
always are), then draws rows *for* the class it is asked for. :class:`BaseAugmenter`
turns the draws into exact counts (validity rules, duplicate rejection, bounded retries);
this module adds what the base has no notion of:

- the class hit rate of the raw generator output (``hit_rate_``): rows a conditioned
  generator produced with another label are dropped, counted, and replaced;
- a data ``contract``, a callable ``(DataFrame) -> bool mask of valid rows``, applied after
  the validity rules; failing rows are regenerated like any other rejected row;
- :meth:`~_GenerativeAugmenter.sample` to draw from a fitted or loaded generator without
  refitting, and ``save``/``load`` (see each augmenter for the files it writes);
- :func:`add_provenance`, the ``is_synthetic``/``augmenter`` columns of a resampled frame;
- ``threads``: torch's intra-op threads while fitting and sampling (default 1), set
  with :func:`torch_threads` and restored afterwards. These networks are small: on a few
  cores, synchronising threads costs more than they gain (docs/augment.md has numbers).
"""

from __future__ import annotations

import json
import logging
import math
import numbers
import warnings
from abc import abstractmethod
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from iotforge.curation.errors import TooLittleDataError
from iotforge.curation.schema import AUGMENTER, IS_SYNTHETIC
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseAugmenter, Constraints, apply_constraints, row_keys
from ._ctgan_core import resolve_device

__all__ = ["add_provenance", "torch_threads"]

logger = logging.getLogger(__name__)

_FORMAT = "iotforge-generator"
_FORMAT_VERSION = 1
_LABEL = "__label__"
_MAX_DRAW_FACTOR = 50  # never draw more than 50x the missing rows in one round
MIN_FIT_ROWS = 2
"""Fewest rows of a class a per-class model is fitted on: the mode-specific normalisation
of CTGAN, TVAE and CopulaGAN fits a Bayesian Gaussian mixture per numeric column, which
needs two rows. A smaller class gets copies of its row, which duplicate rejection turns
into jittered copies (``BaseAugmenter._jitter_copies``), as the SMOTE family does with
classes too small to interpolate."""

Contract = Callable[[pd.DataFrame], Any]
"""A data contract: ``(rows) -> boolean mask, True for valid rows``."""


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` torch intra-op threads, then restore the previous number.

    ``None`` leaves torch's setting as it is. The process-wide setting is changed for
    the block, so two fits in threads of one process share it.

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


class _GenerativeAugmenter(BaseAugmenter):
    """Shared machinery of the generator-backed augmenters (not public)."""

    _parameter_constraints: dict = {
        **BaseAugmenter._parameter_constraints,
        "device": [StrOptions({"auto", "cpu", "cuda"})],
        "contract": [callable, None],
        "threads": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    #: The method name recorded in the ``augmenter`` provenance column.
    method_name: str = "generative"

    @property
    def _class_local(self) -> bool:  # type: ignore[override]
        """One model per class (``per_class``; always so without that parameter)."""
        return bool(getattr(self, "per_class", True))

    # -- hooks of the concrete augmenters --------------------------------------------
    @abstractmethod
    def _fit_models(
        self, X: pd.DataFrame, y: np.ndarray, classes: list[Hashable], seed: int
    ) -> None:
        """Fit the generator(s) on ``X`` (internal column names ``f0..fk``) and ``y``."""

    @abstractmethod
    def _draw(self, target_class: Hashable, n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
        """``n`` raw rows (internal names) for ``target_class`` and their label-hit mask."""

    def _drawable_classes(self) -> list[Hashable]:
        """Classes with a fitted model (default: every training class)."""
        return list(self.classes_)

    def _can_draw(self, target_class: Hashable) -> bool:
        return any(target_class == c for c in self._drawable_classes())

    # -- BaseAugmenter hooks ----------------------------------------------------------
    def _prepare(self, X: pd.DataFrame, y: np.ndarray, random_state: int) -> None:
        self.device_ = str(resolve_device(self.device))
        self.columns_ = list(X.columns)
        self.classes_ = np.unique(y)
        self.train_keys_ = row_keys(X) if self.reject_duplicates else np.zeros(0, np.uint64)
        self._reset_counters()
        classes = [c for c, n in self.sampling_strategy_.items() if n > 0]
        counts = pd.Series(np.asarray(y, dtype=object)).value_counts()
        small = [c for c in classes if counts.get(c, 0) < MIN_FIT_ROWS]
        self.unfitted_classes_ = small if self._class_local else []
        for c in self.unfitted_classes_:
            warnings.warn(
                f"{type(self).__name__}: class {c!r}: {counts.get(c, 0)} training row(s), too "
                f"few to fit a model of its own (needs {MIN_FIT_ROWS}); its synthetic rows "
                "are jittered copies",
                UserWarning,
                stacklevel=5,
            )
        fitted = [c for c in classes if c not in self.unfitted_classes_]
        self._fit_models(self._internal(X), y, fitted, random_state)

    def _generate_class(
        self, X: pd.DataFrame, y: np.ndarray, target_class: Hashable, n: int, random_state: int
    ) -> pd.DataFrame:
        if target_class in self.unfitted_classes_:  # copies: rejected, then jittered
            rows = X.loc[np.asarray(y) == target_class]
            return rows.iloc[np.arange(n) % len(rows)].reset_index(drop=True)
        return self._draw_valid(target_class, n, random_state)

    def _resample(self, X: pd.DataFrame, y: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        with torch_threads(self.threads):
            X_res, y_res = super()._resample(X, y)
        self._finish_report()
        return X_res, y_res

    # -- drawing ----------------------------------------------------------------------
    def _reset_counters(self) -> None:
        self._counts: dict[Hashable, list[int]] = {}  # class -> [drawn, hits]
        self._contract_rejected = 0
        self._returned = 0

    def _internal(self, X: pd.DataFrame) -> pd.DataFrame:
        frame = X.copy()
        frame.columns = [f"f{i}" for i in range(X.shape[1])]
        for i, col in enumerate(X.columns):
            if col in self.categorical_features_:
                frame[f"f{i}"] = X[col].astype(object)  # ctgan/SDV reject category dtype
        return frame

    def _draw_valid(self, target_class: Hashable, n: int, seed: int) -> pd.DataFrame:
        """About ``n`` rows of ``target_class`` that hit the label and pass the contract."""
        drawn, hits = self._counts.setdefault(target_class, [0, 0])
        hit_rate = hits / drawn if drawn else 1.0
        factor = min(1.0 / max(hit_rate, 1.0 / _MAX_DRAW_FACTOR), _MAX_DRAW_FACTOR)
        m = max(int(math.ceil(n * factor * 1.05)), n + 2)
        raw, hit = self._draw(target_class, m, seed)
        self._counts[target_class] = [drawn + len(raw), hits + int(hit.sum())]
        rows = raw.loc[hit].reset_index(drop=True)
        rows.columns = self.columns_
        if self.contract is not None and len(rows):
            rows, _ = apply_constraints(rows, self.constraints_, clip=self.constrain)
            ok = np.asarray(self.contract(rows), dtype=bool)
            if ok.shape != (len(rows),):
                raise ValueError(
                    f"contract: expected a boolean mask of {len(rows)} rows, found shape "
                    f"{ok.shape}"
                )
            self._contract_rejected += int((~ok).sum())
            rows = rows.loc[ok].reset_index(drop=True)
        self._returned += len(rows)
        return rows

    def _finish_report(self) -> None:
        self.hit_rate_ = {c: (h / d if d else float("nan")) for c, (d, h) in self._counts.items()}
        base_rejected = self.reject_rate_ * self._returned
        generated = self._returned + self._contract_rejected
        rejected = base_rejected + self._contract_rejected
        self.reject_rate_ = float(rejected / generated) if generated else 0.0
        self.n_contract_rejected_ = self._contract_rejected

    # -- public API -------------------------------------------------------------------
    def sample(
        self, n_per_class: Mapping[Hashable, int], *, random_state: Any = None
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """Draw exactly ``n_per_class[c]`` valid, new rows of each class ``c``.

        Uses the fitted (or loaded) generators without refitting, with the same validity
        rules, contract and duplicate rejection as ``fit_resample``. Sets ``hit_rate_`` to
        the hit rates of this call's draws.

        Returns
        -------
        X_syn : pandas.DataFrame
            The synthetic rows, with the training columns and dtypes.
        y_syn : numpy.ndarray
            Their classes.
        """
        with torch_threads(self.threads):
            return self._sample(n_per_class, random_state)

    def _sample(
        self, n_per_class: Mapping[Hashable, int], random_state: Any
    ) -> tuple[pd.DataFrame, np.ndarray]:
        rng = check_random_state(random_state)
        self._reset_counters()
        frames: list[pd.DataFrame] = []
        labels: list[np.ndarray] = []
        seen = self.train_keys_
        for c, n in n_per_class.items():
            if not isinstance(n, numbers.Integral) or n < 0:
                raise ValueError(f"expected a row count >= 0 for class {c!r}, found {n!r}")
            if n and not self._can_draw(c):
                raise ValueError(
                    f"expected a class this augmenter has a model for "
                    f"({self._drawable_classes()}), found {c!r}"
                )
            got: list[pd.DataFrame] = []
            need = int(n)
            for _ in range(self.max_retries + 1):
                if need <= 0:
                    break
                rows = self._draw_valid(c, need, int(rng.randint(np.iinfo(np.int32).max)))
                rows, bad = apply_constraints(rows, self.constraints_, clip=self.constrain)
                if self.reject_duplicates:
                    bad |= np.isin(row_keys(rows), seen)
                rows = rows.loc[~bad].iloc[:need]
                got.append(rows)
                need -= len(rows)
            if need > 0:
                raise TooLittleDataError(
                    f"expected {n} synthetic rows of class {c!r}, found {n - need} after "
                    f"{self.max_retries} retries",
                    hint="raise max_retries or epochs, or loosen the contract",
                )
            frames.extend(got)
            labels.append(np.full(int(n), c, dtype=self.classes_.dtype))
        self.hit_rate_ = {c: (h / d if d else float("nan")) for c, (d, h) in self._counts.items()}
        X_syn = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            {c: pd.Series(dtype=t) for c, t in self.constraints_.dtypes.items()}
        )
        return X_syn, (np.concatenate(labels) if labels else self.classes_[:0])

    # -- persistence ------------------------------------------------------------------
    def _common_meta(self) -> dict[str, Any]:
        c = self.constraints_
        params = {
            k: v for k, v in self.get_params().items() if k not in {"contract", "sampling_strategy"}
        }
        return {
            "format": _FORMAT,
            "format_version": _FORMAT_VERSION,
            "augmenter": type(self).__name__,
            "params": {k: _json_param(v) for k, v in params.items()},
            "columns": [_jsonable(col) for col in self.columns_],
            "dtypes": [str(t) for t in c.dtypes],
            "dtype_categories": {
                str(i): [_jsonable(v) for v in t.categories]
                for i, t in enumerate(c.dtypes)
                if isinstance(t, pd.CategoricalDtype)
            },
            "categories": {
                str(self.columns_.index(col)): [_jsonable(v) for v in idx]
                for col, idx in c.categories.items()
            },
            "lower": [c.lower.get(col) for col in self.columns_],
            "upper": [c.upper.get(col) for col in self.columns_],
            "integer": [self.columns_.index(col) for col in c.integer],
            "classes": [_jsonable(v) for v in self.classes_],
            "classes_dtype": str(self.classes_.dtype),
            "hit_rate": [[_jsonable(k), v] for k, v in getattr(self, "hit_rate_", {}).items()],
            "device": self.device_,
        }

    def _restore_common(self, meta: dict[str, Any], train_keys: np.ndarray) -> None:
        if meta.get("format") != _FORMAT or meta.get("augmenter") != type(self).__name__:
            raise ValueError(
                f"expected a {type(self).__name__} saved by iotforge, found "
                f"{meta.get('augmenter')!r} (format {meta.get('format')!r})"
            )
        self.columns_ = list(meta["columns"])
        dtypes = []
        for i, name in enumerate(meta["dtypes"]):
            cats = meta["dtype_categories"].get(str(i))
            # pandas_dtype, not np.dtype: pandas 3 names string columns "str"
            dtypes.append(
                pd.CategoricalDtype(cats) if cats is not None else pd.api.types.pandas_dtype(name)
            )
        categories = {self.columns_[int(i)]: pd.Index(v) for i, v in meta["categories"].items()}
        self.constraints_ = Constraints(
            pd.Series(dtypes, index=self.columns_, dtype=object),
            {col: v for col, v in zip(self.columns_, meta["lower"], strict=True) if v is not None},
            {col: v for col, v in zip(self.columns_, meta["upper"], strict=True) if v is not None},
            frozenset(self.columns_[i] for i in meta["integer"]),
            categories,
        )
        self.categorical_features_ = list(categories)
        self.classes_ = np.asarray(meta["classes"], dtype=meta["classes_dtype"])
        self.hit_rate_ = {k: v for k, v in meta["hit_rate"]}
        self.train_keys_ = train_keys
        self.device_ = str(resolve_device(self.device))
        self.n_features_in_ = len(self.columns_)
        self._reset_counters()


def _json_param(value: Any) -> Any:
    """A parameter as JSON; a RandomState instance (not serialisable) becomes None."""
    value = _jsonable(value)
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return None


def add_provenance(X_resampled: pd.DataFrame, sampler: Any) -> pd.DataFrame:
    """Append ``is_synthetic`` (bool) and ``augmenter`` (method name) to a resampled frame.

    Parameters
    ----------
    X_resampled : pandas.DataFrame
        The ``X`` that ``sampler.fit_resample`` returned (real rows, then synthetic).
    sampler
        The fitted augmenter; its ``synthetic_mask_`` marks the synthetic rows.

    Returns
    -------
    pandas.DataFrame
        A copy with the two columns; ``augmenter`` is empty for real rows.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> class Fitted:
    ...     method_name = "ctgan"
    ...     synthetic_mask_ = np.array([False, True])
    >>> add_provenance(pd.DataFrame({"x": [1, 2]}), Fitted()).to_dict("list")
    {'x': [1, 2], 'is_synthetic': [False, True], 'augmenter': ['', 'ctgan']}
    """
    mask = np.asarray(getattr(sampler, "synthetic_mask_", None), dtype=bool)
    if mask.shape != (len(X_resampled),):
        raise ValueError(
            f"expected a fitted sampler whose synthetic_mask_ has {len(X_resampled)} rows, "
            f"found {mask.shape}; pass the frame fit_resample returned"
        )
    name = getattr(sampler, "method_name", None) or type(sampler).__name__
    out = X_resampled.copy()
    out[IS_SYNTHETIC] = mask
    out[AUGMENTER] = np.where(mask, name, "")
    return out


def read_meta(path: str | Path) -> dict[str, Any]:
    """The ``meta.json`` of a saved generator directory."""
    file = Path(path) / "meta.json"
    if not file.is_file():
        raise FileNotFoundError(
            f"expected a saved generator directory with meta.json, found {path}"
        )
    meta: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    return meta


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so a crash leaves no half file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
