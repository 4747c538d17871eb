"""Global duplicate detection over partitions: a hash shuffle in two steps.

Every partition holds the raw-record hashes of its clean rows
(:attr:`iotforge.curation.clean.CleanResult.row_hash`) and the same without their id
columns (``id_free_hash``; the raw hash where a file has no id column). Each partition
splits them into ``n`` buckets by the id-free hash (:func:`split_buckets`); one task per
bucket gets that bucket of every partition and decides, for each row, whether an
earlier row has the same raw hash (``exact_duplicate``) and which earlier row first
had its id-free hash (``repeated_except_id``) (:func:`bucket_duplicates`). "Earlier"
is the local engine's order: files in input order, then partitions in byte order,
then rows in line order. Equal records are equal without their ids, so two rows with
equal hashes of either kind always meet in one bucket: the dedupe is global, and no
task ever holds more than one bucket of the hashes.

>>> import numpy as np
>>> h0 = np.array([5, 7, 5], dtype=np.uint64)   # partition 0 of file 0
>>> h1 = np.array([7, 9], dtype=np.uint64)      # partition 1, file 1
>>> rows = np.arange(3)
>>> pieces = [(0, 0, *split_buckets(h0, 1)[0], h0, rows),
...           (1, 1, *split_buckets(h1, 1)[0], h1, rows[:2])]
>>> out = bucket_duplicates(pieces)
>>> out[0][:2], out[1][:2]
((array([2]), array([2])), (array([0]), array([], dtype=int64)))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..rules.duplicates import FILE_SHIFT

__all__ = ["Duplicates", "Piece", "bucket_duplicates", "duplicates_of",
           "split_buckets"]


Piece = tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""``(partition, file, row positions, raw hashes, id-free hashes, source rows)``: one
bucket of one partition."""

Duplicates = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""Row positions of a partition that repeat an earlier row of any file, and of the same
file; then the positions whose id-free record an earlier row of any file has, with
that first row (``file << FILE_SHIFT | source_row``), and the same within the file."""



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
    parts = np.concatenate([np.full(len(pc[2]), pc[0], dtype=np.int64) for pc in pieces])
    files = np.concatenate([np.full(len(pc[2]), pc[1], dtype=np.int64) for pc in pieces])
    pos = np.concatenate([np.asarray(pc[2], dtype=np.int64) for pc in pieces])
    h = np.concatenate([np.asarray(pc[3], dtype=np.uint64) for pc in pieces])
    free = np.concatenate([np.asarray(pc[4], dtype=np.uint64) for pc in pieces])
    where = np.concatenate([(np.int64(pc[1]) << FILE_SHIFT) | np.asarray(pc[5], np.int64)
                            for pc in pieces])
    new_hash, new_in_file = _firsts(h, parts, files, pos)
    first_any, first_file = _first_where(free, parts, files, pos, where)
    out: dict[int, Duplicates] = {}
    for p in sorted({pc[0] for pc in pieces}):
        mine = parts == p
        rep_any = mine & (first_any != where)
        rep_file = mine & (first_file != where)
        out[p] = (np.sort(pos[mine & ~new_hash]), np.sort(pos[mine & ~new_in_file]),
                  pos[rep_any], first_any[rep_any], pos[rep_file], first_file[rep_file])
    return out


def _firsts(h: np.ndarray, parts: np.ndarray, files: np.ndarray, pos: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Whether each row is the first with its hash (anywhere; in its file), in place."""
    order = np.lexsort((pos, parts, h))
    hs, fs = h[order], files[order]
    new = np.r_[True, hs[1:] != hs[:-1]] if len(h) else np.zeros(0, dtype=bool)
    new_file = new | np.r_[True, fs[1:] != fs[:-1]] if len(h) else new
    any_, file_ = np.empty_like(new), np.empty_like(new)
    any_[order], file_[order] = new, new_file
    return any_, file_


def _first_where(h: np.ndarray, parts: np.ndarray, files: np.ndarray, pos: np.ndarray,
                 where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row, ``where`` of the first row with its hash (anywhere; in its file)."""
    n = len(h)
    if not n:
        return where.copy(), where.copy()
    order = np.lexsort((pos, parts, h))
    hs, fs, ws = h[order], files[order], where[order]
    head = np.r_[True, hs[1:] != hs[:-1]]
    head_file = head | np.r_[True, fs[1:] != fs[:-1]]
    idx = np.arange(n)
    any_, file_ = np.empty(n, np.int64), np.empty(n, np.int64)
    any_[order] = ws[np.maximum.accumulate(np.where(head, idx, 0))]
    file_[order] = ws[np.maximum.accumulate(np.where(head_file, idx, 0))]
    return any_, file_


def duplicates_of(results: Sequence[dict[int, Duplicates]], part: int, n: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Over a partition's ``n`` rows, from every bucket's result: boolean masks of the
    exact duplicates (anywhere; in the file), and the first occurrence of each row's
    id-free record where an earlier row has it (anywhere; in the file), else -1."""
    anywhere = np.zeros(n, dtype=bool)
    in_file = np.zeros(n, dtype=bool)
    first_any = np.full(n, -1, dtype=np.int64)
    first_file = np.full(n, -1, dtype=np.int64)
    for res in results:
        if part in res:
            found = res[part]
            anywhere[found[0]] = True
            in_file[found[1]] = True
            first_any[found[2]] = found[3]
            first_file[found[4]] = found[5]
    return anywhere, in_file, first_any, first_file
