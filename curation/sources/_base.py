"""What a source adapter is, and the pieces every adapter shares.

An adapter turns one capture file into :class:`RawBatch` es whose columns already
carry canonical names and a :class:`~iotforge.curation.schema.ColumnSpec` each. Values may
still be strings: the cleaning rules type them, so every adapter gets the same
treatment of missing markers, booleans, numbers, timestamps and ranges.
"""

from __future__ import annotations

import codecs
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from .._typing import DecimalMark
from ..errors import InputError, SchemaMismatchError
from ..schema import ColumnSpec
from ._stream import Compression, compression_of, describe_binary, read_head

BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass
class InvalidRecord:
    """A line that could not become a row, kept for the quarantine.

    ``rule`` names the cleaning rule whose quarantine it goes to (``row_shape``,
    which counts it).
    """

    line: int
    text: str
    reason: str
    rule: str = "row_shape"


class Note(str):
    """A line for the report's ``notes``, and the cleaning rule whose finding it records.

    The rule counts its notes by ``rule``, never by their text.

    >>> n = Note("duplicated column name 'x'", rule="duplicate_column")
    >>> n, n.rule
    ("duplicated column name 'x'", 'duplicate_column')
    """

    rule: str | None

    def __new__(cls, text: str, *, rule: str | None = None) -> Note:
        note = super().__new__(cls, text)
        note.rule = rule
        return note


@dataclass
class TextInfo:
    """What the first bytes of a text file say about its encoding and layout."""

    encoding: str
    bom: bytes
    line_endings: str  # "lf", "crlf", "cr"


def looks_binary(head: bytes) -> bool:
    """True when ``head`` is not text in any encoding a capture uses."""
    if not head:
        return False
    for bom, _ in BOMS:
        if head.startswith(bom) and bom not in (codecs.BOM_UTF8,):
            return False
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control > len(head) * 0.05


def text_info(head: bytes) -> TextInfo:
    """The encoding (from a byte-order mark; UTF-8 without one) and line ends of ``head``."""
    encoding, bom = "utf-8", b""
    for mark, name in BOMS:
        if head.startswith(mark):
            encoding, bom = name, mark
            break
    crlf = head.count(b"\r\n")
    cr = head.count(b"\r") - crlf
    endings = "crlf" if crlf and crlf >= cr else ("cr" if cr else "lf")
    return TextInfo(encoding=encoding, bom=bom, line_endings=endings)


def head_lines(path: str | os.PathLike[str], n: int = 50, size: int = 1 << 20) -> list[str]:
    """The first ``n`` lines of a (decompressed) text file, decoded, BOM removed."""
    head = read_head(path, size)
    info = text_info(head)
    text = head[len(info.bom):].decode(info.encoding if info.bom else "utf-8", "replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")[:n]


@dataclass
class Probe:
    """The first bytes and lines of a file, read once, shown to every adapter.

    For a compressed file (gzip, bzip2, xz, zstd) they are the decompressed ones and
    ``compression`` says which; a zip archive is refused here with one clear line.
    """

    path: Path
    head: bytes
    lines: list[str]
    compression: Compression | None = None

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> Probe:
        path = Path(path)
        compression = compression_of(path)
        head = read_head(path)
        lines = [] if looks_binary(head) else head_lines(path, 50)
        return cls(path=path, head=head, lines=lines, compression=compression)

    @property
    def binary(self) -> bool:
        return looks_binary(self.head)

    @property
    def first_data_line(self) -> str:
        for line in self.lines:
            if line.strip():
                return line
        return ""


@dataclass
class SourceOptions:
    """Per-run options an adapter may use (all optional)."""

    mapping: Mapping[str, Any] | None = None
    label_rules: Any = None
    default_label: str | None = None
    delimiter: str | None = None
    """The field delimiter of delimited text (None: sniffed per file)."""
    decimal: DecimalMark | None = None
    """The decimal separator of numbers in delimited text (None: detected per file)."""
    clock: str | None = None
    """The column that holds a record's true time: ``timestamp`` is made from it."""


@dataclass
class RawBatch:
    """Rows of one file with canonical column names, not yet cleaned."""

    table: pa.Table
    source_row: np.ndarray
    invalid: list[InvalidRecord] = field(default_factory=list)
    encoding_fixed: int = 0


@dataclass
class Source:
    """An opened capture: its provenance name, column specs and batches.

    ``label_columns`` are columns of the batches, in priority order: the first
    non-missing one of a row becomes its ``label_raw``. ``binary_label`` is an
    optional 0/1 attack flag that must agree with the taxonomy. Neither is
    written out as a feature. ``fixed_label`` labels every row (from a folder
    or file name) when the records carry none.
    """

    name: str
    specs: dict[str, ColumnSpec]
    batches: Iterator[RawBatch]
    label_columns: list[str] = field(default_factory=list)
    binary_label: str | None = None
    fixed_label: str | None = None
    notes: list[str] = field(default_factory=list)
    label_map: dict[str, str] = field(default_factory=dict)
    read_ahead: bool = False
    """The batches may be produced on another thread than the one consuming them (a
    plain file reader; not one that starts processes or pins cores)."""


class Adapter(ABC):
    """One capture format. Subclasses are registered in :mod:`iotforge.curation.sources`."""

    name: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def sniff(self, probe: Probe) -> float:
        """Confidence in [0, 1] that ``probe`` is this format (0: not at all)."""

    @abstractmethod
    def open(self, path: Path, options: SourceOptions) -> Source:
        """Open ``path`` for streaming."""

    def text_probe(self, path: Path) -> Probe:
        """The probe of a file this text format is asked to read (with ``--format``
        too): binary or empty input is one clear :class:`InputError`, not a crash."""
        probe = Probe.of(path)
        if probe.binary:
            raise InputError(
                f"expected {self.name} text ({self.description}), found "
                f"{describe_binary(probe.head)}"
                + (f" inside the {probe.compression} data" if probe.compression else ""),
                path=str(path), hint="check the file, or leave out --format to detect it")
        if not probe.head.strip():
            raise InputError("the file is empty" + (" once decompressed" if probe.compression
                                                    else ""), path=str(path))
        return probe


_NON_ALNUM = re.compile(r"[^0-9a-zA-Z]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def canonical_name(raw: str) -> str:
    """Snake case: ``' Flow Bytes/s'`` -> ``'flow_bytes_s'``, ``'id.orig_h'`` -> ``'id_orig_h'``.

    >>> canonical_name(" Fwd Packet Length Max")
    'fwd_packet_length_max'
    """
    return _NON_ALNUM.sub("_", raw.strip()).strip("_").lower() or "column"


def unique_names(names: list[str], path: Path) -> tuple[list[str], list[str]]:
    """Make duplicated header names unique (``x``, ``x__2``) and say so.

    Some published captures repeat a column name (CIC-IDS2017 has two
    ``Fwd Header Length``); the later copy is kept under a suffixed name so no
    value is lost, and the curate report names the renamed column. Each note is a
    :class:`Note` of the ``duplicate_column`` rule, which counts them.
    """
    seen: dict[str, int] = {}
    out: list[str] = []
    notes: list[str] = []
    for name in names:
        if name in seen:
            seen[name] += 1
            new = f"{name}__{seen[name]}"
            notes.append(Note(f"duplicated column name {name!r}: later copy renamed {new!r}",
                              rule="duplicate_column"))
            out.append(new)
        else:
            seen[name] = 1
            out.append(name)
    if not out:
        raise SchemaMismatchError("expected a header with column names, found none",
                                  path=str(path))
    return out, notes


def rename_table(table: pa.Table, mapping: Mapping[str, str]) -> pa.Table:
    return table.rename_columns([mapping.get(c, c) for c in table.column_names])
