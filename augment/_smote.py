"""The SMOTE family and random over-sampling, wrapped for mixed tables and exact counts.

Every class here delegates the generation to imbalanced-learn and adds what the raw
library lacks for IoT captures:

- **Mixed types.** Categorical columns are encoded once per fit: as integer codes for
  SMOTENC/SMOTEN/RandomOverSampler, as one-hot blocks (scaled like SMOTENC does) for the
  variants that only know numbers (Borderline, SVM, ADASYN, KMeans); a one-hot block is
  decoded by its largest entry, so only categories seen in training come out.
- **Tiny classes.** ``k_neighbors`` adapts per class: ``k = min(k, n_c - 1)``. A class
  with one or two rows cannot be interpolated; it gets random over-sampling with Gaussian
  jitter on the numeric columns (``jitter`` times the column's training standard
  deviation), and a :class:`UserWarning`.
- **Exact counts.** ADASYN rounds per-sample counts, Borderline-SMOTE makes nothing when
  no row is "in danger", SVM-SMOTE and KMeans-SMOTE may find no support vector or
  cluster to work with. A surplus is trimmed at random (by the base class); a shortfall
  is topped up with plain SMOTE on the same class and encoding (per class in
  ``topped_up_``, in total in ``n_topped_up_``); a variant that raises for a class falls
  back to plain SMOTE for that class with a warning, and ``fallbacks_`` records the class
  and the reason (as it does for the jitter fallback of tiny classes).
"""

from __future__ import annotations

import logging
import numbers
import warnings
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC
from sklearn.utils._param_validation import Interval, InvalidParameterError

from ._base import BaseAugmenter
from ._typing import SmoteVariant

__all__ = ["Encoded", "SMOTEAugmenter"]

logger = logging.getLogger(__name__)

_MIN_INTERPOLATION_ROWS = 3  # one or two rows: jitter fallback (module docstring)


class Encoded:
    """A table as the float matrix imbalanced-learn needs, and the way back."""

    def __init__(self, X: pd.DataFrame, categorical: list[Hashable], mode: str) -> None:
        self.columns = list(X.columns)
        self.numeric = [c for c in self.columns if c not in categorical]
        self.categorical = [c for c in self.columns if c in categorical]
        self.mode = mode
        num = X[self.numeric].to_numpy(dtype=float)
        self.std = num.std(axis=0) if num.size else np.zeros(0)
        self.uniques, blocks = {}, [num]
        scale = float(np.median(self.std)) if self.std.size and np.median(self.std) > 0 else 1.0
        for col in self.categorical:
            codes, uniques = pd.factorize(X[col])
            self.uniques[col] = pd.Index(uniques)
            if mode == "codes":
                blocks.append(codes[:, None].astype(float))
            else:
                blocks.append((codes[:, None] == np.arange(len(uniques))) * scale)
        self.Z = np.hstack(blocks) if blocks else np.zeros((len(X), 0))
        n_num = len(self.numeric)
        self.cat_idx = list(range(n_num, n_num + len(self.categorical))) if mode == "codes" else []

    def decode(self, Z: np.ndarray) -> pd.DataFrame:
        pos = len(self.numeric)
        frame = pd.DataFrame(Z[:, :pos], columns=self.numeric)  # one block: cheap
        if not self.categorical:
            return frame if self.columns == self.numeric else frame[self.columns]
        out = {c: frame[c] for c in self.numeric}
        for col in self.categorical:
            k = len(self.uniques[col])
            if self.mode == "codes":
                codes = np.clip(np.rint(Z[:, pos]), 0, k - 1).astype(int)
                pos += 1
            else:
                codes = Z[:, pos : pos + k].argmax(axis=1)
                pos += k
            out[col] = self.uniques[col].take(codes)
        return pd.DataFrame(out, columns=self.columns)


def _seed(rng: np.random.RandomState) -> int:
    return int(rng.randint(np.iinfo(np.int32).max))


class _ImblearnAugmenter(BaseAugmenter):
    """Shared engine: encode once, call imbalanced-learn per k-group, fix the counts."""

    _stop_when_stalled = True  # the next round would interpolate the same copies

    _encoding = "onehot"
    _min_rows = _MIN_INTERPOLATION_ROWS

    _parameter_constraints: dict = {
        **BaseAugmenter._parameter_constraints,
        "k_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "jitter": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def _make_sampler(self, strategy: dict, k: int, seed: int) -> Any:
        """The imbalanced-learn sampler for target counts ``strategy`` and ``k`` neighbours."""
        raise NotImplementedError

    @property
    def _k(self) -> int:
        return int(self.k_neighbors)

    def _prepare(self, X: pd.DataFrame, y: np.ndarray, random_state: int) -> None:
        self.encoded_ = Encoded(X, self.categorical_features_, self._encoding)
        # imbalanced-learn sees integer codes: np.unique on string labels is what costs
        self._y_codes = self._label_codes
        self._counts = dict(self._label_counts)
        self._code = {c: i for i, c in enumerate(self._label_counts)}
        self.n_topped_up_ = 0
        self.topped_up_: dict[Hashable, int] = {}
        self.fallbacks_: dict[Hashable, str] = {}

    def _generate_class(
        self, X: pd.DataFrame, y: np.ndarray, target_class: Hashable, n: int, random_state: int
    ) -> pd.DataFrame:
        return self._generate(X, y, {target_class: n}, random_state)[target_class]

    def _generate(
        self, X: pd.DataFrame, y: np.ndarray, n_per_class: dict[Hashable, int], random_state: int
    ) -> dict[Hashable, pd.DataFrame]:
        rng = np.random.RandomState(random_state)
        groups: dict[int, dict[Hashable, int]] = {}
        out: dict[Hashable, np.ndarray] = {}
        for c, n in n_per_class.items():
            n_c = self._counts[c]
            if n_c < self._min_rows:
                out[c] = self._jitter(y, c, n, rng)
            else:
                groups.setdefault(min(self._k, n_c - 1), {})[c] = n
        for k, need in groups.items():
            out.update(self._run_group(y, need, k, rng))
        return {c: self.encoded_.decode(Z) for c, Z in out.items()}

    def _run_group(
        self, y: np.ndarray, need: dict[Hashable, int], k: int, rng: np.random.RandomState
    ) -> dict[Hashable, np.ndarray]:
        try:
            seed = _seed(rng)
            new_Z, new_y = self._call(self._make_sampler(self._targets(need), k, seed), y)
        except InvalidParameterError:
            raise
        except (RuntimeError, ValueError) as exc:
            if len(need) > 1:  # find the class that fails; keep the others
                out: dict[Hashable, np.ndarray] = {}
                for c, n in need.items():
                    out.update(self._run_group(y, {c: n}, k, rng))
                return out
            (c,) = need
            reason = (
                f"plain SMOTE (k_neighbors={k}): {type(self).__name__.removesuffix('Augmenter')}"
                f" raised {type(exc).__name__}: {exc}"
            )
            warnings.warn(
                f"{type(self).__name__}: class {c!r}: {exc} Falling back to plain SMOTE "
                f"(k_neighbors={k}) for this class.",
                UserWarning,
                stacklevel=2,
            )
            self.fallbacks_[c] = reason
            new_Z, new_y = self._call(self._plain_smote(self._targets(need), k, _seed(rng)), y)
        out = {c: new_Z[new_y == self._code[c]] for c in need}
        short = {c: n - len(out[c]) for c, n in need.items() if len(out[c]) < n}
        if short:  # variants that under-deliver by design: top up with plain SMOTE
            logger.info("%s: topping up %s with SMOTE", type(self).__name__, short)
            top_Z, top_y = self._call(self._plain_smote(self._targets(short), k, _seed(rng)), y)
            for c in short:
                out[c] = np.vstack([out[c], top_Z[top_y == self._code[c]]])
                self.topped_up_[c] = self.topped_up_.get(c, 0) + short[c]
            self.n_topped_up_ += sum(short.values())
        return out

    def _targets(self, need: dict[Hashable, int]) -> dict[int, int]:
        """Target counts keyed by class code, the form imbalanced-learn is called with."""
        return {self._code[c]: self._counts[c] + n for c, n in need.items()}

    def _plain_smote(self, strategy: dict[int, int], k: int, seed: int) -> Any:
        enc = self.encoded_
        if enc.mode == "codes" and enc.categorical:
            if not enc.numeric:
                return SMOTEN(sampling_strategy=strategy, k_neighbors=k, random_state=seed)
            return SMOTENC(
                categorical_features=enc.cat_idx,
                sampling_strategy=strategy,
                k_neighbors=k,
                random_state=seed,
            )
        return SMOTE(sampling_strategy=strategy, k_neighbors=k, random_state=seed)

    def _call(self, sampler: Any, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Z = self.encoded_.Z
        Z_res, y_res = sampler.fit_resample(Z, self._y_codes)
        return np.asarray(Z_res[len(Z) :], dtype=float), np.asarray(y_res[len(Z) :])

    def _jitter(self, y: np.ndarray, c: Hashable, n: int, rng: np.random.RandomState) -> np.ndarray:
        warnings.warn(
            f"{type(self).__name__}: class {c!r} has {self._counts[c]} row(s), too few "
            f"to interpolate; adding {n} jittered copies (jitter={self.jitter} x column std)",
            UserWarning,
            stacklevel=2,
        )
        self.fallbacks_[c] = "jitter"
        enc = self.encoded_
        rows = enc.Z[self._y_codes == self._code[c]][rng.randint(self._counts[c], size=n)]
        n_num = len(enc.numeric)
        rows[:, :n_num] += rng.normal(size=(n, n_num)) * (self.jitter * enc.std)
        return rows


class SMOTEAugmenter(_ImblearnAugmenter):
    """SMOTE, SMOTENC or SMOTEN, chosen from the column types, with exact counts.

    No categorical column: :class:`imblearn.over_sampling.SMOTE`; all categorical:
    ``SMOTEN``; mixed: ``SMOTENC``. The choice is in ``variant_``. Use it as the default
    interpolating augmenter: fast, no training, good for classes with a few dozen rows.

    Parameters
    ----------
    sampling_strategy, random_state, categorical_features, constrain, reject_duplicates, \
max_retries
        See :class:`iotforge.augment.BaseAugmenter`.
    k_neighbors : int, default=5
        Neighbours to interpolate with; per class ``min(k_neighbors, n_c - 1)``.
    jitter : float, default=0.05
        Noise (times the column's standard deviation) for classes of one or two rows.

    Attributes
    ----------
    fallbacks_ : dict
        Class -> why its rows come from another method than asked: ``'jitter'`` (one or
        two rows), or ``'plain SMOTE ...'`` with what the variant raised.
    topped_up_ : dict
        Class -> rows plain SMOTE generated where the variant made too few (per fit);
        ``n_topped_up_`` is their sum.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"bytes": range(40), "proto": ["tcp", "udp"] * 20})
    >>> y = ["normal"] * 36 + ["scan"] * 4
    >>> aug = SMOTEAugmenter(sampling_strategy="floor:10", random_state=0)
    >>> X_res, y_res = aug.fit_resample(X, y)
    >>> aug.variant_, aug.n_synthetic_
    ('SMOTENC', {'normal': 0, 'scan': 6})
    >>> X_res.dtypes.astype(str).tolist()
    ['int64', 'object']
    """

    _encoding = "codes"
    _class_local = True  # interpolates between k neighbours within the class

    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        random_state: Any = None,
        categorical_features: Any = "auto",
        constrain: bool = True,
        reject_duplicates: bool = True,
        max_retries: int = 10,
        k_neighbors: int = 5,
        jitter: float = 0.05,
    ) -> None:
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            categorical_features=categorical_features,
            constrain=constrain,
            reject_duplicates=reject_duplicates,
            max_retries=max_retries,
        )
        self.k_neighbors = k_neighbors
        self.jitter = jitter

    @property
    def variant_(self) -> SmoteVariant:
        """Which imbalanced-learn SMOTE the data called for."""
        enc = self.encoded_
        if not enc.categorical:
            return "SMOTE"
        return "SMOTEN" if not enc.numeric else "SMOTENC"

    def _make_sampler(self, strategy: dict, k: int, seed: int) -> Any:
        return self._plain_smote(strategy, k, seed)
