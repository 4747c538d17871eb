"""Duplicate rules: repeated raw records, records repeated but for their ids, and equal
features with different labels.

``exact_duplicate`` keys each record by the hash of its whole raw record
(:func:`key_columns`, :mod:`iotforge.curation.rules._hash`) while the batch is cleaned, and
decides over the whole run with a :class:`DuplicateIndex`; ``repeated_except_id`` keys
it again without its id-role columns and finds, with a :class:`FirstIndex`, the first
record it repeats; ``conflicting_duplicate`` groups the written rows by the hash of their
cleaned features.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa

from ..schema import LABEL, ColumnSpec
from ._base import BatchContext, Effect, FileCheck, FileContext, FileRule
from ._hash import combine, row_hash, value_keys
from ._index import DuplicateIndex, FirstIndex

STEP = 50
"""Duplicate rules come last: they key the raw record and the rows written."""


def key_columns(
    column_names: Sequence[str],
    specs: Mapping[str, ColumnSpec],
    *,
    without_ids: bool = False,
) -> list[str]:
    """The columns whose raw values decide whether two records are duplicates.

    An exact duplicate is an identical raw record: every column the adapter reads,
    id-role ones (a row counter, a flow id, Zeek's ``uid``) included, and columns a
    mapping drops too (they are part of the record as written, even if not of the
    curated row). ``without_ids`` leaves the id-role columns out: the key of
    ``repeated_except_id``.

    Parameters
    ----------
    column_names : sequence of str
        Columns of a raw batch, as the adapter delivers them.
    specs : mapping of str to ColumnSpec
        The source's column specs (their roles name the id columns).
    without_ids : bool
        Leave out the ``id``-role columns.

    Returns
    -------
    list of str
        The key columns, in batch order.

    >>> specs = {"uid": ColumnSpec("uid", "id", "string"),
    ...          "bytes": ColumnSpec("bytes", "numeric", "float")}
    >>> key_columns(["uid", "bytes", "debug", "type"], specs)
    ['uid', 'bytes', 'debug', 'type']
    >>> key_columns(["uid", "bytes", "debug", "type"], specs, without_ids=True)
    ['bytes', 'debug', 'type']
    """
    return [c for c in column_names
            if not (without_ids and c in specs and specs[c].role == "id")]


def id_columns(column_names: Sequence[str], specs: Mapping[str, ColumnSpec]) -> list[str]:
    """The id-role columns of a raw batch, in batch order.

    >>> id_columns(["uid", "bytes"], {"uid": ColumnSpec("uid", "id", "string")})
    ['uid']
    """
    return [c for c in column_names if c in specs and specs[c].role == "id"]


def label_codes(labels: pa.ChunkedArray | pa.Array, codes: dict[str, int]) -> np.ndarray:
    """``labels`` as int32 codes, new labels added to ``codes`` in order; null is -1.

    >>> seen = {}
    >>> label_codes(pa.array(["dos", None, "normal", "dos"]), seen).tolist(), seen
    ([0, -1, 1, 0], {'dos': 0, 'normal': 1})
    """
    enc = (labels.combine_chunks() if isinstance(labels, pa.ChunkedArray)
           else labels).dictionary_encode()
    table = np.array([codes.setdefault(v, len(codes)) for v in enc.dictionary.to_pylist()]
                     + [-1], dtype=np.int32)
    return table[np.asarray(enc.indices.fill_null(len(table) - 1))]

_NAN_KEY = np.uint64(0x7FF8DEADBEEF0001)


def raw_keys(arr: pa.Array) -> np.ndarray:
    """A key per raw value, equal exactly when the values are identical as delivered.

    Text (what every text reader delivers) is keyed by its exact bytes: ``80`` and
    ``80.0``, ``inf`` and ``Infinity``, ``NaN`` and an empty field, ``tcp`` and
    `` tcp`` are different raw values, as Python's ``csv`` module reads them.
    Columns a reader typed itself (packets, Parquet) are keyed by value, with NaN apart
    from a null and ``inf`` apart from ``-inf``.

    >>> k = raw_keys(pa.array(["inf", "-inf", "NaN", "Infinity", "", "inf"]))
    >>> len(set(k.tolist())), bool(k[0] == k[5])
    (5, True)
    >>> k = raw_keys(pa.array([float("nan"), None, float("inf"), -float("inf")]))
    >>> len(set(k.tolist()))
    4
    """
    keys = value_keys(arr)
    if pa.types.is_floating(arr.type):
        values = np.asarray(arr.fill_null(0.0) if arr.null_count else arr, dtype=np.float64)
        nan = np.isnan(values)
        if arr.null_count:
            nan &= np.asarray(arr.is_valid())
        keys[nan] = _NAN_KEY
    return keys


class ExactDuplicate(FileRule):
    name = "exact_duplicate"
    detects = ("a record identical to an earlier one in its whole raw record, byte for "
               "byte as read (every column, id-role ones and columns a mapping drops "
               "included, before any rule changed a value), within and across the input "
               "files")
    policy = "drop"
    policies = ("drop", "report")
    unit = "rows"

    def apply(self, ctx: BatchContext) -> Effect:
        """The key of each raw record (every column's value exactly as delivered), and
        the same key without the id-role columns when the batch has any."""
        parts = {name: raw_keys(ctx.raw[name]) for name in ctx.table.column_names}
        if ctx.fixed_label is not None:
            label = value_keys(pa.array([ctx.fixed_label], pa.string()))[0]
            parts["\0fixed_label"] = np.full(ctx.n, label, dtype=np.uint64)
        ids = set(id_columns(ctx.table.column_names, ctx.specs))
        id_free = combine({k: v for k, v in parts.items() if k not in ids}, ctx.n) \
            if ids else None
        return Effect(row_hash=combine(parts, ctx.n), id_free_hash=id_free)

    def check(self, fctx: FileContext) -> FileCheck:
        return _DuplicateCheck(fctx)


class _DuplicateCheck(FileCheck):
    """``index`` holds every file's records so far; ``local`` (several inputs only)
    this file's, so that a record new here but known to ``index`` repeats an earlier
    file. The scope says which of the two decides a duplicate; ``new`` is the last
    batch's rows that are no duplicate under it."""

    def __init__(self, fctx: FileContext) -> None:
        self.index: DuplicateIndex = fctx.index if fctx.index is not None else DuplicateIndex()
        self.local = DuplicateIndex() if fctx.several else None
        self.scope = fctx.scope
        self.drop = fctx.policies.get(ExactDuplicate.name, ExactDuplicate.policy) == "drop"
        self.count = 0
        self.repeating = 0
        self.new = np.zeros(0, dtype=bool)

    def select(self, row_hash: np.ndarray) -> np.ndarray | None:
        new_overall = self.index.new_rows(row_hash)
        new = new_overall
        if self.local is not None:
            new_here = self.local.new_rows(row_hash)
            self.repeating += int((new_here & ~new_overall).sum())
            if self.scope == "file":
                new = new_here
        self.count += int((~new).sum())
        self.new = new
        return new if self.drop else None

    def finish(self) -> Effect:
        return Effect(count=self.count,
                      detail={"rows_repeating_earlier_files": self.repeating})


FILE_SHIFT = 40
"""A record's place in a run as one int64: ``file << FILE_SHIFT | source_row``."""


def repeat_reason(path: str, source_row: int, ids: Sequence[str]) -> str:
    """The quarantine reason of a ``repeated_except_id`` row.

    >>> repeat_reason("a.csv", 7, ["uid"])
    'identical to source_row 7 of a.csv in every column but its id columns (uid)'
    """
    return (f"identical to source_row {source_row} of {path} in every column but its id "
            f"columns ({', '.join(ids)})")


class RepeatedExceptId(FileRule):
    name = "repeated_except_id"
    detects = ("a record that is no exact duplicate but equals an earlier one in every "
               "column except its id-role ones (a row counter, a flow id, a uid): the same "
               "flow written twice under two ids; quarantined with the first occurrence's "
               "file and source_row")
    policy = "quarantine"
    policies = ("quarantine", "report")
    unit = "rows"

    def check(self, fctx: FileContext) -> FileCheck:
        return RepeatCheck(fctx)


class FirstSeen:
    """Where each id-free record of a run (or, by file, of one file) was first seen."""

    def __init__(self) -> None:
        self.index = FirstIndex()
        self.files: list[str] = []


class RepeatCheck(FileCheck):
    """``repeated_except_id`` on one file: :meth:`repeats` picks, among a batch's rows
    that are no exact duplicate, those whose id-free record an earlier row has."""

    def __init__(self, fctx: FileContext) -> None:
        shared = fctx.first_seen if fctx.scope == "global" else None
        self.seen: FirstSeen = shared if shared is not None else FirstSeen()
        self.file = len(self.seen.files)
        self.seen.files.append(str(fctx.path))
        self.ids = id_columns(list(fctx.source.specs), fctx.source.specs)
        self.quarantine = fctx.policies.get(RepeatedExceptId.name,
                                            RepeatedExceptId.policy) == "quarantine"
        self.count = 0

    def repeats(self, id_free_hash: np.ndarray, source_row: np.ndarray,
                candidates: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Positions of the repeated rows among ``candidates`` (a mask: the rows that
        are no exact duplicate), and their reasons; ``id_free_hash`` is the raw-record
        hash where the file has no id column."""
        if not candidates.any():
            return np.zeros(0, dtype=np.int64), []
        idx = np.flatnonzero(candidates)
        where = (np.int64(self.file) << FILE_SHIFT) | np.asarray(source_row)[idx]
        first = self.seen.index.first(id_free_hash[idx], where)
        hit = first != where
        self.count += int(hit.sum())
        reasons = [repeat_reason(self.seen.files[int(f) >> FILE_SHIFT],
                                 int(f) & ((1 << FILE_SHIFT) - 1), self.ids)
                   for f in first[hit]]
        return idx[hit], reasons

    def finish(self) -> Effect:
        return Effect(count=self.count)


class ConflictingDuplicate(FileRule):
    name = "conflicting_duplicate"
    detects = "rows with identical features but different labels"
    policy = "report"
    policies = ("report",)
    unit = "rows"

    def check(self, fctx: FileContext) -> FileCheck:
        return _ConflictCheck(fctx)


class _ConflictCheck(FileCheck):
    """Feature-row hashes and label codes of the written rows: 12 bytes a row.

    At the end only rows whose feature hash occurs more than once are grouped, so
    the extra memory is one sorted copy of the hashes (8 bytes a row), not a sort of
    every row with its label.
    """

    def __init__(self, fctx: FileContext) -> None:
        self.features = sorted(n for n, s in fctx.source.specs.items()
                               if s.role in ("numeric", "categorical"))
        self.fingerprint = fctx.several
        self.hashes: list[np.ndarray] = []
        self.labels: list[np.ndarray] = []
        self.codes: dict[str, int] = {}

    def update(self, written: pa.Table) -> None:
        if not self.features or not written.num_rows:
            return
        self.hashes.append(row_hash(written, self.features))
        self.labels.append(label_codes(written.column(LABEL), self.codes))

    def finish(self) -> Effect:
        groups, rows, distinct = conflicts(self.hashes, self.labels,
                                           distinct=self.fingerprint)
        self.hashes, self.labels = [], []
        return Effect(count=rows, detail={
            "conflicting_duplicate_groups": groups,
            "fingerprint": (frozenset(self.features), distinct)})


def conflicts(hashes: list[np.ndarray], labels: list[np.ndarray], *,
              distinct: bool = False) -> tuple[int, int, np.ndarray]:
    """Feature groups with more than one label, the rows in them, and (``distinct``)
    the sorted distinct feature hashes.

    >>> h = [np.array([1, 2, 2, 3, 3], np.uint64)]
    >>> y = [np.array([0, 0, 1, 1, 1], np.int32)]
    >>> conflicts(h, y)[:2]
    (1, 2)
    """
    empty = np.zeros(0, dtype=np.uint64)
    if not hashes or not sum(len(h) for h in hashes):
        return 0, 0, empty
    ordered = np.concatenate(hashes)
    ordered.sort()
    repeated = ordered[1:] == ordered[:-1]
    dups = np.unique(ordered[1:][repeated])
    unique = ordered[np.r_[True, ~repeated]] if distinct else empty
    del ordered, repeated
    if not len(dups):
        return 0, 0, unique
    picked_h, picked_y = [], []
    for h, y in zip(hashes, labels, strict=True):
        pos = np.minimum(np.searchsorted(dups, h), len(dups) - 1)
        hit = dups[pos] == h
        picked_h.append(h[hit])
        picked_y.append(y[hit])
    h = np.concatenate(picked_h)
    y = np.concatenate(picked_y)
    order = np.lexsort((y, h))
    h, y = h[order], y[order]
    new_group = np.r_[True, h[1:] != h[:-1]]
    group = np.cumsum(new_group) - 1
    new_label = new_group | np.r_[True, y[1:] != y[:-1]]
    n_labels = np.bincount(group, weights=new_label)
    bad = n_labels > 1
    return int(bad.sum()), int(bad[group].sum()), unique


__all__ = ["FILE_SHIFT", "STEP", "ConflictingDuplicate", "DuplicateIndex", "ExactDuplicate",
           "FirstIndex", "FirstSeen", "RepeatCheck", "RepeatedExceptId", "conflicts",
           "id_columns", "key_columns", "label_codes", "raw_keys", "repeat_reason"]
