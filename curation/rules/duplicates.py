"""Duplicate rules: repeated raw records, and equal features with different labels.

``exact_duplicate`` keys each record by the hash of its raw values
(:func:`key_columns`, :mod:`iotforge.curation.rules._hash`) while the batch is cleaned, and
decides over the whole run with a :class:`DuplicateIndex`; ``conflicting_duplicate``
groups the written rows by the hash of their cleaned features.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa

from ..schema import LABEL, ColumnSpec
from ._base import BatchContext, Effect, FileCheck, FileContext, FileRule
from ._hash import combine, row_hash, value_keys

STEP = 50
"""Duplicate rules come last: they key the raw record and the rows written."""


def key_columns(
    column_names: Sequence[str],
    specs: Mapping[str, ColumnSpec],
    label_columns: Sequence[str] = (),
    binary_label: str | None = None,
) -> list[str]:
    """The columns whose raw values decide whether two records are exact duplicates.

    Every column that becomes part of a curated row or of its label: the columns
    with a spec, except ``id``-role ones (a row counter or flow id makes every record
    unique without making it a different record), and the label columns. Columns an
    adapter reads but does not keep (a mapping's ``drop``) are not part of it.

    Parameters
    ----------
    column_names : sequence of str
        Columns of a raw batch, as the adapter delivers them.
    specs : mapping of str to ColumnSpec
        The source's column specs.
    label_columns : sequence of str
        The source's label columns.
    binary_label : str, optional
        The source's 0/1 attack flag column.

    Returns
    -------
    list of str
        The key columns, in batch order.

    >>> specs = {"uid": ColumnSpec("uid", "id", "string"),
    ...          "bytes": ColumnSpec("bytes", "numeric", "float")}
    >>> key_columns(["uid", "bytes", "debug", "type"], specs, ["type"])
    ['bytes', 'type']
    """
    return [c for c in column_names
            if (c in specs and specs[c].role != "id") or c in label_columns
            or c == binary_label]



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


class DuplicateIndex:
    """Hashes seen so far: 8 bytes per distinct row, amortised O(log n) per row.

    Hashes live in sorted runs whose sizes at least halve from one run to the next
    (a new run is merged into the one before it until they do), so there are
    O(log n) runs and a batch never re-sorts everything seen before it; merging two
    sorted runs is one linear pass (numpy's stable sort finds the runs).
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


class ExactDuplicate(FileRule):
    name = "exact_duplicate"
    detects = ("a record identical to an earlier one in its raw values, byte for byte as "
               "read (every column but id-role ones, before any rule changed a value), "
               "within and across the input files")
    policy = "drop"
    policies = ("drop", "report")
    unit = "rows"

    def apply(self, ctx: BatchContext) -> Effect:
        """The key of each raw record: every key column's value exactly as delivered."""
        parts = {name: raw_keys(ctx.raw[name])
                 for name in key_columns(ctx.table.column_names, ctx.specs, ctx.label_columns,
                                         ctx.binary_label)}
        if ctx.fixed_label is not None:
            label = value_keys(pa.array([ctx.fixed_label], pa.string()))[0]
            parts["\0fixed_label"] = np.full(ctx.n, label, dtype=np.uint64)
        return Effect(row_hash=combine(parts, ctx.n))

    def check(self, fctx: FileContext) -> FileCheck:
        return _DuplicateCheck(fctx)


class _DuplicateCheck(FileCheck):
    """``index`` holds every file's records so far; ``local`` (several inputs only)
    this file's, so that a record new here but known to ``index`` repeats an earlier
    file. The scope says which of the two decides a duplicate."""

    def __init__(self, fctx: FileContext) -> None:
        self.index: DuplicateIndex = fctx.index if fctx.index is not None else DuplicateIndex()
        self.local = DuplicateIndex() if fctx.several else None
        self.scope = fctx.scope
        self.drop = fctx.policies.get(ExactDuplicate.name, ExactDuplicate.policy) == "drop"
        self.count = 0
        self.repeating = 0

    def select(self, row_hash: np.ndarray) -> np.ndarray | None:
        new_overall = self.index.new_rows(row_hash)
        new = new_overall
        if self.local is not None:
            new_here = self.local.new_rows(row_hash)
            self.repeating += int((new_here & ~new_overall).sum())
            if self.scope == "file":
                new = new_here
        self.count += int((~new).sum())
        return new if self.drop else None

    def finish(self) -> Effect:
        return Effect(count=self.count,
                      detail={"rows_repeating_earlier_files": self.repeating})


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


__all__ = ["STEP", "ConflictingDuplicate", "DuplicateIndex", "ExactDuplicate", "conflicts",
           "key_columns", "label_codes", "raw_keys"]
