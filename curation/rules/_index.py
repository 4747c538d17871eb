"""Hashes of the records seen so far, in sorted runs: the dedupe's memory.

:class:`DuplicateIndex` answers "seen before?" (8 bytes per distinct record);
:class:`FirstIndex` also answers "first seen where?" (16 bytes per distinct record).
"""

from __future__ import annotations

import numpy as np


class DuplicateIndex:
    """Hashes seen so far: 8 bytes per distinct row, amortised O(log n) per row.

    Hashes live in sorted runs whose sizes at least halve from one run to the next
    (a new run is merged into the one before it until they do), so there are
    O(log n) runs and a batch never re-sorts everything seen before it; merging two
    sorted runs is one linear pass (numpy's stable sort finds the runs).

    >>> index = DuplicateIndex()
    >>> index.new_rows(np.array([3, 5, 3], np.uint64)).tolist()
    [True, True, False]
    >>> index.new_rows(np.array([5, 7], np.uint64)).tolist()
    [False, True]
    """

    MAX_RUNS = 8
    """Runs are also merged when there are more than this many (a cap for tests)."""

    def __init__(self) -> None:
        self.runs: list[np.ndarray] = []

    def _known(self, h: np.ndarray) -> np.ndarray:
        """Which of the sorted hashes ``h`` are in a run (sorted needles keep each
        binary search near the last one)."""
        known = np.zeros(len(h), dtype=bool)
        for run in self.runs:
            if len(run):
                pos = np.minimum(np.searchsorted(run, h), len(run) - 1)
                known |= run[pos] == h
        return known

    def new_rows(self, h: np.ndarray) -> np.ndarray:
        """Which of the hashes ``h`` were not seen before (in earlier calls or in ``h``)."""
        if len(h) == 0:
            return np.zeros(0, dtype=bool)
        order = np.argsort(h, kind="stable")  # equal hashes: the first row first
        ordered = h[order]
        new = np.ones(len(h), dtype=bool)
        new[1:] = ordered[1:] != ordered[:-1]
        new &= ~self._known(ordered)
        self.runs.append(ordered[new])
        while len(self.runs) > 1 and (len(self.runs[-2]) <= 2 * len(self.runs[-1])
                                      or len(self.runs) > self.MAX_RUNS):
            last = self.runs.pop()
            merged = np.concatenate((self.runs.pop(), last))
            merged.sort(kind="stable")
            self.runs.append(merged)
        keep = np.empty(len(h), dtype=bool)
        keep[order] = new
        return keep


class FirstIndex:
    """Hashes seen so far with where each was first seen: 16 bytes per distinct hash.

    ``where`` is any int64 that names a record (a file number and a record number);
    runs are kept as :class:`DuplicateIndex` keeps them.

    >>> index = FirstIndex()
    >>> index.first(np.array([3, 5, 3], np.uint64), np.array([10, 11, 12])).tolist()
    [10, 11, 10]
    >>> index.first(np.array([5, 7], np.uint64), np.array([13, 14])).tolist()
    [11, 14]
    """

    MAX_RUNS = 8

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []

    def first(self, h: np.ndarray, where: np.ndarray) -> np.ndarray:
        """For each hash, the ``where`` of its first occurrence (an earlier call, or an
        earlier position of ``h``: the row's own ``where`` when it is the first)."""
        n = len(h)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        order = np.argsort(h, kind="stable")
        ordered, at = h[order], np.asarray(where, dtype=np.int64)[order]
        head = np.r_[True, ordered[1:] != ordered[:-1]]
        found = at[np.maximum.accumulate(np.where(head, np.arange(n), 0))]
        known = np.zeros(n, dtype=bool)
        for hashes, firsts in self.runs:
            if len(hashes):
                pos = np.minimum(np.searchsorted(hashes, ordered), len(hashes) - 1)
                hit = (hashes[pos] == ordered) & ~known
                found[hit] = firsts[pos[hit]]
                known |= hit
        new = head & ~known
        self.runs.append((ordered[new], at[new]))
        while len(self.runs) > 1 and (len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0])
                                      or len(self.runs) > self.MAX_RUNS):
            (h2, w2), (h1, w1) = self.runs.pop(), self.runs.pop()
            hashes = np.concatenate((h1, h2))
            merge = np.argsort(hashes, kind="stable")
            self.runs.append((hashes[merge], np.concatenate((w1, w2))[merge]))
        out = np.empty(n, dtype=np.int64)
        out[order] = found
        return out


__all__ = ["DuplicateIndex", "FirstIndex"]
