"""AutoAugmenter: choose an augmenter by inner cross-validation on the training split, or
abstain.

Augmentation can help a classifier, do nothing, or hurt it. :class:`AutoAugmenter`
measures which on the training split only: k-fold cross-validation (stratified, grouped
like the split, or holding out whole labels of a coarse target:
:mod:`iotforge.augment._folds`), each candidate applied to the training folds only
(imbalanced-learn ``Pipeline`` semantics), every validated row predicted once per repeat
by the classifier trained with and without the candidate's rows.

**Decision rule** (:mod:`iotforge.augment._auto_stats`). The pooled out-of-fold
predictions of each candidate and of no augmentation are compared with the paired
bootstrap the evaluation uses (:func:`iotforge.curation.bootstrap.paired_bootstrap`:
rows resampled within class, repeats resampled; copies of one feature row, which share
a fold and a prediction, resampled as one). The candidate with the highest observed
gain is chosen only if the lower bound of its gain is above 0, at level
``(1 - confidence) / (m * looks)`` (Bonferroni over the ``m`` candidates and the looks
the adaptive repeats take). Repeats continue, up to ``n_repeats``, until the decision is
resolved or the time budget is spent; the report says how many ran and why they stopped.
Otherwise the choice is ``"none"``: no synthetic rows.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ._auto_stats import make_objective, select
from ._base import BaseAugmenter, row_keys
from ._columns import _categorical_columns
from ._factory import make_augmenter
from ._inner_cv import _SEED_MAX, NONE, plan_folds
from ._registry import AUTO_CANDIDATES, AUTO_TIME_LIMIT, DEFAULT_STRATEGY
from ._sampler import _FrameSampler
from ._strategies import resolve_sampling_strategy
from ._typing import AutoCandidate, AutoScoring, FoldSchemeOption

__all__ = ["DEFAULT_CANDIDATES", "DEFAULT_TIME_LIMIT", "AutoAugmenter", "default_estimator"]

logger = logging.getLogger(__name__)

DEFAULT_CANDIDATES: tuple[str, ...] = AUTO_CANDIDATES
"""The candidates tried when ``candidates=None``: cheap registry methods and strategies
(:data:`iotforge.augment._registry.AUTO_CANDIDATES`, which the command line, ``params.yaml``
and the docs quote)."""

DEFAULT_TIME_LIMIT = AUTO_TIME_LIMIT
"""Seconds :class:`AutoAugmenter` spends at most by default (the first repeat of no
augmentation always runs)."""


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

    Candidates and "no augmentation" predict every validated training row out of fold,
    repeat after repeat; the best candidate is chosen only if the paired-bootstrap lower
    bound of its gain is above 0 (:mod:`iotforge.augment._auto`), then fitted on all rows.
    ``"none"`` adds no row.

    Parameters
    ----------
    candidates : list or None, default=None
        ``(name, sampler)`` pairs, or registry method names with an optional strategy
        (``'smote'``, ``'adasyn:power:0.5'``). None: :data:`DEFAULT_CANDIDATES`.
    cv : int, default=5
        Folds (fewer with fewer groups). Classes with fewer rows than folds, or whose
        rows are all identical (all in one group when grouped), are in every training
        side and not validated (``selection_["not_validated"]``).
    n_repeats : int, default=6
        The most repeats of the k-fold (new shuffles); fewer when the decision is resolved
        earlier or the time budget runs out.
    min_repeats : int, default=2
        Repeats before the first look at the decision.
    estimator : classifier or None, default=None
        Trained on the training folds; None is :func:`default_estimator`.
    scoring : 'macro_f1' or dict, default='macro_f1'
        Macro-F1 over the validated classes, or ``{"recall": [classes], "floor": 0.01}``:
        the mean recall of the named classes, for candidates whose macro-F1 loss (lower
        bound) is at most ``floor``.
    groups : array-like or None, default=None
        One group per row of ``X`` (source file, time block): no group is in both the
        training and the validation side of a fold.
    subtypes : array-like or None, default=None
        One fine label per row when ``y`` is coarser (``attack_family``, ``is_attack``):
        the label-holdout folds hold out whole subtypes of a class.
    fold_scheme : {'auto', 'stratified', 'grouped', 'label-holdout'}, default='auto'
        ``auto``: grouped with 2 or more groups, else label-holdout when ``subtypes``
        splits a class, else stratified.
    time_limit : float or None, default=600
        Seconds (:data:`DEFAULT_TIME_LIMIT`). No repeat is started that would pass it; in
        the first repeat, candidates not started in time are skipped. None: no limit.
    confidence : float, default=0.95
        One minus the chance of choosing a candidate that does not help.
    sampling_strategy : strategy, default='power:0.5'
        The strategy of registry candidates given without one.
    random_state : int, RandomState instance or None, default=None
        Folds, candidates, the bootstrap and the default estimator derive their seeds
        from it.
    categorical_features : 'auto' or list, default='auto'
        Categorical columns, for registry candidates and the default estimator.

    Attributes
    ----------
    cv_results_ : pandas.DataFrame
        One row per arm (``none`` included) and repeat: ``candidate``, ``repeat``,
        ``score`` (on the pooled out-of-fold predictions), ``gain`` (over ``none`` in
        the same repeat), ``n_train``, ``n_synthetic`` (per fold), ``seconds``.
    choice_ : str
        The chosen candidate's name, or ``"none"``.
    reason_ : str
        One sentence: why this choice.
    chosen_ : sampler or None
        The chosen candidate fitted on all rows, None when abstaining.
    selection_ : dict
        The report: choice, reason, rule, fold scheme and why, repeats and why they
        stopped, per-candidate summary, classes not validated, notes, skipped
        candidates, ``cv_results`` as records.

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
        "min_repeats": [Interval(numbers.Integral, 1, None, closed="left")],
        "estimator": [HasMethods(["fit", "predict"]), None],
        "scoring": [StrOptions({"macro_f1"}), dict],
        "groups": ["array-like", None],
        "subtypes": ["array-like", None],
        "fold_scheme": [StrOptions({"auto", "stratified", "grouped", "label-holdout"})],
        "time_limit": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "confidence": [Interval(numbers.Real, 0, 1, closed="neither")],
    }

    def __init__(
        self,
        *,
        candidates: Sequence[AutoCandidate] | None = None,
        cv: int = 5,
        n_repeats: int = 6,
        min_repeats: int = 2,
        estimator: Any = None,
        scoring: AutoScoring = "macro_f1",
        groups: Any = None,
        subtypes: Any = None,
        fold_scheme: FoldSchemeOption = "auto",
        time_limit: float | None = DEFAULT_TIME_LIMIT,
        confidence: float = 0.95,
        sampling_strategy: Any = DEFAULT_STRATEGY,
        random_state: Any = None,
        categorical_features: Any = "auto",
    ) -> None:
        self.candidates = candidates
        self.cv = cv
        self.n_repeats = n_repeats
        self.min_repeats = min_repeats
        self.estimator = estimator
        self.scoring = scoring
        self.groups = groups
        self.subtypes = subtypes
        self.fold_scheme = fold_scheme
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
        cv_seed, est_seed, boot_seed = (int(s) for s in rng.randint(_SEED_MAX, size=3))
        classes = list(self._label_counts)
        one_row = [c for c, n in self._label_counts.items() if n < 2]
        candidates = self._candidate_list(rng)
        if one_row:  # one row: nothing to interpolate from
            candidates = [(name, _leave_as_is(s, one_row)) for name, s in candidates]
        label, objective = make_objective(self.scoring, classes)
        categorical = _categorical_columns(X, self.categorical_features)
        estimator = self.estimator if self.estimator is not None else default_estimator(
            [X.columns.get_loc(c) for c in categorical], est_seed)
        plan = plan_folds(y, cv_seed, cv=self.cv, groups=self.groups, subtypes=self.subtypes,
                          fold_scheme=self.fold_scheme, same=row_keys(X))
        notes: list[str] = []
        if one_row:
            notes.append(f"classes with 1 row, left as is (not augmented): {one_row}")
        small = [c for c in plan.not_validated if self._label_counts[c] < plan.k]
        if small:
            shown = ", ".join(f"{c!r} ({self._label_counts[c]} rows)" for c in small)
            notes.append(f"classes with fewer rows than the {plan.k} folds, in every "
                         f"training side and not validated: {shown}")
        whole = [c for c in plan.not_validated if c not in small]
        if whole:
            shown = ", ".join(f"{c!r} ({self._label_counts[c]} rows)" for c in whole)
            notes.append("classes whose rows are one unit of the folds (all identical, or "
                         "one group), in every training side and not validated (a fold "
                         f"would validate them on a model that never saw them): {shown}")
        budget = "no time limit" if self.time_limit is None else \
            f"at most {self.time_limit:g} s"
        logger.info("auto: %d candidates on %d rows, %s folds (%s), up to %d repeats, %s",
                    len(candidates), len(y), plan.k, plan.scheme, self.n_repeats, budget)
        if plan.scheme == "none":
            found = None
            self.choice_, self.reason_ = NONE, f"abstained: {plan.reason}."
            rows: list[dict[str, Any]] = []
            repeats, stop, summary = 0, plan.reason, {}
        else:
            found = select(candidates, estimator, objective, label, X, y, plan,
                           min_repeats=self.min_repeats, max_repeats=self.n_repeats,
                           time_limit=self.time_limit, confidence=self.confidence,
                           seed=boot_seed, notes=notes)
            self.choice_, self.reason_ = found.choice, found.reason + "."
            rows, repeats, stop = found.rows, found.repeats, found.stop
            summary = _summary(candidates, found)
        self.cv_results_ = pd.DataFrame(rows, columns=["candidate", "repeat", "score", "gain",
                                                       "n_train", "n_synthetic", "seconds"])
        resampled = self._fit_choice(dict(candidates).get(self.choice_), X, y)
        self.selection_ = {
            "choice": self.choice_, "reason": self.reason_, "scoring": label,
            "rule": "best observed gain over no augmentation on pooled out-of-fold "
                    "predictions, chosen only if its paired-bootstrap lower bound (distinct "
                    "feature rows within class and repeats resampled; Bonferroni over "
                    f"candidates and looks, {self.confidence:.0%} familywise) is > 0",
            "fold_scheme": plan.scheme, "fold_scheme_reason": plan.reason, "folds": plan.k,
            "repeats": repeats, "stop": stop, "max_repeats": self.n_repeats,
            "time_limit": self.time_limit, "candidates": summary,
            "skipped": found.skipped if found else [], "notes": notes,
            "not_validated": plan.not_validated, "left_as_is": one_row,
            "bootstrap": {"resamples": found.n_boot, "level": found.level} if found else {},
            "cv_results": self.cv_results_.to_dict("records"),
        }
        logger.info("AutoAugmenter: %s (%d repeats; stopped: %s)", self.reason_, repeats,
                    stop)
        if resampled is None:
            return X.reset_index(drop=True), y
        return resampled

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


def _summary(candidates: list[tuple[str, Any]], found: Any) -> dict[str, dict[str, Any]]:
    """Per arm: status, mean score and gain over the repeats, bounds where tested."""
    table = pd.DataFrame(found.rows)
    out: dict[str, dict[str, Any]] = {}
    for name in [NONE, *(n for n, _ in candidates)]:
        if name in found.skipped:
            out[name] = {"status": "skipped"}
            continue
        if name in found.failed:
            out[name] = {"status": "failed"}
            continue
        mine = table[table["candidate"] == name] if len(table) else table
        out[name] = {"status": "evaluated", "repeats": len(mine),
                     "mean_score": float(mine["score"].mean()) if len(mine) else float("nan"),
                     "mean_gain": float(mine["gain"].mean()) if len(mine) else float("nan"),
                     "seconds": float(mine["seconds"].sum()) if len(mine) else 0.0,
                     **found.stats.get(name, {})}
    return out


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
