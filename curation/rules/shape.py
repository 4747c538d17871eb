"""Record and file shape: what the reader found while parsing, and constant columns.

The readers detect these, because only parsing can: a line with the wrong number of
fields, bytes that are not UTF-8, CR line ends, a header that repeats a name. They
report what they found in a structured form (:class:`~iotforge.curation.sources.RawBatch`'s
``invalid`` and ``encoding_fixed``, a :class:`~iotforge.curation.sources._base.Note` with its
rule); the rules here count it and apply the policy.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..sources._base import looks_binary, read_head, text_info
from ._base import BatchContext, Effect, FileCheck, FileContext, FileRule, Rule

STEP = 10
"""Shape rules come first: they describe records before any value is read."""


class RowShape(Rule):
    name = "row_shape"
    detects = ("a line with the wrong number of fields (truncated, shifted, wrong "
               "delimiter) or that cannot be parsed")
    policy = "quarantine"
    policies = ("quarantine",)
    unit = "rows"

    def apply(self, ctx: BatchContext) -> Effect:
        # The reader keeps such records out of the batch, with their line and reason
        # (InvalidRecord); clean_batch writes them to the quarantine.
        return Effect(count=len(ctx.invalid))


class Encoding(Rule):
    name = "encoding"
    detects = ("bytes that are not UTF-8 (decoded as cp1252), byte-order marks, UTF-16/32 "
               "files")
    policy = "fix"
    policies = ("fix",)
    unit = "rows"

    def apply(self, ctx: BatchContext) -> Effect:
        return Effect(count=ctx.encoding_fixed)


class _LineEndingsCheck(FileCheck):
    def __init__(self, fctx: FileContext) -> None:
        self.path = fctx.path

    def finish(self) -> Effect:
        head = read_head(self.path, 65536)
        crlf = not looks_binary(head) and text_info(head).line_endings != "lf"
        return Effect(count=int(crlf))


class LineEndings(FileRule):
    name = "line_endings"
    detects = "CRLF or CR line endings"
    policy = "fix"
    policies = ("fix",)
    unit = "files"

    def check(self, fctx: FileContext) -> FileCheck:
        return _LineEndingsCheck(fctx)


class _NotesCheck(FileCheck):
    def __init__(self, fctx: FileContext, rule: str) -> None:
        self.notes = fctx.source.notes
        self.rule = rule

    def finish(self) -> Effect:
        return Effect(count=sum(getattr(n, "rule", None) == self.rule for n in self.notes))


class DuplicateColumn(FileRule):
    name = "duplicate_column"
    detects = "a header that repeats a column name"
    policy = "fix"
    policies = ("fix",)
    unit = "columns"

    def check(self, fctx: FileContext) -> FileCheck:
        return _NotesCheck(fctx, self.name)


def track_constant(table: pa.Table, constant: set[str], seen: dict[str, Any]) -> None:
    """Drop from ``constant`` every column of ``table`` that shows a second distinct
    value (``seen`` keeps each column's one value so far; nulls do not count)."""
    for col in list(constant):
        arr = table.column(col)
        if arr.null_count == len(arr):
            continue
        try:
            mm = pc.min_max(arr).as_py()
        except (pa.ArrowNotImplementedError, pa.ArrowTypeError):
            constant.discard(col)
            continue
        lo, hi = mm["min"], mm["max"]
        if lo != hi or seen.setdefault(col, lo) != lo:
            constant.discard(col)


class _ConstantCheck(FileCheck):
    """Columns that never showed a second distinct value."""

    def __init__(self, fctx: FileContext) -> None:
        self.constant = set(fctx.source.specs)
        self.seen: dict[str, Any] = {}

    def update(self, written: pa.Table) -> None:
        track_constant(written, self.constant, self.seen)

    def finish(self) -> Effect:
        return Effect(count=len(self.constant),
                      detail={"constant_columns": sorted(self.constant)})


class ConstantColumn(FileRule):
    name = "constant_column"
    detects = "a column with one value (or none) in a whole file"
    policy = "report"
    policies = ("report",)
    unit = "columns"

    def check(self, fctx: FileContext) -> FileCheck:
        return _ConstantCheck(fctx)


__all__ = ["STEP", "ConstantColumn", "DuplicateColumn", "Encoding", "LineEndings", "RowShape",
           "track_constant"]
