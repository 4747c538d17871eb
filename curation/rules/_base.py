"""What a cleaning rule is, what it sees of a batch, and what it hands back.

A :class:`Rule` names one general problem (``detects``), the policies it supports
and its default, and what it counts (values, rows, columns or files). A batch rule's
:meth:`Rule.apply` reads a :class:`BatchContext` (the raw Arrow batch, its column
specs and the values earlier rules produced) and returns an :class:`Effect`: how
many it detected, the columns it changed and the rows it sends to quarantine. It
never touches the context itself, so what a rule did is exactly its effect.

A :class:`FileRule` needs more than one batch (constant columns, duplicates, what
the reader saw of a whole file): :meth:`FileRule.check` opens a :class:`FileCheck`
for one file, which sees every batch and gives its effect at the end.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._typing import DedupeScope, Policy
from ..schema import ColumnSpec
from ..vocabulary import MISSING_MARKERS, NUMBER_PATTERN

if TYPE_CHECKING:
    from ..sources._base import InvalidRecord, Source
    from ..taxonomy import Taxonomy

Unit = Literal["values", "rows", "columns", "files"]
"""What a rule's count counts."""

_MARKERS = pa.array(sorted(MISSING_MARKERS), pa.string())


def is_text(arr: pa.Array) -> bool:
    return pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)


def is_number(arr: pa.Array) -> bool:
    return pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type)


def mask(arr: pa.Array) -> np.ndarray:
    """A boolean Arrow array as numpy, null as False."""
    return np.asarray(pc.fill_null(arr, False), dtype=bool)


@dataclass
class Numbers:
    """Numbers read from a column: ``values`` (float64, null where missing, not a
    number or not finite), which present values are no number, and how many were
    non-finite (``nan``, ``inf``: missing values)."""

    values: pa.Array
    not_number: np.ndarray
    nonfinite: int


def floats(arr: pa.Array) -> np.ndarray:
    """A numeric array as float64 numpy, NaN where null (zero-copy when it has no nulls:
    read-only then).

    Cleaned numbers hold no NaN (a non-finite number is missing), so NaN in the view
    means exactly "null" in the array.
    """
    if arr.type != pa.float64():
        arr = arr.cast(pa.float64())
    if arr.null_count:
        arr = arr.fill_null(np.nan)
    return np.asarray(arr)


def from_floats(values: np.ndarray) -> pa.Array:
    """float64 numpy as Arrow, NaN as null."""
    return pa.array(values, pa.float64(), from_pandas=True)


def bounds(values: np.ndarray) -> tuple[float, float]:
    """Smallest and largest value of a float view, NaN ignored (NaN, NaN: none)."""
    if not len(values):
        return np.nan, np.nan
    return float(np.fmin.reduce(values)), float(np.fmax.reduce(values))


def read_numbers(arr: pa.Array) -> Numbers:
    """Numbers from text (trimmed, markers null) or from an already typed column.

    A value is a number when Arrow's float parser reads it
    (:data:`~iotforge.curation.vocabulary.NUMBER_PATTERN`); one bad value does not stop the
    others from being read.

    >>> n = read_numbers(pa.array(["80", "8e1", "x", None, "inf"]))
    >>> n.values.to_pylist(), n.not_number.tolist(), n.nonfinite
    ([80.0, 80.0, None, None, None], [False, False, True, False, False], 1)
    """
    not_number = np.zeros(len(arr), dtype=bool)
    if is_number(arr):
        values = arr.cast(pa.float64())
    else:
        try:
            values = pc.cast(arr, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            number = pc.match_substring_regex(arr, NUMBER_PATTERN)
            not_number = np.asarray(pc.invert(pc.fill_null(number, True)), dtype=bool)
            values = pc.cast(pc.if_else(number, arr, None), pa.float64())
    view = floats(values)
    finite = np.isfinite(view)
    nonfinite = len(view) - int(finite.sum()) - values.null_count
    if nonfinite:
        values = from_floats(np.where(finite, view, np.nan))
    return Numbers(values=values, not_number=not_number, nonfinite=nonfinite)


@dataclass
class Flag:
    """Rows a rule sends to quarantine: the row mask, the column, one reason or one
    reason per row."""

    rows: np.ndarray
    column: str
    reasons: str | np.ndarray


@dataclass
class Effect:
    """What one rule did to one batch (or, for a file rule, to one file).

    ``columns`` replaces values of spec columns, ``labels`` sets the label columns
    (``label``, ``label_raw``, ``is_attack``, ``attack_family``), ``flags`` sends
    rows to quarantine, ``row_hash`` is the exact-duplicate key of each row,
    ``id_free_hash`` the same key without the id-role columns (None: the batch has
    none), and
    ``detail`` holds what a file rule adds to the file's report entry.
    """

    count: int = 0
    columns: dict[str, pa.Array] = field(default_factory=dict)
    labels: dict[str, pa.Array] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)
    row_hash: np.ndarray | None = None
    id_free_hash: np.ndarray | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class BatchContext:
    """One batch as the rules see it.

    ``raw`` holds each column as the adapter delivered it; ``values`` the current
    value of each column after the effects applied so far; ``labels`` the label
    columns once a label rule set them. The ``stripped``, ``present`` and
    ``raw_numbers`` views are functions of the raw batch alone, computed once and
    shared by the rules that need them.
    """

    def __init__(
        self,
        table: pa.Table,
        source_row: Sequence[int] | np.ndarray,
        specs: Mapping[str, ColumnSpec],
        *,
        policies: Mapping[str, Policy],
        label_columns: Sequence[str] = (),
        binary_label: str | None = None,
        fixed_label: str | None = None,
        label_map: Mapping[str, str] | None = None,
        taxonomy: Taxonomy,
        invalid: Sequence[InvalidRecord] = (),
        encoding_fixed: int = 0,
    ) -> None:
        self.table = table
        self.n = table.num_rows
        self.source_row = np.asarray(source_row, dtype=np.int64)
        names = set(table.column_names)
        self.specs = {k: v for k, v in specs.items() if k in names}
        self.policies = dict(policies)
        self.label_columns = [c for c in label_columns if c in names]
        self.label_names = list(label_columns)
        self.binary_label = binary_label if binary_label in names else None
        self.fixed_label = fixed_label
        self.label_map = dict(label_map or {})
        self.taxonomy = taxonomy
        self.invalid = list(invalid)
        self.encoding_fixed = encoding_fixed
        self.raw = {c: table.column(c).combine_chunks() for c in table.column_names}
        self.values: dict[str, pa.Array] = dict(self.raw)
        self.labels: dict[str, pa.Array] = {}
        self._stripped: dict[str, pa.Array] = {}
        self._present: dict[str, pa.Array] = {}
        self._numbers: dict[str, Numbers | None] = {}
        self._raw_numbers: dict[str, Numbers] = {}
        self._floats: dict[int, tuple[pa.Array, np.ndarray]] = {}
        self._order = {name: i for i, name in enumerate(self.specs)}

    def floats(self, arr: pa.Array) -> np.ndarray:
        """:func:`floats` of ``arr``, computed once per array (read-only)."""
        found = self._floats.get(id(arr))
        if found is None or found[0] is not arr:
            found = self._floats[id(arr)] = (arr, floats(arr))
        return found[1]

    def policy(self, rule: str) -> Policy:
        return self.policies[rule]

    def order(self, column: str) -> int:
        """Position of ``column`` among the spec columns (labels come after all)."""
        return self._order.get(column, len(self._order))

    def numeric(self, name: str) -> bool:
        """A numeric spec column that cleaning reads as numbers."""
        spec = self.specs.get(name)
        raw = self.raw.get(name)
        return (spec is not None and raw is not None and spec.kind in ("float", "int")
                and (is_text(raw) or is_number(raw)))

    def fast_numbers(self, name: str) -> Numbers | None:
        """The numbers of a numeric column that needs no text cleaning: typed by the
        reader, or text Arrow reads whole (no space, no marker but ``nan``/``inf``)."""
        if name not in self._numbers:
            raw = self.raw[name]
            found = None
            if self.numeric(name) and (is_number(raw) or raw.null_count == 0) \
                    and self.specs[name].decimal == ".":  # 1.234 is 1234 with a decimal comma
                try:
                    found = read_numbers(raw if is_number(raw) else pc.cast(raw, pa.float64()))
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    found = None
            self._numbers[name] = found
        return self._numbers[name]

    def stripped(self, name: str) -> pa.Array:
        """The raw text without leading and trailing whitespace."""
        if name not in self._stripped:
            self._stripped[name] = pc.utf8_trim_whitespace(self.raw[name])
        return self._stripped[name]

    def markers(self, name: str) -> np.ndarray:
        """Values that are missing-value markers (or null) once trimmed."""
        found = pc.is_in(self.stripped(name), value_set=_MARKERS)
        return np.asarray(pc.fill_null(found, True), dtype=bool)

    def present(self, name: str) -> pa.Array:
        """The trimmed text with every missing-value marker null (raw text when the
        column needs no text cleaning; typed columns as they are)."""
        if name not in self._present:
            raw = self.raw[name]
            if not is_text(raw) or self.fast_numbers(name) is not None:
                self._present[name] = raw
            else:
                self._present[name] = pc.if_else(pa.array(~self.markers(name)),
                                                 self.stripped(name), None)
        return self._present[name]

    def raw_numbers(self, name: str) -> Numbers:
        """The numbers of a numeric column as read, before any rule changed a value."""
        fast = self.fast_numbers(name)
        if fast is not None:
            return fast
        if name not in self._raw_numbers:
            self._raw_numbers[name] = read_numbers(self.present(name))
        return self._raw_numbers[name]

    def numbers(self, name: str) -> Numbers:
        """The numbers of the column's current text (the raw ones unless a rule
        rewrote the text)."""
        current = self.values[name]
        if current is self.present(name) or is_number(current):
            return self.raw_numbers(name)
        return read_numbers(current)


class Rule(ABC):
    """A named cleaning rule: what it detects, its policies, what it counts.

    Subclasses set the class attributes and implement :meth:`apply`. They are found
    by :func:`iotforge.curation.rules.discover` in the family modules of
    :mod:`iotforge.curation.rules`, in the order they are defined there.

    >>> from iotforge.curation.taxonomy import Taxonomy
    >>> class LongText(Rule):
    ...     name = "long_text"
    ...     detects = "text longer than 8 characters"
    ...     policy = "report"
    ...     policies = ("report",)
    ...     def apply(self, ctx):
    ...         long = pc.greater(pc.utf8_length(ctx.values["note"]), 8)
    ...         return Effect(count=pc.sum(long).as_py())
    >>> ctx = BatchContext(pa.table({"note": ["short", "a longer note"]}), [2, 3],
    ...                    {"note": ColumnSpec("note", "categorical", "string")},
    ...                    policies={"long_text": "report"}, taxonomy=Taxonomy.default())
    >>> LongText().apply(ctx).count
    1
    """

    name: ClassVar[str]
    detects: ClassVar[str]
    policy: ClassVar[Policy]
    """The default policy."""
    policies: ClassVar[tuple[Policy, ...]]
    """Every policy the rule supports; the default first."""
    unit: ClassVar[Unit] = "values"

    @abstractmethod
    def apply(self, ctx: BatchContext) -> Effect:
        """What the rule does to one batch under ``ctx.policy(self.name)``."""

    def __repr__(self) -> str:
        return f"<rule {self.name}: {self.policy} of {', '.join(self.policies)}>"


@dataclass
class FileContext:
    """One input file as the file rules see it.

    ``index`` is the exact-duplicate index of the whole run, ``first_seen`` the
    index of records' first occurrences without their id columns; ``several`` says
    whether the run has more than one input file; ``scope`` whether duplicates are
    decided across files (``"global"``) or within each file (``"file"``).
    """

    path: Path
    source: Source
    policies: Mapping[str, Policy]
    index: Any = None
    first_seen: Any = None
    scope: DedupeScope = "global"
    several: bool = False


class FileCheck:
    """One file rule on one file: sees every batch, then reports."""

    def select(self, row_hash: np.ndarray) -> np.ndarray | None:
        """Which cleaned rows of a batch to write (None: all of them)."""
        return None

    def update(self, written: pa.Table) -> None:
        """See rows written to the curated table (schema of the whole run)."""

    def finish(self) -> Effect:
        """The rule's effect on the whole file."""
        return Effect()


class FileRule(Rule):
    """A rule decided over a whole file rather than one batch."""

    def apply(self, ctx: BatchContext) -> Effect:
        return Effect()

    @abstractmethod
    def check(self, fctx: FileContext) -> FileCheck:
        """Start checking one file."""


__all__ = ["BatchContext", "Effect", "FileCheck", "FileContext", "FileRule", "Flag",
           "Numbers", "Rule", "Unit", "bounds", "floats", "from_floats", "is_number",
           "is_text", "mask", "read_numbers"]
