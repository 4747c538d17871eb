"""Which classes and class pairs the out-of-fold model can judge at all.

Confident learning flags a row when the model prefers another class. That points at a
wrong label only where the model can tell the two classes apart, so before a flag
stands the audit asks two questions, neither with a threshold fitted to any dataset:

**Is the class judged?** (:func:`class_judgement`) A class is not judged when the
out-of-fold model confirms fewer than ``min_rows`` of the rows carrying its label (a
class the model cannot learn cannot contradict or be contradicted: MQTTset's two-row
class), or when its out-of-fold recall on its given labels is no better than chance,
its share of the rows (what a guess drawn in proportion to the class sizes would get).
Rows of a class not judged are not flagged, and no row is flagged *to* it.

**Can the model tell the pair apart?** (:func:`pair_judgement`) A row is *undecided*
between its two most probable classes when the runner-up holds at least half the
leader's probability (odds of 2 to 1 or closer). Where two classes share a region of
feature space (CIC-IDS2017's two portscan classes) the model splits its vote, and the
rows confident learning flags between them are mostly such undecided rows: their label
is as good as the other. A wrong label in a region the model knows is contradicted by
a lopsided vote, and stays so while under a third of the region's rows carry that wrong
label (with a third, the vote is 2 to 1). A pair is *cannot tell* when at least half of
the rows flagged between its two classes are undecided: the flags there are then more
split vote than contradiction. They are withheld and reported, the pair's other flags
with them.

>>> import numpy as np
>>> probs = np.array([[.5, .5, 0], [.6, .4, 0], [.4, .6, 0], [.1, .9, 0], [0, .05, .95]])
>>> undecided_pairs(probs).tolist()
[[0, 3, 0], [3, 0, 0], [0, 0, 0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["MIN_CLASS_ROWS", "UNDECIDED_ODDS", "class_judgement", "pair_judgement",
           "undecided_pairs"]

MIN_CLASS_ROWS = 10
"""Fewest rows of a class the out-of-fold model must confirm for the class to be judged:
the same 10 rows the evaluation asks of a class before it gives its recall an interval
(``iotforge.curation.bootstrap.MIN_CLASS_ROWS``)."""

UNDECIDED_ODDS = 2.0
"""A row is undecided between its two most probable classes when the leader's
probability is at most this many times the runner-up's."""


def undecided_pairs(probs: np.ndarray, odds: float = UNDECIDED_ODDS) -> np.ndarray:
    """``U[i, j]`` (symmetric): rows whose two most probable classes are ``i`` and ``j``
    with the leader at most ``odds`` times the runner-up."""
    n, k = probs.shape
    U = np.zeros((k, k), dtype=np.int64)
    if k < 2 or n == 0:
        return U
    top = np.argsort(-probs, axis=1, kind="stable")[:, :2]
    first = probs[np.arange(n), top[:, 0]]
    second = probs[np.arange(n), top[:, 1]]
    close = (second > 0) & (first <= odds * second)
    np.add.at(U, (top[close, 0], top[close, 1]), 1)
    return U + U.T


def class_judgement(codes: np.ndarray, probs: np.ndarray, *,
                    min_rows: int = MIN_CLASS_ROWS) -> tuple[np.ndarray, list[str]]:
    """Which classes are judged, and for each one that is not, why (``""`` if judged).

    >>> codes = np.array([0] * 20 + [1] * 20 + [2] * 3)
    >>> probs = np.eye(3)[np.r_[[0] * 20, [1] * 20, [0, 0, 2]]]
    >>> ok, why = class_judgement(codes, probs)
    >>> ok.tolist(), why[2]
    ([True, True, False], 'the out-of-fold model confirms 1 of its 3 rows (fewer than 10)')
    """
    k = probs.shape[1]
    pred = probs.argmax(axis=1)
    counts = np.bincount(codes, minlength=k)
    confirmed = np.bincount(codes[pred == codes], minlength=k)
    ok = np.ones(k, dtype=bool)
    why = [""] * k
    n = max(len(codes), 1)
    for j in range(k):
        if counts[j] == 0:
            continue
        recall = confirmed[j] / counts[j]
        if confirmed[j] < min_rows:
            ok[j] = False
            why[j] = (f"the out-of-fold model confirms {confirmed[j]} of its {counts[j]} rows "
                      f"(fewer than {min_rows})")
        elif recall <= counts[j] / n:
            ok[j] = False
            why[j] = (f"out-of-fold recall {recall:.3f} is no better than chance (its share "
                      f"of the rows, {counts[j] / n:.3f})")
    return ok, why


def pair_judgement(codes: np.ndarray, probs: np.ndarray, flagged: np.ndarray,
                   suggested: np.ndarray, odds: float = UNDECIDED_ODDS
                   ) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Pairs the model cannot tell apart: a boolean ``k x k`` (symmetric) and, for every
    pair with flags, its counts (``flagged``; ``undecided``, how many of those are
    undecided rows; ``cannot_tell``).

    >>> probs = np.array([[.5, .5], [.45, .55], [.55, .45], [.05, .95], [.9, .1]])
    >>> codes = np.array([0, 0, 1, 0, 1])
    >>> suggested = np.array([1, 1, 0, 1, 0])
    >>> bad, rows = pair_judgement(codes, probs, np.array([1, 1, 0, 1, 0], bool), suggested)
    >>> bool(bad[0, 1]), rows[0]["undecided"], rows[0]["flagged"]
    (True, 2, 3)
    >>> bad, rows = pair_judgement(codes, probs, np.array([0, 0, 0, 1, 0], bool), suggested)
    >>> bool(bad[0, 1]), rows[0]["undecided"], rows[0]["flagged"]
    (False, 0, 1)
    """
    k = probs.shape[1]
    idx = np.flatnonzero(flagged)
    p_given = probs[idx, codes[idx]]
    p_sugg = probs[idx, suggested[idx]]
    split = (p_given > 0) & (p_sugg <= odds * p_given)
    F = np.zeros((k, k), dtype=np.int64)
    U = np.zeros((k, k), dtype=np.int64)
    np.add.at(F, (codes[idx], suggested[idx]), 1)
    np.add.at(U, (codes[idx[split]], suggested[idx[split]]), 1)
    F, U = F + F.T, U + U.T
    bad = np.zeros((k, k), dtype=bool)
    rows: list[dict[str, Any]] = []
    for i in range(k):
        for j in range(i + 1, k):
            if F[i, j] == 0:
                continue
            cannot = bool(2 * U[i, j] >= F[i, j])
            bad[i, j] = bad[j, i] = cannot
            rows.append({"classes": [i, j], "flagged": int(F[i, j]),
                         "undecided": int(U[i, j]), "cannot_tell": cannot})
    return bad, rows
