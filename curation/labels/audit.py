"""Label audit: rows whose given label is probably wrong, or an abstention.

:class:`LabelAudit` is a scikit-learn-style object: ``fit(X, y)`` computes out-of-fold
probabilities with a clone of ``estimator`` per fold (:mod:`._oof`), then confident
learning (:mod:`._confident`), and judges first whether the out-of-fold model is good
enough for its flags to mean anything: its accuracy on the given labels must lift at
least ``min_lift`` of the way from the majority-class rate to 1
(``(accuracy - majority) / (1 - majority)``). Accuracy, not a per-class score, because
planted or real label noise dilutes accuracy in proportion to the noise rate, while a
rare class's recall on its given labels collapses once a few hundred wrong rows carry
its name. Below the threshold it abstains: nothing is flagged and the report says why.

The estimator is passed in: the curation package cannot import the evaluation's
classifier registry (imports point from evaluation to curation). ``iotforge labels``
resolves ``--classifier NAME`` through :func:`iotforge.evaluation.classifiers.make_classifier`
and passes the pipeline. The default here, for numeric arrays, is a random forest of
100 trees.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = np.r_[rng.normal(0, 1, (60, 2)), rng.normal(6, 1, (60, 2))]
>>> y = np.array(["a"] * 60 + ["b"] * 60)
>>> y[[3, 70]] = ["b", "a"]  # two wrong labels
>>> issues = find_label_issues(X, y, random_state=0)
>>> sorted(np.flatnonzero(issues.is_issue).tolist()), issues.abstained
([3, 70], False)
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import TooLittleDataError, UsageError
from ._confident import (
    RankBy,
    calibrate,
    class_thresholds,
    confident_joint,
    noise_matrix,
    prune_by_noise_rate,
    rank_scores,
)
from ._judge import (
    MIN_CLASS_ROWS,
    class_judgement,
    decided,
    keep_last_rows,
    pair_judgement,
)
from ._oof import fold_ids, oof_probabilities

__all__ = ["MAX_GIVEN_PROB", "MIN_LIFT", "LabelAudit", "LabelIssues", "find_label_issues",
           "oof_quality"]

log = logging.getLogger(__name__)

MIN_LIFT = 0.0
"""Default lift of out-of-fold accuracy over the majority rate at or below which the
audit abstains on the whole dataset: 0, a model no better than always answering the
majority class. The natural zero of the scale, not a value fitted to any dataset: the
judgement of a dataset whose classes the model only partly separates is made class by
class and pair by pair (:mod:`._judge`), not by one number for the whole table."""

MAX_GIVEN_PROB = 1.0
"""Default ceiling of the given label's out-of-fold probability for a row to be flagged:
1, no ceiling. A lower value is an opt-in filter, not part of the method."""

@dataclass
class LabelIssues:
    """What the audit found, row by row, and its report (``report.json``'s core).

    ``is_issue`` marks the flagged rows, ``suggested`` their likely class (for every row:
    the most probable class other than the given one), ``given_prob`` the out-of-fold
    probability of the given label, ``rank`` 1 for the most suspicious flagged row
    (0 for rows not flagged), ``disagrees`` the plain baseline (the out-of-fold
    prediction differs from the given label), ``withheld`` the rows confident learning
    selects but the audit does not flag because their class, or the pair of their given
    and suggested class, cannot be judged (:mod:`._judge`).
    """

    classes: list[str]
    given: np.ndarray
    probs: np.ndarray
    is_issue: np.ndarray
    suggested: np.ndarray
    given_prob: np.ndarray
    score: np.ndarray
    rank: np.ndarray
    disagrees: np.ndarray
    abstained: bool
    report: dict[str, Any] = field(default_factory=dict)
    withheld: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def table(self) -> pd.DataFrame:
        """The flagged rows, most suspicious first: ``row`` (position in the input),
        ``given``, ``suggested``, ``p_given``, ``p_suggested``, ``score``, ``rank``."""
        idx = np.flatnonzero(self.is_issue)
        idx = idx[np.argsort(self.rank[idx], kind="stable")]
        sugg_code = pd.Index(self.classes).get_indexer(self.suggested[idx])
        return pd.DataFrame({
            "row": idx, "given": self.given[idx], "suggested": self.suggested[idx],
            "p_given": self.given_prob[idx], "p_suggested": self.probs[idx, sugg_code],
            "score": self.score[idx], "rank": self.rank[idx]})


def oof_quality(codes: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """Out-of-fold quality on the given labels, and the majority-class baseline.

    >>> q = oof_quality(np.array([0, 0, 0, 1]), np.array([[.9, .1]] * 3 + [[.2, .8]]))
    >>> q["accuracy"], q["majority_accuracy"], q["lift_over_majority"]
    (1.0, 0.75, 1.0)
    """
    from sklearn.metrics import balanced_accuracy_score, cohen_kappa_score, f1_score

    pred = probs.argmax(axis=1)
    counts = np.bincount(codes, minlength=probs.shape[1])
    majority = float(counts.max() / counts.sum())
    acc = float((pred == codes).mean())
    lift = (acc - majority) / (1 - majority) if majority < 1 else 0.0
    present = np.flatnonzero(counts)
    return {
        "accuracy": acc,
        "balanced_accuracy": float(balanced_accuracy_score(codes, pred)),
        "macro_f1": float(f1_score(codes, pred, labels=present, average="macro",
                                   zero_division=0)),
        "cohen_kappa": float(cohen_kappa_score(codes, pred)) if len(present) > 1 else 0.0,
        "majority_accuracy": majority,
        "majority_macro_f1": float(2 * majority / (1 + majority) / len(present)),
        "lift_over_majority": float(lift),
    }


class LabelAudit:
    """Confident learning over out-of-fold probabilities, with abstention.

    Parameters
    ----------
    estimator
        An unfitted classifier with ``predict_proba`` (cloned per fold). None: a random
        forest of 100 trees (numeric ``X`` only; missing values allowed).
    n_folds
        K of the out-of-fold probabilities.
    rank_by
        ``self_confidence`` or ``normalized_margin``: the order of the flagged rows.
    min_lift
        Least ``(accuracy - majority) / (1 - majority)`` of the out-of-fold predictions
        for the audit to flag anything; below it, it abstains.
    max_given_prob
        Optional ceiling: a row is flagged only when the out-of-fold probability of its
        given label is below this. Default 1: no ceiling. Classes that share a region of
        feature space are handled by the pair judgement instead (:mod:`._judge`).
    min_class_rows
        Rows a class the model cannot learn keeps unflagged (all when it has fewer): no
        row is suggested such a class, and its own rows are flagged to learned classes
        only beyond these, the most self-confident.
    random_state
        Seed of the folds and of the default estimator.
    client
        A Dask client: one task per fold. None: folds run here, one after the other.

    Attributes
    ----------
    classes_, probs_, folds_, fold_mode_, thresholds_, confident_joint_, joint_,
    noise_matrix_, prior_, quality_, abstained_, issues_
        Fitted state; ``issues_`` is the :class:`LabelIssues`.
    """

    def __init__(self, estimator: Any = None, *, n_folds: int = 5,
                 rank_by: RankBy = "self_confidence", min_lift: float = MIN_LIFT,
                 max_given_prob: float = MAX_GIVEN_PROB,
                 min_class_rows: int = MIN_CLASS_ROWS, random_state: int = 0,
                 client: Any = None) -> None:
        self.estimator = estimator
        self.n_folds = n_folds
        self.rank_by = rank_by
        self.min_lift = min_lift
        self.max_given_prob = max_given_prob
        self.min_class_rows = min_class_rows
        self.random_state = random_state
        self.client = client

    def _estimator(self) -> Any:
        if self.estimator is not None:
            return self.estimator
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=100, n_jobs=1,
                                      random_state=self.random_state)

    def fit(self, X: Any, y: Any, *, groups: Any = None, time: Any = None) -> LabelAudit:
        """Audit the labels ``y`` of the rows ``X``.

        ``groups``: rows of one group stay in one fold (the split was grouped, or
        identical feature rows). ``time``: folds are contiguous blocks of time.
        """
        if self.rank_by not in ("self_confidence", "normalized_margin"):
            raise UsageError(f"expected rank_by in ('self_confidence', 'normalized_margin'), "
                             f"found {self.rank_by!r}")
        if not 0 <= self.min_lift <= 1:
            raise UsageError(f"expected 0 <= min_lift <= 1, found {self.min_lift}")
        if not 0 < self.max_given_prob <= 1:
            raise UsageError(f"expected 0 < max_given_prob <= 1, found {self.max_given_prob}")
        y = np.asarray(y).astype(str)
        if len(y) != len(X):
            raise UsageError(f"expected one label per row, found {len(y)} labels for "
                             f"{len(X)} rows")
        classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise TooLittleDataError(f"expected at least 2 classes to audit, found "
                                     f"{len(classes)}")
        k = len(classes)
        folds, mode = fold_ids(codes, n_folds=self.n_folds,
                               groups=None if groups is None else np.asarray(groups),
                               time=None if time is None else np.asarray(time),
                               random_state=self.random_state)
        probs = oof_probabilities(self._estimator(), X, codes, folds, k, client=self.client)
        self.classes_, self.probs_, self.folds_, self.fold_mode_ = classes, probs, folds, mode
        counts = np.bincount(codes, minlength=k)
        self.thresholds_ = class_thresholds(codes, probs)
        self.confident_joint_, _ = confident_joint(codes, probs, self.thresholds_)
        calibrated = calibrate(self.confident_joint_, counts)
        self.joint_, self.noise_matrix_, self.prior_ = noise_matrix(calibrated)
        self.quality_ = oof_quality(codes, probs)
        lift = self.quality_["lift_over_majority"]
        self.abstained_ = bool(lift <= self.min_lift)
        pruned, pruned_to = prune_by_noise_rate(codes, probs, self.joint_)
        given_prob = probs[np.arange(len(codes)), codes]
        self.pruned_ = pruned.copy()
        # candidates: prune_by_noise_rate (the paper's and cleanlab's default rule), each
        # suggested the class it was pruned for
        candidate = pruned.copy()
        to = np.maximum(pruned_to, 0)
        if self.max_given_prob < 1:
            candidate &= given_prob < self.max_given_prob
        self.class_judged_, self.class_why_ = class_judgement(codes, probs)
        # no row goes *to* a class the model cannot learn; a row *of* such a class may
        # go to a class it has learned, but the class keeps its last rows
        class_ok = self.class_judged_[to]
        self.cannot_tell_, self.pairs_ = pair_judgement(self.confident_joint_)
        pair_ok = ~self.cannot_tell_[codes, to]
        clear = decided(codes, probs, to)
        mask = candidate & class_ok & pair_ok & clear
        kept = keep_last_rows(codes, given_prob, mask, ~self.class_judged_,
                              self.min_class_rows)
        class_ok = class_ok & ~kept
        mask &= ~kept
        withheld = candidate & ~mask
        self.withheld_by_ = {"class": int((candidate & ~class_ok).sum()),
                             "pair": int((candidate & class_ok & ~pair_ok).sum()),
                             "undecided": int((candidate & class_ok & pair_ok & ~clear).sum())}
        if self.abstained_:
            mask = np.zeros(len(codes), dtype=bool)
            withheld = np.zeros(len(codes), dtype=bool)
            log.warning("label audit abstains: out-of-fold accuracy %.3f lifts %.3f of the "
                        "way from the majority rate %.3f (threshold %.2f)",
                        self.quality_["accuracy"], lift, self.quality_["majority_accuracy"],
                        self.min_lift)
        cand_k = np.zeros((k, k), dtype=np.int64)  # [given, suggested] counts
        flag_k = np.zeros((k, k), dtype=np.int64)
        on = candidate & class_ok
        np.add.at(cand_k, (codes[on], to[on]), 1)
        np.add.at(flag_k, (codes[mask], to[mask]), 1)
        for p in self.pairs_:
            i, j = p["classes"]
            p["candidates"] = [int(cand_k[i, j]), int(cand_k[j, i])]
            p["flagged"] = [int(flag_k[i, j]), int(flag_k[j, i])]
        others = probs.copy()
        others[np.arange(len(codes)), codes] = -np.inf
        suggested_code = np.where(mask, to, others.argmax(axis=1))
        score = rank_scores(codes, probs, self.rank_by)
        rank = np.zeros(len(codes), dtype=np.int64)
        flagged = np.flatnonzero(mask)
        order = flagged[np.lexsort((flagged, score[flagged]))]
        rank[order] = np.arange(1, len(order) + 1)
        issues = LabelIssues(
            classes=[str(c) for c in classes], given=y, probs=probs, is_issue=mask,
            suggested=classes[suggested_code].astype(str),
            given_prob=given_prob, score=score, rank=rank,
            disagrees=probs.argmax(axis=1) != codes, abstained=self.abstained_,
            withheld=withheld)
        issues.report = self._report(issues, codes, counts, calibrated, mode)
        self.issues_ = issues
        return self

    def _report(self, issues: LabelIssues, codes: np.ndarray, counts: np.ndarray,
                calibrated: np.ndarray, mode: str) -> dict[str, Any]:
        names = issues.classes
        q = self.quality_
        reason = (f"out-of-fold accuracy {q['accuracy']:.3f} lifts "
                  f"{q['lift_over_majority']:.3f} of the way from the majority-class rate "
                  f"{q['majority_accuracy']:.3f} to 1; "
                  + ("at or below" if self.abstained_ else "above")
                  + f" the threshold {self.min_lift:g}: "
                  + ("the model cannot tell the classes apart well enough for its "
                     "disagreements to point at wrong labels, so nothing is flagged"
                     if self.abstained_ else "flags are reported"))
        pairs = pd.crosstab(issues.given[issues.is_issue], issues.suggested[issues.is_issue])
        per_pair: list[dict[str, Any]] = [
            {"given": str(g), "suggested": str(s), "rows": int(pairs.loc[g, s])}
            for g in pairs.index for s in pairs.columns if pairs.loc[g, s] > 0]
        per_pair.sort(key=lambda p: (-int(p["rows"]), p["given"], p["suggested"]))
        off = calibrated.sum() - np.trace(calibrated)

        def matrix(m: np.ndarray, cast: Any) -> dict[str, dict[str, Any]]:
            return {g: {t: cast(m[i, j]) for j, t in enumerate(names)}
                    for i, g in enumerate(names)}

        return {
            "rows": int(len(codes)),
            "classes": {c: int(n) for c, n in zip(names, counts, strict=True)},
            "folds": {"n_folds": int(len(np.unique(self.folds_))), "mode": mode,
                      "random_state": self.random_state},
            # without the memory addresses some reprs carry: the report is a pipeline output
            # and must not change between identical runs
            "estimator": re.sub(r" at 0x[0-9a-fA-F]+", "", repr(self._estimator())),
            "rank_by": self.rank_by,
            "out_of_fold": q,
            "abstain": {"abstained": self.abstained_, "criterion": "lift_over_majority",
                        "value": q["lift_over_majority"], "threshold": self.min_lift,
                        "reason": reason},
            "thresholds": {c: float(t) for c, t in zip(names, self.thresholds_, strict=True)},
            "confident_joint": matrix(self.confident_joint_, int),
            "noise_matrix": matrix(self.noise_matrix_, float),
            "noise_matrix_axes": "noise_matrix[given][true] = p(given label | true label)",
            "prior": {c: float(p) for c, p in zip(names, self.prior_, strict=True)},
            "estimated_wrong_labels": float(off),
            "max_given_prob": self.max_given_prob,
            "rule": ("pruned by noise rate; class, pair and row judged (docs/labels.md)"),
            "pruned_by_noise_rate": int(self.pruned_.sum()) if not self.abstained_ else 0,
            "not_judged": {names[j]: why for j, why in enumerate(self.class_why_) if why},
            "pairs": [{**p, "classes": [names[p["classes"][0]], names[p["classes"][1]]]}
                      for p in self.pairs_ if p["verdict"] != "judged" or any(p["candidates"])],
            "pairs_axes": ("per pair [a, b]: index 0 is rows labelled a that the model puts "
                           "in b, index 1 the reverse"),
            "withheld_by": self.withheld_by_ if not self.abstained_ else {},
            "withheld": int(issues.withheld.sum()),
            "issues": int(issues.is_issue.sum()),
            "issues_per_pair": per_pair,
            "baseline_disagreements": int(issues.disagrees.sum()),
        }


def find_label_issues(X: Any, y: Any, *, groups: Any = None, time: Any = None,
                      **params: Any) -> LabelIssues:
    """``LabelAudit(**params).fit(X, y, groups=groups, time=time).issues_``.

    >>> X = np.array([[0.0], [0.1], [0.2], [0.3], [5.0], [5.1], [5.2], [5.3]] * 3)
    >>> y = (["a"] * 4 + ["b"] * 4) * 3
    >>> int(find_label_issues(X, y, n_folds=3).is_issue.sum())
    0
    """
    return LabelAudit(**params).fit(X, y, groups=groups, time=time).issues_
