"""AutoAugmenter: choose an augmenter by inner cross-validation on the training split, or
abstain.

Augmentation can help a classifier, do nothing, or hurt it. :class:`AutoAugmenter`
measures which on the training split only: stratified k-fold (grouped when ``groups`` is
given), each candidate applied to the training folds only (imbalanced-learn ``Pipeline``
semantics), the classifier scored on the untouched validation fold, next to the same
classifier trained without augmentation on the same folds.

**Decision rule.** For every candidate, the per-fold gains ``d_k = score(candidate, k) -
score(none, k)`` are paired by fold. The candidate with the highest mean gain is chosen
only if the one-sided lower confidence bound of its mean gain is above 0::

    LB = mean(d) - t(1 - alpha / m, n - 1) * sqrt((1 / n + n_val / n_train) * var(d))

with ``n`` the folds (times repeats), ``alpha = 1 - confidence``, ``m`` the candidates
evaluated (Bonferroni: the best of ``m`` is tested) and the variance corrected for
overlapping training folds (Nadeau and Bengio's corrected resampled t-test, 2003).
Otherwise the choice is ``"none"``: no synthetic rows. The folds, the score and this
rule are in :mod:`iotforge.augment._inner_cv`.
"""

from __future__ import annotations

import logging
import numbers
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ._base import BaseAugmenter
from ._columns import _categorical_columns
from ._factory import make_augmenter
from ._inner_cv import _SEED_MAX as _SEED_MAX
from ._inner_cv import NONE as NONE
from ._inner_cv import decide, inner_folds, make_scorer, score_folds
from ._sampler import _FrameSampler
from ._strategies import resolve_sampling_strategy
from ._typing import AutoCandidate, AutoScoring

__all__ = ["DEFAULT_CANDIDATES", "AutoAugmenter", "default_estimator"]

logger = logging.getLogger(__name__)

DEFAULT_CANDIDATES: tuple[str, ...] = ("smote", "borderline_smote", "random_oversampler")
"""Cheap registry methods tried when ``candidates=None`` (at ``sampling_strategy``)."""


@dataclass(frozen=True)
class _LeaveAsIs:
    """A sampling strategy that resolves ``strategy`` but never grows ``classes``."""

    strategy: Any
    classes: tuple[Hashable, ...]

    def __call__(self, y: Any) -> dict[Hashable, int]:
        y = np.asarray(y)
        add = resolve_sampling_strategy(self.strategy, y)
        values, counts = np.unique(y, return_counts=True)
        have = dict(zip(values.tolist(), counts.tolist(), strict=True))
        return {c: have[c] + n for c, n in add.items() if c not in self.classes}


def _as_str(X: Any) -> Any:
    return np.asarray(X, dtype=object).astype(str)


def default_estimator(categorical: Sequence[int] = (), random_state: int = 0) -> Any:
    """The classifier :class:`AutoAugmenter` scores with when given none.

    One-hot encoding of the ``categorical`` column positions (unknown categories
    ignored), the other columns as they are, then a random forest of 50 trees
    (``n_jobs=1``, seeded): fast, deterministic, insensitive to feature scales, and the
    classifier most intrusion-detection studies report.

    Examples
    --------
    >>> default_estimator([1], random_state=0).steps[-1][1].n_estimators
    50
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

    encode = Pipeline([("str", FunctionTransformer(_as_str)),
                       ("onehot", OneHotEncoder(handle_unknown="ignore"))])
    columns = ColumnTransformer([("categorical", encode, list(categorical))],
                                remainder="passthrough")
    forest = RandomForestClassifier(n_estimators=50, n_jobs=1, random_state=random_state)
    return Pipeline([("encode", columns), ("forest", forest)])


class AutoAugmenter(_FrameSampler):
    """Choose the augmenter that helps a classifier, by inner cross-validation, or none.

    Candidates and "no augmentation" are scored by stratified k-fold on the rows given to
    ``fit_resample``; the best candidate is chosen only if the one-sided lower confidence
    bound of its mean per-fold gain is above 0 (corrected paired t, Bonferroni over the
    candidates: :mod:`iotforge.augment._auto`), then fitted on all rows. ``"none"`` adds no row.

    Parameters
    ----------
    candidates : list or None, default=None
        ``(name, sampler)`` pairs, or registry method names with an optional strategy
        (``'smote'``, ``'adasyn:power:0.5'``). None: ``smote``, ``borderline_smote`` and
        ``random_oversampler`` (smoothed bootstrap) at ``sampling_strategy``.
    cv : int, default=5
        Folds; fewer when a class has fewer rows (at least 2; see ``selection_``).
    n_repeats : int, default=1
        Repeats of the k-fold with new shuffles (more folds for the t-test).
    estimator : classifier or None, default=None
        Scored on the validation folds; None is :func:`default_estimator`.
    scoring : 'macro_f1' or dict, default='macro_f1'
        Macro-F1 over the classes of each validation fold, or ``{"recall": [classes]}``,
        the mean recall of the named classes.
    groups : array-like or None, default=None
        One group per row of ``X`` (source file, time block): no group is in both the
        training and the validation side of a fold.
    time_limit : float or None, default=None
        Seconds; once passed, no further candidate is started (they are listed as
        skipped). "No augmentation" is always scored.
    confidence : float, default=0.95
        One-sided confidence of the lower bound.
    sampling_strategy : strategy, default='power:0.5'
        The strategy of registry candidates given without one.
    random_state : int, RandomState instance or None, default=None
        Folds, candidates and the default estimator derive their seeds from it.
    categorical_features : 'auto' or list, default='auto'
        Categorical columns, for registry candidates and the default estimator.

    Attributes
    ----------
    cv_results_ : pandas.DataFrame
        One row per candidate (``none`` included) and fold: ``candidate``, ``repeat``,
        ``fold``, ``score``, ``gain`` (over ``none`` on the same fold), ``n_train``,
        ``n_synthetic``, ``seconds``.
    choice_ : str
        The chosen candidate's name, or ``"none"``.
    reason_ : str
        One sentence: why this choice.
    chosen_ : sampler or None
        The chosen candidate fitted on all rows, None when abstaining.
    selection_ : dict
        The report: choice, reason, rule, per-candidate summary, folds, notes (classes
        with too few rows, warnings), skipped candidates, ``cv_results`` as records.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"bytes": np.r_[rng.normal(0, 1, 200), rng.normal(9, 1, 20)]})
    >>> y = np.array(["normal"] * 200 + ["scan"] * 20)
    >>> auto = AutoAugmenter(candidates=["smote"], cv=3, random_state=0)
    >>> X_res, y_res = auto.fit_resample(X, y)
    >>> auto.choice_, len(X_res)  # perfectly separable: nothing to gain
    ('none', 220)
    """

    method_name = "auto"

    # Not a BaseAugmenter: an augmenter promises exact per-class counts, and this
    # sampler may add nothing. It shares their input handling and the type round-trip
    # (DataFrame, array, list, sparse in; the same type out): _FrameSampler.

    _parameter_constraints: dict = {
        "sampling_strategy": BaseAugmenter._parameter_constraints["sampling_strategy"],
        "random_state": ["random_state"],
        "categorical_features": BaseAugmenter._parameter_constraints["categorical_features"],
        "candidates": ["array-like", None],
        "cv": [Interval(numbers.Integral, 2, None, closed="left")],
        "n_repeats": [Interval(numbers.Integral, 1, None, closed="left")],
        "estimator": [HasMethods(["fit", "predict"]), None],
        "scoring": [StrOptions({"macro_f1"}), dict],
        "groups": ["array-like", None],
        "time_limit": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "confidence": [Interval(numbers.Real, 0, 1, closed="neither")],
    }

    def __init__(
        self,
        *,
        candidates: Sequence[AutoCandidate] | None = None,
        cv: int = 5,
        n_repeats: int = 1,
        estimator: Any = None,
        scoring: AutoScoring = "macro_f1",
        groups: Any = None,
        time_limit: float | None = None,
        confidence: float = 0.95,
        sampling_strategy: Any = "power:0.5",
        random_state: Any = None,
        categorical_features: Any = "auto",
    ) -> None:
        self.candidates = candidates
        self.cv = cv
        self.n_repeats = n_repeats
        self.estimator = estimator
        self.scoring = scoring
        self.groups = groups
        self.time_limit = time_limit
        self.confidence = confidence
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.categorical_features = categorical_features

    # -- set-up ------------------------------------------------------------------------
    def _candidate_list(self, rng: np.random.RandomState) -> list[tuple[str, Any]]:
        items = list(DEFAULT_CANDIDATES if self.candidates is None else self.candidates)
        out: list[tuple[str, Any]] = []
        for item in items:
            seed = int(rng.randint(_SEED_MAX))
            if isinstance(item, str):
                method, _, strategy = item.partition(":")
                strategy = strategy or self.sampling_strategy
                name = f"{method}:{strategy}" if isinstance(strategy, str) else method
                params = {} if self.categorical_features == "auto" else {
                    "categorical_features": self.categorical_features}
                sampler = make_augmenter(method.strip(), strategy=_number(strategy),
                                         random_state=seed, params=params)
            elif isinstance(item, tuple | list) and len(item) == 2 and isinstance(item[0], str):
                name, sampler = item[0], clone(item[1])
            else:
                raise ValueError(f"candidates: expected (name, sampler) pairs or method names "
                                 f"such as 'smote:power:0.5', found {item!r}")
            if name == NONE or name in dict(out):
                raise ValueError(f"candidates: expected unique names other than {NONE!r}, "
                                 f"found {name!r} twice or reserved")
            out.append((name, sampler))
        return out

    # -- the selection -----------------------------------------------------------------
    def _resample(self, X: pd.DataFrame, y: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        rng = check_random_state(self.random_state)
        cv_seed, est_seed = (int(s) for s in rng.randint(_SEED_MAX, size=2))
        classes = list(self._label_counts)
        few = [c for c, n in self._label_counts.items() if n < 2]
        candidates = self._candidate_list(rng)
        if few:  # one row: nothing to validate on or interpolate from
            candidates = [(name, _leave_as_is(s, few)) for name, s in candidates]
        label, score = make_scorer(self.scoring, classes)
        categorical = _categorical_columns(X, self.categorical_features)
        estimator = self.estimator if self.estimator is not None else default_estimator(
            [X.columns.get_loc(c) for c in categorical], est_seed)
        notes: list[str] = []
        if few:
            notes.append(f"classes with 1 row, left as is (not validated, not augmented): "
                         f"{few}")
        folds, grouped = inner_folds(y, few, cv_seed, cv=self.cv, n_repeats=self.n_repeats,
                                     groups=self.groups, notes=notes)
        summary, skipped = self._score_all(candidates, estimator, score, X, y, folds, notes)
        self.choice_, self.reason_ = decide(summary, folds, label, skipped, self.confidence)
        resampled = self._fit_choice(dict(candidates).get(self.choice_), X, y)
        self.selection_ = {
            "choice": self.choice_, "reason": self.reason_, "scoring": label,
            "rule": "best mean gain over no augmentation, chosen only if the one-sided "
                    f"{self.confidence:.0%} lower bound of its mean per-fold gain is > 0 "
                    "(Nadeau-Bengio corrected paired t, Bonferroni over candidates)",
            "folds": len(folds) // self.n_repeats if folds else 0,
            "repeats": self.n_repeats, "grouped": grouped, "candidates": summary,
            "skipped": skipped, "notes": notes, "left_as_is": few,
            "cv_results": self.cv_results_.to_dict("records"),
        }
        logger.info("AutoAugmenter: %s", self.reason_)
        if resampled is None:
            return X.reset_index(drop=True), y
        return resampled

    def _score_all(self, candidates: list[tuple[str, Any]], estimator: Any, score: Any,
                   X: pd.DataFrame, y: np.ndarray, folds: list[Any], notes: list[str]
                   ) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """No augmentation, then every candidate while time is left, on every fold:
        their summaries and the candidates skipped; fills ``cv_results_``."""
        start = time.monotonic()
        rows: list[dict[str, Any]] = []
        summary: dict[str, dict[str, Any]] = {}
        baseline: dict[int, float] = {}
        skipped: list[str] = []
        for name, sampler in [(NONE, None), *candidates]:
            if sampler is not None and (not folds or not baseline or self._late(start)):
                skipped.append(name)
                summary[name] = {"status": "skipped"}
                continue
            summary[name] = score_folds(name, sampler, estimator, score, X, y, folds,
                                        n_repeats=self.n_repeats, baseline=baseline,
                                        rows=rows, notes=notes)
        self.cv_results_ = pd.DataFrame(rows, columns=["candidate", "repeat", "fold", "score",
                                                       "gain", "n_train", "n_synthetic",
                                                       "seconds"])
        return summary, skipped

    def _late(self, start: float) -> bool:
        return self.time_limit is not None and time.monotonic() - start > self.time_limit

    def _fit_choice(self, sampler: Any, X: pd.DataFrame,
                    y: np.ndarray) -> tuple[pd.DataFrame, np.ndarray] | None:
        """Fit the choice on all rows and take over its fitted report; None: abstained."""
        classes = list(self._label_counts)
        self.chosen_ = None
        self.sampling_strategy_ = {c: 0 for c in classes}
        self.n_synthetic_ = {c: 0 for c in classes}
        self.synthetic_mask_ = np.zeros(len(X), dtype=bool)
        self.reject_rate_ = 0.0
        if sampler is None:
            return None
        chosen = clone(sampler)
        X_res, y_res = chosen.fit_resample(X, y)
        mask = getattr(chosen, "synthetic_mask_", None)
        if mask is None:  # an imbalanced-learn over-sampler appends its new rows
            mask = np.arange(len(y_res)) >= len(X)
        self.chosen_ = chosen
        self.synthetic_mask_ = np.asarray(mask, dtype=bool)
        added = pd.Series(np.asarray(y_res)[self.synthetic_mask_]).value_counts()
        self.n_synthetic_ = {c: int(added.get(c, 0)) for c in classes}
        self.sampling_strategy_ = dict(getattr(chosen, "sampling_strategy_", self.n_synthetic_))
        for attr in ("reject_rate_", "fallbacks_", "topped_up_", "n_jittered_",
                     "n_duplicates_kept_", "hit_rate_", "variant_", "cleaning_removed_"):
            if hasattr(chosen, attr):
                setattr(self, attr, getattr(chosen, attr))
        return pd.DataFrame(X_res).reset_index(drop=True), np.asarray(y_res)


def _number(text: Any) -> Any:
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def _leave_as_is(sampler: Any, classes: list[Hashable]) -> Any:
    strategy = sampler.get_params().get("sampling_strategy")
    if strategy is None:
        return sampler
    return clone(sampler).set_params(sampling_strategy=_LeaveAsIs(strategy, tuple(classes)))
