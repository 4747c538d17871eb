"""The base class of every augmenter, and the validity rules synthetic rows obey.

:class:`BaseAugmenter` is an imbalanced-learn over-sampler. It does, once for every
augmenter: input validation and type round-trip (DataFrame, array, list, sparse in; the
same type out, with column names, dtypes and categories kept) and ``sampling_strategy``
resolution into exact numbers of rows to add per class, in imbalanced-learn's
``_check_X_y``/``_fit_resample`` hooks (:mod:`iotforge.augment._sampler`), categorical-column
detection,
the validity rules below, duplicate rejection with bounded retries, and the fitted
report (``n_synthetic_``, ``synthetic_mask_``, ``reject_rate_``). A subclass writes
``__init__`` and one generation hook, ``_generate_class`` (or ``_generate`` when it makes
several classes in one pass).

Validity rules (:func:`learn_constraints`, :func:`apply_constraints`), learned from the
training rows and applied to every synthetic row:

- numeric values are clipped to the training range of their column (so counts that were
  never negative stay non-negative);
- integer-valued columns (integer dtype, or floats that are all whole numbers in
  training) are rounded;
- columns whose name says ``port`` are rounded and kept in 0..65535;
- a categorical value never seen in training, or a missing value, makes the row invalid.

Invalid rows and rows identical to a training row (on all feature columns) are rejected
and regenerated, at most ``max_retries`` times, so counts stay exact; a class stops being
regenerated after a round that added none of its rows (``stalled_classes_``) by the
interpolating samplers (the SMOTE family, random over-sampling: ``_stop_when_stalled``),
whose next round would repeat the same copies (SMOTEN on all-categorical rows): its rows are
then made new by a little noise or kept as copies with a warning. A generator's next round
draws from the model afresh, so it keeps its retries.
"""

from __future__ import annotations

import logging
import numbers
import re
import warnings
from abc import abstractmethod
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from iotforge.curation.errors import TooLittleDataError
from iotforge.curation.rules._hash import frame_hash
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._columns import _categorical_columns
from ._sampler import _FrameSampler
from ._strategies import SAMPLING_STRATEGY_CONSTRAINTS, resolve_sampling_strategy

__all__ = [
    "BaseAugmenter",
    "Constraints",
    "apply_constraints",
    "learn_constraints",
    "resolve_sampling_strategy",
    "row_keys",
]

logger = logging.getLogger(__name__)

_PORT = re.compile(r"(?:^|[^a-z])(?:[sd]|src|dst|source|dest|destination)?[ _.]?port(?:$|[^a-z])")
_PORT_MAX = 65535


def row_keys(X: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row over all columns (equal rows, equal keys: the row hash of
    :func:`iotforge.curation.rules.frame_hash`, so -0.0 is 0.0 and numbers compare by value)."""
    if X.shape[1] == 0:
        return np.zeros(len(X), dtype=np.uint64)
    return frame_hash(X)


@dataclass(frozen=True)
class Constraints:
    """What a valid row looks like, learned from training rows."""

    dtypes: pd.Series
    lower: dict[Hashable, float] = field(default_factory=dict)
    upper: dict[Hashable, float] = field(default_factory=dict)
    integer: frozenset[Hashable] = frozenset()
    categories: dict[Hashable, pd.Index] = field(default_factory=dict)


def learn_constraints(X: pd.DataFrame, categorical: Sequence[Hashable]) -> Constraints:
    """Learn ranges, integer columns and seen categories from training rows ``X``.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"dst_port": [80, 443], "bytes": [0.0, 12.0], "proto": ["tcp", "udp"]})
    >>> c = learn_constraints(X, ["proto"])
    >>> sorted(c.integer), c.upper["dst_port"]
    (['bytes', 'dst_port'], 443.0)
    """
    lower, upper, integer, categories = {}, {}, set(), {}
    for col in X.columns:
        s = X[col]
        if col in categorical:
            categories[col] = pd.Index(s.dropna().unique())
            continue
        values = s.to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-np.inf, np.inf)
        if _PORT.search(str(col).lower()):
            lo, hi = max(lo, 0.0), min(hi, float(_PORT_MAX))
            integer.add(col)
        if s.dtype.kind in "iu" or (finite.size and np.all(finite == np.round(finite))):
            integer.add(col)
        lower[col], upper[col] = lo, hi
    return Constraints(X.dtypes, lower, upper, frozenset(integer), categories)


def apply_constraints(
    rows: pd.DataFrame, constraints: Constraints, *, clip: bool = True
) -> tuple[pd.DataFrame, np.ndarray]:
    """Repair what can be repaired, cast to training dtypes, and flag invalid rows.

    Returns the repaired rows and a boolean mask of rows that stay invalid (a missing
    value, or a category never seen in training). With ``clip=False`` only the rounding
    that integer dtypes need is done.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"port": [22, 80], "proto": ["tcp", "udp"]})
    >>> c = learn_constraints(train, ["proto"])
    >>> rows = pd.DataFrame({"port": [79.6, 9e9], "proto": ["tcp", "icmp"]})
    >>> fixed, invalid = apply_constraints(rows, c)
    >>> fixed["port"].tolist(), invalid.tolist()
    ([80, 80], [False, True])
    """
    rows = rows.reset_index(drop=True)
    invalid = rows.isna().to_numpy().any(axis=1)
    out = {}
    for col, dtype in constraints.dtypes.items():
        s = rows[col]
        if col in constraints.categories:
            seen = constraints.categories[col]
            known = s.isin(seen).to_numpy()
            invalid |= ~known  # an unseen category has no place in the training dtype
            out[col] = s.where(known, seen[0]).astype(dtype)
            continue
        values = s.to_numpy(dtype=float, na_value=np.nan).copy()
        if clip:
            np.clip(values, constraints.lower[col], constraints.upper[col], out=values)
        if col in constraints.integer or dtype.kind in "iu":
            values = np.round(values)
        values[np.isnan(values)] = 0.0  # flagged invalid above; keeps the integer cast legal
        out[col] = pd.Series(values).astype(dtype)
    return pd.DataFrame(out, columns=constraints.dtypes.index), invalid


class BaseAugmenter(_FrameSampler):
    """Base class of all iotforge augmenters (an imbalanced-learn over-sampler).

    Parameters
    ----------
    sampling_strategy : float, str, dict, callable or SkewStrategy, default='auto'
        imbalanced-learn forms, plus skew-preserving strategies
        (:class:`~iotforge.augment.Floor`, :class:`~iotforge.augment.Power`,
        :class:`~iotforge.augment.Scale`) and
        their shorthands ``'floor:0.05'``, ``'power:0.5'``, ``'scale:3'``.
    random_state : int, RandomState instance or None, default=None
        The one randomness knob; every child seed derives from it.
    categorical_features : 'auto' or list of str or int, default='auto'
        Categorical columns; object, category and bool columns always are.
    constrain : bool, default=True
        Apply the validity rules of this module to synthetic rows.
    reject_duplicates : bool, default=True
        Reject synthetic rows equal to a training row and generate replacements.
    max_retries : int, default=10
        Regeneration rounds for rejected rows. When rows are still missing after them,
        duplicates are kept with a warning, or :class:`TooLittleDataError` is raised if
        even those are missing.

    Attributes
    ----------
    sampling_strategy_ : dict
        Class -> number of rows to add.
    n_synthetic_ : dict
        Class -> number of synthetic rows in the output.
    synthetic_mask_ : ndarray of bool
        True for output rows that are synthetic (mark them ``is_synthetic``).
    categorical_features_ : list
        Column labels treated as categorical.
    constraints_ : Constraints
        The validity rules learned from the training rows.
    reject_rate_ : float
        Rejected / generated synthetic rows (invalid or duplicate).
    n_duplicates_kept_ : int
        Duplicate rows kept because retries ran out.
    n_jittered_ : int
        Copies of training rows made new by a little noise (see ``_jitter_copies``).
    stalled_classes_ : list
        Classes whose regeneration stopped early: a round added none of their rows.

    Every ``fit`` and ``fit_resample`` starts by dropping the fitted attributes of the
    previous one: two fits on the same data with the same ``random_state`` leave the
    same state, whatever came before.
    """

    _stop_when_stalled: ClassVar[bool] = False
    """Stop regenerating a class after a round that added none of its rows."""

    #: Whether a class's synthetic rows depend on that class's rows only (and the
    #: shared validity rules), so that ``augment_table`` may make each class as its own
    #: task with its own seed. False for neighbourhood-based and hybrid methods.
    _class_local: bool = False

    _parameter_constraints: dict = {
        "sampling_strategy": SAMPLING_STRATEGY_CONSTRAINTS,
        "random_state": ["random_state"],
        "categorical_features": [StrOptions({"auto"}), "array-like"],
        "constrain": ["boolean"],
        "reject_duplicates": ["boolean"],
        "max_retries": [Interval(numbers.Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        random_state: Any = None,
        categorical_features: Any = "auto",
        constrain: bool = True,
        reject_duplicates: bool = True,
        max_retries: int = 10,
    ) -> None:
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.categorical_features = categorical_features
        self.constrain = constrain
        self.reject_duplicates = reject_duplicates
        self.max_retries = max_retries

    # -- the hooks a subclass writes --------------------------------------------------
    def _prepare(self, X: pd.DataFrame, y: np.ndarray, random_state: int) -> None:
        """Fit what every class shares, once per ``fit_resample`` (default: nothing)."""

    @abstractmethod
    def _generate_class(
        self, X: pd.DataFrame, y: np.ndarray, target_class: Hashable, n: int, random_state: int
    ) -> pd.DataFrame:
        """Return about ``n`` new rows of ``target_class`` with the columns of ``X``.

        Called again for the same class, with a fresh seed and the missing count, when
        rows were rejected: cache per-class models (e.g. in a dict set in ``_prepare``)
        instead of refitting. Fewer or more rows than ``n`` are fine: the base class
        regenerates the shortfall and trims a surplus at random.
        """

    def _generate(
        self, X: pd.DataFrame, y: np.ndarray, n_per_class: dict[Hashable, int], random_state: int
    ) -> dict[Hashable, pd.DataFrame]:
        """Rows for several classes; override when one pass makes all of them."""
        seeds = np.random.RandomState(random_state).randint(
            np.iinfo(np.int32).max, size=len(n_per_class)
        )
        return {
            c: self._generate_class(X, y, c, n, int(s))
            for (c, n), s in zip(n_per_class.items(), seeds, strict=True)
        }

    # -- the frame-level hook of _FrameSampler ----------------------------------------
    def _resample(self, X: pd.DataFrame, y: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        random_state = check_random_state(self.random_state)
        categorical = _categorical_columns(X, self.categorical_features)
        self.categorical_features_ = categorical
        self.constraints_ = learn_constraints(X, categorical)
        self._prepare(X, y, int(random_state.randint(np.iinfo(np.int32).max)))
        parts = self._generate_exact(X, y, random_state)
        synthetic = [p for c in parts for p in parts[c]]
        n_add = {c: sum(len(p) for p in parts.get(c, [])) for c in self.sampling_strategy_}
        self.n_synthetic_ = n_add
        if not synthetic:
            self.synthetic_mask_ = np.zeros(len(X), dtype=bool)
            return X.reset_index(drop=True), y
        X_syn = pd.concat(synthetic, ignore_index=True)
        y_syn = np.concatenate([np.full(n, c, dtype=y.dtype) for c, n in n_add.items() if n])
        X_res = pd.concat([X.reset_index(drop=True), X_syn], ignore_index=True)
        self.synthetic_mask_ = np.r_[np.zeros(len(X), bool), np.ones(len(X_syn), bool)]
        return X_res, np.concatenate([y, y_syn])

    def _jitter_copies(self, X, y, c, dups, need, seen, random_state, parts):  # type: ignore[no-untyped-def]
        """Last resort before keeping copies: nudge the copies' numeric values.

        When interpolation keeps landing on training rows (a class whose rows are
        mostly identical), each copy gets Gaussian noise of 1 % of the class's
        standard deviation (of the column's, where the class has none) on its numeric
        columns; rows that are then valid and new count, ``n_jittered_`` says how many.
        """
        numeric = [col for col in X.columns if col not in self.categorical_features_
                   and pd.api.types.is_numeric_dtype(X[col])]
        if need[c] <= 0 or not len(dups) or not numeric:
            return dups
        rows = dups.copy()
        of_class = X.loc[y == c, numeric]
        scale = of_class.std().fillna(0.0)
        scale = scale.where(scale > 0, X[numeric].std().fillna(0.0)) * 0.01
        noise = random_state.normal(size=(len(rows), len(numeric))) * scale.to_numpy()
        rows[numeric] = rows[numeric].astype("float64") + noise
        rows, bad = apply_constraints(rows, self.constraints_, clip=self.constrain)
        dup = np.zeros(len(rows), bool)
        if seen is not None and len(seen):
            keys = row_keys(rows)
            dup = seen[np.minimum(np.searchsorted(seen, keys), len(seen) - 1)] == keys
        good = rows[~bad & ~dup].iloc[: need[c]]
        parts[c].append(good)
        need[c] -= len(good)
        self.n_jittered_ += len(good)
        return dups.iloc[: max(need[c], 0)]

    def _generate_exact(
        self, X: pd.DataFrame, y: np.ndarray, random_state: np.random.RandomState
    ) -> dict[Hashable, list[pd.DataFrame]]:
        need = {c: n for c, n in self.sampling_strategy_.items() if n > 0}
        parts: dict[Hashable, list[pd.DataFrame]] = {c: [] for c in need}
        spare: dict[Hashable, list[pd.DataFrame]] = {c: [] for c in need}
        seen = np.sort(row_keys(X)) if self.reject_duplicates else None
        generated = rejected = 0
        stalled: set[Hashable] = set()  # a round added no new row: more rounds would not
        for attempt in range(self.max_retries + 1):
            # 1 % + 1 spare rows in the first round, so a few rejections rarely cost a round
            pending = {c: n + (n // 100 + 1) * (attempt == 0) for c, n in need.items()
                       if n > 0 and c not in stalled}
            if not pending:
                break
            before = dict(need)
            made, bad = self._round(X, y, pending, seen, need, parts, spare, random_state)
            generated += made
            rejected += bad
            if self._stop_when_stalled:
                stalled |= {c for c in pending if need[c] > 0 and need[c] == before[c]}
        self.stalled_classes_ = sorted(stalled, key=str)
        self.reject_rate_ = rejected / generated if generated else 0.0
        self.n_duplicates_kept_ = 0
        self.n_jittered_ = 0
        spares = {
            c: pd.concat(spare[c]) if spare[c] else X.iloc[:0] for c, n in need.items() if n > 0
        }
        self._check_enough(spares, need)
        spares = {c: self._jitter_copies(X, y, c, dups, need, seen, random_state, parts)
                  for c, dups in spares.items()}
        for c, dups in spares.items():
            if need[c] <= 0:
                continue
            warnings.warn(
                f"{type(self).__name__}: class {c!r}: kept {need[c]} synthetic rows identical "
                f"to training rows after {self._retry_text(c)} (too few distinct rows "
                "to interpolate)",
                UserWarning,
                stacklevel=5,
            )
            parts[c].append(dups.iloc[: need[c]])
            self.n_duplicates_kept_ += need[c]
        logger.debug(
            "%s: added %s, reject rate %.3f",
            type(self).__name__,
            {c: sum(map(len, p)) for c, p in parts.items()},
            self.reject_rate_,
        )
        return parts

    def _round(self, X: pd.DataFrame, y: np.ndarray, pending: dict[Hashable, int],
               seen: np.ndarray | None, need: dict[Hashable, int],
               parts: dict[Hashable, list[pd.DataFrame]],
               spare: dict[Hashable, list[pd.DataFrame]],
               random_state: np.random.RandomState) -> tuple[int, int]:
        """One round of generation: ``pending`` rows per class made, repaired and screened
        (invalid rows, and copies of training rows, which go to ``spare``); the new rows
        go to ``parts`` and out of ``need``. Rows generated and rejected."""
        seed = int(random_state.randint(np.iinfo(np.int32).max))
        produced = self._generate(X, y, pending, seed)
        frames = [(c, produced[c]) for c in pending if c in produced and len(produced[c])]
        if not frames:
            return 0, 0
        # one pass of the rules over every class's rows: pandas overhead is per call
        rows = pd.concat([f[list(X.columns)] for _, f in frames], ignore_index=True)
        owner = np.repeat(np.arange(len(frames)), [len(f) for _, f in frames])
        rows, bad = apply_constraints(rows, self.constraints_, clip=self.constrain)
        dup = np.zeros(len(rows), bool)
        if seen is not None and len(seen):
            keys = row_keys(rows)
            dup = (seen[np.minimum(np.searchsorted(seen, keys), len(seen) - 1)] == keys) & ~bad
        for i, (c, _) in enumerate(frames):
            good = rows[(owner == i) & ~bad & ~dup]
            if len(good) > need[c]:
                keep = np.sort(random_state.choice(len(good), need[c], replace=False))
                good = good.iloc[keep]
            parts[c].append(good)
            spare[c].append(rows[(owner == i) & dup])
            need[c] -= len(good)
        return len(rows), int(bad.sum() + dup.sum())

    def _retry_text(self, c: Hashable) -> str:
        if c in getattr(self, "stalled_classes_", ()):
            return "a regeneration round that added no new row"
        return f"{self.max_retries} retries"

    def _check_enough(self, spares: dict[Hashable, pd.DataFrame],
                      need: dict[Hashable, int]) -> None:
        """Raise when a class lacks rows even counting the copies of training rows."""
        short = [
            f"expected {self.sampling_strategy_[c]} synthetic rows of class {c!r}, found only "
            f"{self.sampling_strategy_[c] - need[c] + len(dups)}"
            for c, dups in spares.items()
            if len(dups) < need[c]
        ]
        if short:
            raise TooLittleDataError(
                "; ".join(short) + f" after {self.max_retries} retries or a round that "
                "added no new row",
                hint="raise max_retries, or check the class has enough distinct rows",
            )
