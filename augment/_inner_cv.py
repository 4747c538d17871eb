"""The inner cross-validation behind :class:`~iotforge.augment.AutoAugmenter`: fold plans
and pooled out-of-fold predictions.

**Folds** (:func:`plan_folds`) are chosen to look like the split the test will show, and the
scheme is reported with its reason:

``grouped``
    ``groups`` given (the split was by group, by time or predefined; see
    :func:`iotforge.augment._table.split_groups`) with 2 or more values: no group is on
    both sides of a fold (``StratifiedGroupKFold``). Not when every class's rows come
    from one group (a predefined split whose training files hold one class each): those
    folds would validate each class on a model that never saw it.
``label-holdout``
    ``subtypes`` given (the fine ``label`` when the target is coarser: ``attack_family``,
    ``is_attack``) and some class holds 2 or more subtypes: each such class's subtypes are
    dealt whole to the folds, so a model is validated on subtypes it never saw, as on the
    official test sets of KDD-style benchmarks; other classes' rows are stratified.
``stratified``
    otherwise: stratified k-fold.

In the stratified and label-holdout schemes, rows with identical features stay in one
fold, as the leakage-safe split keeps them on one side: a validation row whose copy is in
training is predicted by memory, which hides what augmentation changes (IoT-23's training
side holds 4,896 distinct rows in 25,168).

A class with fewer rows than folds is not validated: its rows stay in every training side
(so it is still learnt and augmented) and it is reported as ``not validated``. One class
of 2 rows no longer cuts every class's folds to 2. So is a class whose rows form **one
unit** of the folds (all its rows identical, or all in one group of the grouped scheme):
that unit lands in one fold, whose training side then holds none of the class, and the
class would be validated on a model that never saw it. The test never does that (the
class is learnt from its training rows), and the rows mispredicted there also take
precision from the classes they are mistaken for, so a candidate that moves them can
score a gain the test cannot show (IoT-23: 14,252 ``ddos`` training rows, one distinct,
all predicted ``normal`` in their fold).

**Predictions** (:func:`oof_predict`): per repeat, every validated row is predicted once,
by a model trained on the other folds, augmented by the candidate on those folds only (no
model sees a row or synthetic rows made from it). The decision on them is
:mod:`iotforge.augment._auto_stats`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from iotforge.curation.errors import IotforgeError
from sklearn.base import clone

NONE = "none"
_SEED_MAX = np.iinfo(np.int32).max

FoldScheme = Literal["stratified", "grouped", "label-holdout", "none"]
"""How the inner folds were cut (``none``: nothing could be cross-validated)."""

Folds = list[tuple[np.ndarray, np.ndarray]]
"""(training rows, validation rows) of every fold of one repeat."""


@dataclass
class FoldPlan:
    """The folds of every repeat: scheme, why, fold count, rows validated and not."""

    scheme: FoldScheme
    reason: str
    k: int
    validated: np.ndarray
    always: np.ndarray
    not_validated: list[Hashable]
    seed: int
    units: dict[Hashable, int] = field(default_factory=dict)
    """Per class: the units the folds deal (distinct feature rows when identical rows
    share a fold, groups when grouped, else rows)."""
    _groups: np.ndarray | None = field(default=None, repr=False)
    _holdout: np.ndarray | None = field(default=None, repr=False)
    _same: np.ndarray | None = field(default=None, repr=False)

    @property
    def row_units(self) -> np.ndarray | None:
        """One code per validated row, equal for rows with identical features (which
        share a fold and so a prediction); None when every validated row is distinct or
        the folds are grouped."""
        return self._same

    def folds(self, repeat: int, y: np.ndarray) -> Folds:
        """The folds of repeat ``repeat`` (0-based): a new shuffle per repeat."""
        from sklearn.model_selection import StratifiedGroupKFold

        s = int(np.random.RandomState(self.seed).randint(_SEED_MAX, size=repeat + 1)[-1])
        rows = self.validated
        fold_of = np.full(len(rows), -1)
        if self.scheme == "grouped":
            splitter = StratifiedGroupKFold(self.k, shuffle=True, random_state=s)
            with warnings.catch_warnings():  # a class absent from some grouped folds
                warnings.simplefilter("ignore", UserWarning)
                for f, (_, va) in enumerate(splitter.split(rows, y[rows], self._groups)):
                    fold_of[va] = f
        else:
            held = self._holdout if self._holdout is not None else np.full(len(rows), None)
            plain = np.flatnonzero(pd.isna(held))
            if len(plain):
                _stratify_units(plain, y[rows], self._same, fold_of, self.k, s)
            _deal_subtypes(held, y[rows], fold_of, self.k, np.random.RandomState(s))
        return [(np.r_[rows[fold_of != f], self.always], rows[fold_of == f])
                for f in range(self.k) if np.any(fold_of == f)]


def _stratify_units(plain: np.ndarray, y: np.ndarray, same: np.ndarray | None,
                    fold_of: np.ndarray, k: int, seed: int) -> None:
    """Stratified folds of the rows ``plain``, identical feature rows (``same``: one code
    per row) kept in one fold, as the leakage-safe split keeps them on one side: each
    unit of identical rows is stratified by its first row's class."""
    from sklearn.model_selection import StratifiedKFold

    units, first = np.unique(same[plain], return_index=True) if same is not None else (
        plain, np.arange(len(plain)))
    unit_of = (np.searchsorted(units, same[plain]) if same is not None
               else np.arange(len(plain)))
    splitter = StratifiedKFold(k, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # a class with fewer units than folds
        warnings.simplefilter("ignore", UserWarning)
        unit_fold = np.empty(len(units), dtype=int)
        for f, (_, va) in enumerate(splitter.split(units, y[plain][first])):
            unit_fold[va] = f
    fold_of[plain] = unit_fold[unit_of]


def _deal_subtypes(held: np.ndarray, y: np.ndarray, fold_of: np.ndarray, k: int,
                   rng: np.random.RandomState) -> None:
    """Per class, its subtypes whole to folds, largest first to the fold holding the
    fewest held-out rows so far (of any class, so the folds share the subtypes)."""
    marked = ~pd.isna(held)
    load = np.zeros(k)
    for c in pd.unique(y[marked]):
        mine = marked & (y == c)
        sizes = pd.Series(held[mine]).value_counts()
        order = sizes.index[rng.permutation(len(sizes))]
        order = sorted(order, key=lambda s: -sizes[s])
        for sub in order:
            f = int(np.argmin(load + rng.random_sample(k) * 1e-9))
            fold_of[mine & (held == sub)] = f
            load[f] += sizes[sub]


def plan_folds(y: np.ndarray, seed: int, *, cv: int, groups: Any = None,
               subtypes: Any = None, fold_scheme: str = "auto",
               same: Any = None) -> FoldPlan:
    """The fold plan of :class:`~iotforge.augment.AutoAugmenter` (see the module docstring).

    ``fold_scheme``: ``auto`` (grouped when ``groups`` has 2 or more values, else
    label-holdout when ``subtypes`` splits a class, else stratified), or one of
    ``stratified``, ``grouped``, ``label-holdout`` to insist (falling back with the reason
    said when the data does not allow it). ``same``: one code per row, equal for rows
    with identical features; stratified and label-holdout folds keep such rows in one
    fold (as the split keeps them on one side), so a validation row's copy is never in
    training.

    >>> y = np.array(["dos"] * 40 + ["normal"] * 60)
    >>> sub = np.array(["smurf"] * 20 + ["neptune"] * 20 + ["normal"] * 60)
    >>> plan = plan_folds(y, 0, cv=5, subtypes=sub)
    >>> plan.scheme, plan.k
    ('label-holdout', 5)
    >>> sorted(sorted(map(str, set(sub[va]) - {"normal"})) for _, va in plan.folds(0, y))
    [[], [], [], ['neptune'], ['smurf']]
    >>> all(not (set(sub[va]) - {"normal"}) & set(sub[tr]) for tr, va in plan.folds(0, y))
    True
    """
    y = np.asarray(y, dtype=object)
    n = len(y)
    scheme: FoldScheme = "stratified"
    reason = "stratified k-fold: no groups and no subtypes to hold out"
    group_arr = None if groups is None else np.asarray(groups, dtype=object).astype(str)
    sub_arr = None if subtypes is None else np.asarray(subtypes, dtype=object)
    for name, arr in (("groups", group_arr), ("subtypes", sub_arr)):
        if arr is not None and len(arr) != n:
            raise ValueError(f"{name}: expected one value per row ({n}), found {len(arr)}")
    k = cv
    n_groups = 0 if group_arr is None else len(np.unique(group_arr))
    split_classes: list[Hashable] = []
    if sub_arr is not None:
        frame = pd.DataFrame({"y": y, "s": sub_arr.astype(str)})
        per = frame.groupby("y")["s"].nunique()
        split_classes = per.index[per >= 2].tolist()
    nested = False
    if group_arr is not None and n_groups >= 2:
        # groups inside classes (a predefined split's files, one class each): grouped
        # folds would validate every class on a model that never saw it
        per_class = pd.DataFrame({"y": y, "g": group_arr}).groupby("y")["g"].nunique()
        nested = bool((per_class < 2).all())
    if fold_scheme in ("auto", "grouped") and n_groups >= 2 and not nested:
        scheme, k = "grouped", min(cv, n_groups)
        reason = (f"grouped k-fold over {n_groups} groups: the split kept groups (files, "
                  "time blocks, group values) apart, so the folds do")
    elif fold_scheme in ("auto", "label-holdout") and split_classes:
        scheme = "label-holdout"
        reason = ("label-holdout: the target is coarser than the label, so each of "
                  f"{[str(c) for c in split_classes]} has its subtypes held out whole "
                  "in turn (the test side may hold subtypes absent from training)")
    elif fold_scheme not in ("auto", "stratified"):
        reason = (f"stratified k-fold: {fold_scheme} asked for, but "
                  + ("fewer than 2 groups" if fold_scheme == "grouped"
                     else "no class holds 2 or more subtypes"))
    if nested and scheme != "label-holdout":
        reason = ("stratified k-fold: every class's rows come from a single group (file), "
                  "so grouped folds would hold out whole classes")
    if scheme == "grouped" and n_groups < cv:
        reason += f" ({n_groups} groups: {k} folds instead of {cv})"
    counts = pd.Series(y).value_counts()
    units = _units(y, scheme, group_arr, same)
    # fewer rows than folds, or one unit: a fold would validate it untrained on it
    few = [c for c, m in counts.items() if m < k or units[c] < 2]
    is_few = np.isin(y, few)
    validated, always = np.flatnonzero(~is_few), np.flatnonzero(is_few)
    if len(counts) - len(few) < 2:
        return FoldPlan("none", "fewer than two classes have as many rows as folds and "
                        "2 or more distinct units: nothing to cross-validate", k,
                        np.array([], int), np.arange(n), few, seed, units)
    holdout = None
    if scheme == "label-holdout":
        assert sub_arr is not None
        holdout = sub_arr.astype(str).astype(object)
        holdout[~pd.Series(y).isin(split_classes).to_numpy()] = None
        holdout = holdout[validated]
    same_arr = None
    if same is not None and scheme != "grouped":
        same_arr = pd.factorize(pd.Series(np.asarray(same)))[0][validated]
        if len(np.unique(same_arr)) < len(same_arr):
            reason += ("; identical feature rows kept in one fold "
                       f"({len(np.unique(same_arr)):,} distinct of {len(same_arr):,})")
        else:
            same_arr = None
    return FoldPlan(scheme, reason, k, validated, always, few, seed, units,
                    None if group_arr is None else group_arr[validated], holdout, same_arr)


def _units(y: np.ndarray, scheme: str, groups: np.ndarray | None,
           same: Any) -> dict[Hashable, int]:
    """Per class, the units the folds deal whole: groups (grouped scheme), distinct
    ``same`` codes (identical feature rows share a fold), else rows."""
    if scheme == "grouped" and groups is not None:
        unit = pd.Series(groups)
    elif same is not None:
        unit = pd.Series(np.asarray(same))
    else:
        unit = pd.Series(np.arange(len(y)))
    per = pd.DataFrame({"y": y, "u": unit.to_numpy()}).groupby("y", sort=False)["u"]
    return {c: int(m) for c, m in per.nunique().items()}


def oof_predict(sampler: Any, estimator: Any, X: pd.DataFrame, y: np.ndarray, folds: Folds
                ) -> tuple[np.ndarray, int, list[str]]:
    """One repeat's out-of-fold predictions of the validated rows (in the order of
    ``np.concatenate([va for _, va in folds])`` sorted), synthetic rows made, and the
    warnings raised; ``sampler`` None is no augmentation. Errors propagate."""
    order = np.sort(np.concatenate([va for _, va in folds]))
    where = {int(r): i for i, r in enumerate(order)}
    out = np.empty(len(order), dtype=object)
    made = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for tr, va in folds:
            X_tr, y_tr = X.iloc[tr], y[tr]
            if sampler is not None:
                X_tr, y_tr = clone(sampler).fit_resample(X_tr, y_tr)
                made += len(y_tr) - len(tr)
            model = clone(estimator).fit(X_tr, y_tr)
            out[[where[int(r)] for r in va]] = model.predict(X.iloc[va])
    said = [" ".join(str(w.message).split())[:200] for w in caught]
    return out, made, said


def score_repeat(objective: Any, y: np.ndarray, predicted: np.ndarray) -> float:
    """The objective on one repeat's pooled predictions: macro-F1 over the validated
    classes, or the mean recall of the named classes."""
    from sklearn.metrics import f1_score, recall_score

    y, predicted = np.asarray(y).astype(str), np.asarray(predicted).astype(str)
    present = np.unique(y)
    if objective == "macro_f1":
        return float(f1_score(y, predicted, labels=present, average="macro",
                              zero_division=0))
    named = [str(c) for c in objective["recall"] if np.any(y == str(c))]
    if not named:
        return float("nan")
    return float(recall_score(y, predicted, labels=named, average="macro", zero_division=0))


def run_arm(name: str, sampler: Any, estimator: Any, X: pd.DataFrame, y: np.ndarray,
            folds: Folds, notes: list[str]) -> tuple[np.ndarray | None, dict[str, Any]]:
    """One arm on one repeat: its predictions (None: failed, said in ``notes``) and its
    row of ``cv_results_`` (without the score)."""
    t0 = time.monotonic()
    try:
        predicted, made, said = oof_predict(sampler, estimator, X, y, folds)
    except (ValueError, RuntimeError, IotforgeError) as exc:
        what = "no augmentation" if sampler is None else f"candidate {name!r}"
        notes.append(f"{what} failed: {' '.join(str(exc).split())[:300]}")
        return None, {}
    if said:
        notes.append(f"{'no augmentation' if sampler is None else name}: {len(said)} "
                     f"warnings in the inner folds, e.g. {said[0]}")
    n_train = int(np.mean([len(tr) for tr, _ in folds]))
    return predicted, {"candidate": name, "n_train": n_train,
                       "n_synthetic": made // max(len(folds), 1),
                       "seconds": time.monotonic() - t0}
