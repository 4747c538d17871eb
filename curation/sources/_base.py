"""What a source adapter is, and the pieces every adapter shares.

An adapter turns one capture file into :class:`RawBatch` es whose columns already
carry canonical names and a :class:`~curation.schema.ColumnSpec` each. Values may
still be strings: the cleaning rules type them, so every adapter gets the same
treatment of missing markers, booleans, numbers, timestamps and ranges.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from curation.errors import InputError, SchemaMismatchError
from curation.schema import ColumnSpec
from curation.sources._stream import Compression, compression_of, describe_binary
from curation.sources._text import InvalidRecord, head_lines, looks_binary, read_head


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


class Adapter(ABC):
    """One capture format. Subclasses are registered in :mod:`curation.sources`."""

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
    value is lost, and the curate report names the renamed column.
    """
    seen: dict[str, int] = {}
    out, notes = [], []
    for name in names:
        if name in seen:
            seen[name] += 1
            new = f"{name}__{seen[name]}"
            notes.append(f"duplicated column name {name!r}: later copy renamed {new!r}")
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
