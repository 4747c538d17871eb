"""Confident learning (Northcutt, Jiang and Chuang, JAIR 70, 2021) on out-of-fold
probabilities, in numpy.

Notation: ``labels`` are the given (possibly wrong) class codes ``0..K-1``, ``probs`` the
out-of-fold predicted probabilities, row ``i`` of ``probs`` for row ``i`` of the data.

1. Per-class thresholds ``t_j``: the mean self-confidence ``p(j | x)`` over the rows
   labelled ``j`` (:func:`class_thresholds`).
2. The confident joint ``C[i, j]``: rows labelled ``i`` whose probability of ``j`` reaches
   ``t_j`` (the largest such ``j`` when several do) (:func:`confident_joint`).
3. Calibration: each row of ``C`` rescaled to the given count of its label, the whole to
   ``n`` rows; ``Q = C_cal / n`` is the estimated joint of given and true label
   (:func:`calibrate`).
4. The noise matrix ``p(given = i | true = j)`` and the prior of the true labels
   (:func:`noise_matrix`).
5. ``prune_by_noise_rate``: from the rows labelled ``i``, the ``round(n * Q[i, j])`` rows
   with the largest margin ``p(j | x) - p(i | x)``, for every ``i != j``; a row whose
   predicted class is its given label is never flagged (:func:`prune_by_noise_rate`).
6. Ranking of the flagged rows by self-confidence or normalised margin
   (:func:`rank_scores`).

This is an independent implementation: cleanlab is AGPL-3.0, which an Apache-2.0
package cannot depend on.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

RankBy = Literal["self_confidence", "normalized_margin"]
"""How flagged rows are ordered: by ``p(given | x)`` or by ``p(given | x) - max_{k != given}
p(k | x)``, both ascending (most suspicious first)."""

__all__ = ["RankBy", "calibrate", "class_thresholds", "confident_joint", "noise_matrix",
           "prune_by_noise_rate", "rank_scores"]


def class_thresholds(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """``t_j``: the mean probability of class ``j`` over the rows labelled ``j``.

    A class with no rows gets threshold 1 (no row can be confidently counted for it
    unless its probability is 1).

    >>> class_thresholds(np.array([0, 0, 1]), np.array([[.9, .1], [.7, .3], [.2, .8]]))
    array([0.8, 0.8])
    """
    k = probs.shape[1]
    sums = np.zeros(k)
    np.add.at(sums, labels, probs[np.arange(len(labels)), labels])
    counts = np.bincount(labels, minlength=k)
    return np.where(counts > 0, sums / np.maximum(counts, 1), 1.0)


def confident_joint(labels: np.ndarray, probs: np.ndarray,
                    thresholds: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The confident joint ``C[given, true]`` and each row's confident class (-1: none).

    A row counts for class ``j`` when ``p(j | x) >= t_j``; when several classes qualify,
    the one with the largest probability.

    >>> C, true = confident_joint(np.array([0, 0, 1]), np.array([[.9, .1], [.2, .8], [.2, .8]]))
    >>> C.tolist(), true.tolist()
    ([[1, 1], [0, 1]], [0, 1, 1])
    """
    k = probs.shape[1]
    t = class_thresholds(labels, probs) if thresholds is None else thresholds
    above = probs >= t[None, :] - 1e-9
    masked = np.where(above, probs, -np.inf)
    true = np.where(above.any(axis=1), masked.argmax(axis=1), -1)
    C = np.zeros((k, k), dtype=np.int64)
    keep = true >= 0
    np.add.at(C, (labels[keep], true[keep]), 1)
    return C, true


def calibrate(C: np.ndarray, label_counts: np.ndarray) -> np.ndarray:
    """``C`` with every row rescaled to the given count of its label, then the whole to
    ``sum(label_counts)`` (the paper's eq. 2); rows of ``C`` that are all zero keep the
    given count on the diagonal.

    >>> calibrate(np.array([[3, 1], [0, 2]]), np.array([8, 4])).tolist()
    [[6.0, 2.0], [0.0, 4.0]]
    """
    C = C.astype(float)
    rows = C.sum(axis=1)
    out = np.where(rows[:, None] > 0, C / np.maximum(rows, 1)[:, None] * label_counts[:, None],
                   0.0)
    empty = rows == 0
    out[empty, empty] = label_counts[empty]
    total = out.sum()
    return out / total * label_counts.sum() if total > 0 else out


def noise_matrix(C_cal: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From the calibrated joint counts: the joint ``Q = p(given, true)``, the noise matrix
    ``p(given | true)`` (columns sum to 1) and the prior ``p(true)``.

    >>> Q, noise, prior = noise_matrix(np.array([[6.0, 2.0], [0.0, 4.0]]))
    >>> noise.round(2).tolist(), prior.round(2).tolist()
    ([[1.0, 0.33], [0.0, 0.67]], [0.5, 0.5])
    """
    Q = C_cal / max(C_cal.sum(), 1e-12)
    prior = Q.sum(axis=0)
    noise = np.where(prior[None, :] > 0, Q / np.maximum(prior, 1e-12)[None, :], 0.0)
    empty = prior == 0
    noise[empty, empty] = 1.0
    return Q, noise, prior


def prune_by_noise_rate(labels: np.ndarray, probs: np.ndarray, Q: np.ndarray, *,
                        min_per_class: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Flag, among the rows labelled ``i``, the ``round(n * Q[i, j])`` with the largest
    margin ``p(j | x) - p(i | x)``, for every pair ``i != j``.

    A class never loses more than its row count less ``min_per_class``. Rows whose
    predicted class equals their given label are not flagged. Returns the mask of
    flagged rows and, for each, the class ``j`` it was flagged for (-1 elsewhere; when
    a row is flagged for several, the largest margin).

    >>> probs = np.array([[.9, .1], [.8, .2], [.1, .9], [.2, .8], [.3, .7]])
    >>> Q = np.array([[.2, 0.], [.2, .6]])  # one of the four rows labelled 1 is a 0
    >>> mask, to = prune_by_noise_rate(np.array([0, 1, 1, 1, 1]), probs, Q)
    >>> mask.tolist(), to.tolist()
    ([False, True, False, False, False], [-1, 0, -1, -1, -1])
    """
    n, k = probs.shape
    counts = np.bincount(labels, minlength=k)
    prune = np.rint(n * Q).astype(np.int64)
    np.fill_diagonal(prune, 0)
    best = np.full(n, -np.inf)
    to = np.full(n, -1, dtype=np.int64)
    for i in range(k):
        rows = np.flatnonzero(labels == i)
        allowed = max(0, int(counts[i]) - min_per_class)
        want = prune[i].copy()
        if want.sum() > allowed:  # scale down, keeping the proportions between pairs
            want = np.floor(want * allowed / want.sum()).astype(np.int64)
        for j in np.flatnonzero(want):
            margin = probs[rows, j] - probs[rows, i]
            # stable: ties broken by row order, so the result does not depend on the sort
            order = np.argsort(-margin, kind="stable")[: int(want[j])]
            chosen, m = rows[order], margin[order]
            better = m > best[chosen]
            best[chosen[better]] = m[better]
            to[chosen[better]] = j
    mask = to >= 0
    mask &= probs.argmax(axis=1) != labels
    to[~mask] = -1
    return mask, to


def rank_scores(labels: np.ndarray, probs: np.ndarray, by: RankBy = "self_confidence"
                ) -> np.ndarray:
    """Label-quality scores (low: likely wrong): self-confidence ``p(given | x)`` or the
    normalised margin ``(p(given | x) - max_{k != given} p(k | x) + 1) / 2``.

    >>> rank_scores(np.array([0, 1]), np.array([[.7, .3], [.6, .4]]), "normalized_margin")
    array([0.7, 0.4])
    """
    idx = np.arange(len(labels))
    self_conf = probs[idx, labels]
    if by == "self_confidence":
        return self_conf
    if by != "normalized_margin":
        raise ValueError(f"expected rank_by in ('self_confidence', 'normalized_margin'), "
                         f"found {by!r}")
    others = probs.copy()
    others[idx, labels] = -np.inf
    return (self_conf - others.max(axis=1) + 1.0) / 2.0
