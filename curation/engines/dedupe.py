"""Global exact-duplicate detection over partitions: a hash shuffle in two steps.

Every partition holds the raw-record hashes of its clean rows
(:attr:`iotforge.curation.clean.CleanResult.row_hash`). Each partition splits them into
``n`` buckets by hash (:func:`split_buckets`); one task per bucket gets that bucket
of every partition and decides, for each row, whether an earlier row has the same
hash (:func:`bucket_duplicates`). "Earlier" is the local engine's order: files in
input order, then partitions in byte order, then rows in line order. Two rows with
equal hashes always meet in one bucket, so the dedupe is global, and no task ever
holds more than one bucket of the hashes.

>>> import numpy as np
>>> h0 = np.array([5, 7, 5], dtype=np.uint64)   # partition 0 of file 0
>>> h1 = np.array([7, 9], dtype=np.uint64)      # partition 1, file 1
>>> pieces = [(0, 0, *split_buckets(h0, 1)[0]), (1, 1, *split_buckets(h1, 1)[0])]
>>> out = bucket_duplicates(pieces)
>>> out[0], out[1]
((array([2]), array([2])), (array([0]), array([], dtype=int64)))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["Duplicates", "Piece", "bucket_duplicates", "duplicates_of", "split_buckets"]

Piece = tuple[int, int, np.ndarray, np.ndarray]
"""``(partition, file, row positions, hashes)``: one bucket of one partition."""

Duplicates = tuple[np.ndarray, np.ndarray]
"""Row positions of a partition that repeat an earlier row of any file, and of the same
file."""


def split_buckets(h: np.ndarray, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(positions, hashes)`` of the rows in each of ``n`` buckets, positions ascending.

    >>> [p.tolist() for p, _ in split_buckets(np.arange(6, dtype=np.uint64) << 40, 2)]
    [[0, 2, 4], [1, 3, 5]]
    """
    h = np.asarray(h, dtype=np.uint64)
    if n <= 1:
        return [(np.arange(len(h), dtype=np.int64), h)]
    bucket = ((h >> np.uint64(40)) % np.uint64(n)).astype(np.int64)
    order = np.argsort(bucket, kind="stable")
    bounds = np.searchsorted(bucket[order], np.arange(n + 1))
    return [(order[bounds[b]:bounds[b + 1]].astype(np.int64), h[order[bounds[b]:bounds[b + 1]]])
            for b in range(n)]


def bucket_duplicates(pieces: Sequence[Piece]) -> dict[int, Duplicates]:
    """For each partition, its rows whose hash an earlier row has (anywhere; in its file).

    ``pieces`` come in any order; partition numbers give the order of partitions, and
    partitions of one file have consecutive numbers.
    """
    if not pieces:
        return {}
    parts = np.concatenate([np.full(len(pos), p, dtype=np.int64) for p, _, pos, _ in pieces])
    files = np.concatenate([np.full(len(pos), f, dtype=np.int64) for _, f, pos, _ in pieces])
    pos = np.concatenate([np.asarray(pos, dtype=np.int64) for _, _, pos, _ in pieces])
    h = np.concatenate([np.asarray(hh, dtype=np.uint64) for _, _, _, hh in pieces])
    order = np.lexsort((pos, parts, h))
    h, parts, files, pos = h[order], parts[order], files[order], pos[order]
    new_hash = np.r_[True, h[1:] != h[:-1]] if len(h) else np.zeros(0, dtype=bool)
    new_in_file = new_hash | np.r_[True, files[1:] != files[:-1]] if len(h) else new_hash
    out: dict[int, Duplicates] = {}
    for p in sorted({p for p, _, _, _ in pieces}):
        mine = parts == p
        out[p] = (np.sort(pos[mine & ~new_hash]), np.sort(pos[mine & ~new_in_file]))
    return out


def duplicates_of(results: Sequence[dict[int, Duplicates]], part: int,
                  n: int) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks over a partition's ``n`` rows from every bucket's result."""
    anywhere = np.zeros(n, dtype=bool)
    in_file = np.zeros(n, dtype=bool)
    for res in results:
        if part in res:
            anywhere[res[part][0]] = True
            in_file[res[part][1]] = True
    return anywhere, in_file
