"""Which classes, class pairs and rows the out-of-fold model can judge at all.

Confident learning flags a row when the model prefers another class. That points at a
wrong label only where the model can tell the two classes apart, so before a flag
stands the audit asks three questions, none with a threshold fitted to any dataset:

**Is the class judged?** (:func:`class_judgement`) A class is judged when the model
confirms more of the rows carrying its label than chance explains: a guess drawn in
proportion to the class sizes confirms a class's share of its rows, and the confirmed
count must lie in the binomial upper tail below 1 % (Bonferroni over the classes). The
model's vote for a class it cannot learn means nothing, so no row is flagged *to* it;
its own rows may be flagged to a class the model has learned (CIC-IDS2017's
``sql_injection``: 10 real rows under 140 uniform flips from well-learned classes), but
it keeps its ``min_class_rows`` (10) most self-confident rows, all of them when it has
fewer (:func:`keep_last_rows`): a rare attack the model cannot learn is not flagged
away, and MQTTset's one-row ``mqtt_flood`` keeps its real row among the few that carry
its name.

**Can the model tell the pair apart?** (:func:`pair_judgement`) Label noise moves rows
*one way*: the rows of true class ``j`` that carry label ``i`` are found as rows labelled
``i`` that the model confidently puts in ``j`` (the confident joint ``C[i, j]``), and
nothing about that error puts rows the other way. Two classes that share a region of
feature space (CIC-IDS2017's "Portscan" and "Infiltration - Portscan": the same scan
from two machines) are confused *both ways*, far beyond the background confusion the
model shows between other classes. So a pair is tested against the background:
``b``, the median over ordered pairs of ``C[i, j] / C[:, j].sum()`` (the share of a
class's confident rows that carry one particular other label; under uniform noise
every pair sits near it), gives each cell an expected count ``b * C[:, j].sum()``; a
direction is *beyond background* when its count is improbable under a Poisson law of
that mean (upper tail below ``alpha`` over the number of pairs: Bonferroni). A pair
confused beyond background both ways is *mutual*. In a mutual pair, the direction
``i <- j`` is not judged when its reverse holds at least half as many rows
(``C[j, i] >= C[i, j] / 2``): then at most half of its count exceeds the symmetric
confusion, so most of its flags are expected to be the classes' overlap, not wrong
labels. One-way noise on top of an overlap (5 % of the benign rows labelled as an
attack that partly overlaps benign traffic) keeps its direction judged: its count far
exceeds the reverse.

**Does the model prefer the other class clearly?** (:func:`decided`) A flagged row's
suggested class must hold at least ``odds`` (2) times the probability of its given
label. A wrong label in a region the model knows is contradicted by a lopsided vote,
and stays so while under a third of the region's rows carry that wrong label (at a
third the vote is 2 to 1); closer votes are rows the model is unsure of.

>>> import numpy as np
>>> C = np.array([[500, 60, 3], [55, 500, 4], [2, 3, 500]])
>>> bad, rows = pair_judgement(C)
>>> bad.astype(int).tolist()
[[0, 1, 0], [1, 0, 0], [0, 0, 0]]
>>> [r["verdict"] for r in rows]
['cannot tell', 'judged', 'judged']
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["CLASS_ALPHA", "MIN_CLASS_ROWS", "MUTUAL_ALPHA", "UNDECIDED_ODDS", "background",
           "class_judgement", "decided", "keep_last_rows", "pair_judgement"]

MIN_CLASS_ROWS = 10
"""Rows a class the model cannot learn keeps however many of its rows point elsewhere
(all of them when it has fewer): the evaluation's own least number of test rows for a
per-class interval (``iotforge.curation.bootstrap.MIN_CLASS_ROWS``), the fewest from
which anything is said about a class."""

UNDECIDED_ODDS = 2.0
"""A flagged row's suggested class must hold at least this many times the probability of
its given label."""

CLASS_ALPHA = 0.01
"""Family-wise level of the test "the model confirms more of this class's rows than
chance" (Bonferroni over the classes)."""

MUTUAL_ALPHA = 0.01
"""Family-wise level of the test "this direction of the pair is confused beyond the
background" (Bonferroni over the ordered pairs)."""


def class_judgement(codes: np.ndarray, probs: np.ndarray, *, alpha: float = CLASS_ALPHA
                    ) -> tuple[np.ndarray, list[str]]:
    """Which classes are judged, and for each one that is not, why (``""`` if judged).

    A class is judged when the rows the out-of-fold model confirms (predicts as their
    given label) are more than chance explains: under a guess drawn in proportion to the
    class sizes, the confirmed count of a class of ``n_c`` rows out of ``n`` is
    Binomial(``n_c``, ``n_c / n``); its upper tail must be below ``alpha`` over the
    number of classes (Bonferroni).

    >>> codes = np.array([0] * 20 + [1] * 20 + [2] * 3)
    >>> probs = np.eye(3)[np.r_[[0] * 20, [1] * 20, [0, 0, 0]]]
    >>> ok, why = class_judgement(codes, probs)
    >>> ok.tolist(), why[2][:58]
    ([True, True, False], 'the out-of-fold model confirms 0 of its 3 rows, no more th')
    """
    from scipy.stats import binom

    k = probs.shape[1]
    pred = probs.argmax(axis=1)
    counts = np.bincount(codes, minlength=k)
    confirmed = np.bincount(codes[pred == codes], minlength=k)
    ok = np.ones(k, dtype=bool)
    why = [""] * k
    n = max(len(codes), 1)
    level = alpha / max(int((counts > 0).sum()), 1)
    for j in range(k):
        if counts[j] == 0:
            continue
        share = counts[j] / n
        p = float(binom.sf(confirmed[j] - 1, counts[j], share)) if confirmed[j] else 1.0
        if p >= level:
            ok[j] = False
            why[j] = (f"the out-of-fold model confirms {confirmed[j]} of its {counts[j]} rows, "
                      f"no more than chance explains (a guess in proportion to the class "
                      f"sizes confirms {share:.3f} of them; binomial p = {p:.2g}, needs < "
                      f"{level:.2g})")
    return ok, why


def background(C: np.ndarray) -> tuple[float, np.ndarray]:
    """The background share ``b`` and the expected count of every cell ``b * C[:, j].sum()``.

    ``b`` is the median of ``C[i, j] / C[:, j].sum()`` over the ordered pairs whose
    class ``j`` has confident rows, and at least half a row in the whole table (so that
    a table without any confusion does not make every single row improbable).

    >>> b, E = background(np.array([[90, 2, 0], [4, 80, 1], [6, 2, 99]]))
    >>> round(b, 4), E.round(2).tolist()[0]
    (0.0238, [2.38, 2.0, 2.38])
    """
    k = C.shape[0]
    col = C.sum(axis=0).astype(float)
    off = ~np.eye(k, dtype=bool) & (col[None, :] > 0)
    shares = (C / np.maximum(col, 1.0)[None, :])[off]
    b = float(np.median(shares)) if shares.size else 0.0
    b = max(b, 0.5 / max(float(col.sum()), 1.0))
    return b, np.broadcast_to(b * col[None, :], C.shape).copy()


def pair_judgement(C: np.ndarray, *, alpha: float = MUTUAL_ALPHA
                   ) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Directions the model cannot judge (``bad[i, j]``: rows labelled ``i`` suggested
    ``j``) from the confident joint ``C``, and for every pair with confident confusion,
    its counts both ways, their expected background counts and Poisson tail
    probabilities, and the verdict (``judged``, ``one way`` or ``cannot tell``).
    """
    from scipy.stats import poisson

    k = C.shape[0]
    b, E = background(C)
    p = poisson.sf(C - 1, E)  # P(X >= C[i, j]) for a Poisson of mean E[i, j]
    beyond = (p < alpha / max(k * (k - 1), 1)) & (C > 0) & ~np.eye(k, dtype=bool)
    mutual = beyond & beyond.T
    bad = mutual & (C.T * 2 >= C)
    rows: list[dict[str, Any]] = []
    for i in range(k):
        for j in range(i + 1, k):
            if C[i, j] == 0 and C[j, i] == 0:
                continue
            verdict = ("cannot tell" if bad[i, j] and bad[j, i]
                       else "one way" if bad[i, j] or bad[j, i] else "judged")
            rows.append({"classes": [i, j], "confident": [int(C[i, j]), int(C[j, i])],
                         "expected": [float(E[i, j]), float(E[j, i])],
                         "p_value": [float(p[i, j]), float(p[j, i])],
                         "judged": [not bool(bad[i, j]), not bool(bad[j, i])],
                         "verdict": verdict})
    return bad, rows


def decided(codes: np.ndarray, probs: np.ndarray, suggested: np.ndarray,
            odds: float = UNDECIDED_ODDS) -> np.ndarray:
    """Rows whose suggested class holds at least ``odds`` times the probability of the
    given label.

    >>> probs = np.array([[.3, .7], [.45, .55], [.1, .9]])
    >>> decided(np.array([0, 0, 0]), probs, np.array([1, 1, 1])).tolist()
    [True, False, True]
    """
    idx = np.arange(len(codes))
    return probs[idx, suggested] >= odds * probs[idx, codes]


def keep_last_rows(codes: np.ndarray, given_prob: np.ndarray, flagged: np.ndarray,
                   protected: np.ndarray, keep: int = MIN_CLASS_ROWS) -> np.ndarray:
    """Flagged rows to unflag so that every ``protected`` class keeps at least
    ``min(its rows, keep)`` rows unflagged: its flagged rows with the largest
    probability of their given label first (ties by row order).

    >>> codes = np.array([0, 0, 0, 0, 1, 1])
    >>> p = np.array([.1, .4, .2, .3, .05, .9])
    >>> flagged = np.array([1, 1, 1, 0, 1, 0], bool)
    >>> keep_last_rows(codes, p, flagged, np.array([True, False]), keep=3).tolist()
    [False, True, True, False, False, False]
    """
    out = np.zeros(len(codes), dtype=bool)
    for c in np.flatnonzero(protected):
        rows = np.flatnonzero(codes == c)
        short = min(len(rows), keep) - int((~flagged[rows]).sum())
        if short <= 0:
            continue
        cand = rows[flagged[rows]]
        order = cand[np.lexsort((cand, -given_prob[cand]))]
        out[order[:short]] = True
    return out
