"""The shared path of every header-plus-rows text format (CSV, TSV, Zeek)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pyarrow as pa

from .._typing import DecimalMark
from ..errors import InputError, SchemaMismatchError, UsageError
from ..roles import spec_from_values
from ..schema import ColumnSpec
from ._base import Note, RawBatch, Source, canonical_name, unique_names
from ._clocks import clock_notes
from ._notation import as_read, detect_decimal
from ._text import TextChunk, iter_text_chunks

TIMESTAMP = "timestamp"
SpecFor = Callable[[str, list[str | None]], ColumnSpec | None]


def _from_clock(clock: str, canon: list[str], path: Path,
                derive: Callable[[pa.Table], pa.Table] | None,
                derived_specs: Mapping[str, ColumnSpec] | None,
                ) -> tuple[Callable[[pa.Table], pa.Table], dict[str, ColumnSpec]]:
    """``derive`` and ``derived_specs`` that make ``timestamp`` a copy of ``clock``."""
    name = canonical_name(clock)
    if name not in canon:
        raise UsageError(f"--clock/clock: expected a column named {name!r}, found columns "
                         f"{canon[:12]}{' ...' if len(canon) > 12 else ''}", path=str(path),
                         hint="name the column that holds the true time")

    def with_clock(table: pa.Table) -> pa.Table:
        if derive is not None:
            table = derive(table)
        if name == TIMESTAMP:
            return table
        if TIMESTAMP in table.column_names:
            return table.set_column(table.column_names.index(TIMESTAMP), TIMESTAMP,
                                    table.column(name))
        return table.append_column(TIMESTAMP, table.column(name))

    specs = dict(derived_specs or {})
    if name != TIMESTAMP:
        specs[TIMESTAMP] = ColumnSpec(TIMESTAMP, "time", "timestamp")
    return with_clock, specs


def open_delimited(
    path: Path,
    *,
    name: str,
    raw_names: list[str],
    delimiter: str,
    header_lines: int,
    spec_for: SpecFor | None = None,
    rename: Mapping[str, str] | None = None,
    label_columns: list[str] = (),  # type: ignore[assignment]
    binary_label: str | None = None,
    fixed_label: str | None = None,
    drop: tuple[str, ...] = (),
    comment_prefix: str | None = None,
    quote_char: str | bool = '"',
    derive: Callable[[pa.Table], pa.Table] | None = None,
    derived_specs: Mapping[str, ColumnSpec] | None = None,
    require_label: bool = True,
    decimal: DecimalMark | None = None,
    clock: str | None = None,
) -> Source:
    """Open a delimited file whose header gave ``raw_names``.

    ``rename`` maps canonical (snake-case) header names to the format's canonical
    names; ``spec_for`` returns the spec of a known column (None: infer it from its
    name and the values of the first chunk). Label columns are kept in the batches
    for the cleaning step and are never features. ``decimal`` is the decimal separator
    of the file's numbers (None: detected from the first chunk,
    :func:`~iotforge.curation.sources._notation.detect_decimal`); kinds are inferred
    from the values as the rules will read them (decimal commas, hexadecimal integers).
    ``clock`` names the column that holds the true time of a record: ``timestamp`` is
    made from it (when the record carries two clocks, the user's choice).
    """
    canon = [canonical_name(n) for n in raw_names]
    canon = [(rename or {}).get(c, c) for c in canon]
    canon, notes = unique_names(canon, path)
    labels = [c for c in label_columns if c in canon]
    if require_label and fixed_label is None and not labels:
        raise SchemaMismatchError(
            f"expected a label column ({' or '.join(label_columns) or 'label'}), found "
            f"columns {canon[:12]}{' ...' if len(canon) > 12 else ''}",
            path=str(path),
            hint="check the delimiter and header, or give --format/--mapping",
        )
    if clock is not None:
        derive, derived_specs = _from_clock(clock, canon, path, derive, derived_specs)
    chunks = iter_text_chunks(path, column_names=canon, delimiter=delimiter,
                              skip_lines=header_lines, quote_char=quote_char,
                              comment_prefix=comment_prefix)
    # the column kinds come from the first chunk that holds a valid row: chunks before
    # it (every line of wrong shape, say) are held back and delivered first
    held: list[TextChunk] = []
    for chunk in chunks:
        if derive is not None:
            chunk.table = derive(chunk.table)
        held.append(chunk)
        if chunk.table.num_rows:
            break
    if not held or not any(c.table.num_rows or c.invalid for c in held):
        raise InputError("expected data rows after the header, found none", path=str(path),
                         line=header_lines + 1)
    sample = held[-1].table
    specs: dict[str, ColumnSpec] = {}
    skip = set(labels) | {binary_label} | set(drop)
    step = max(1, sample.num_rows // 2000)
    sample_idx = pa.array(range(0, sample.num_rows, step), pa.int64())
    samples = {col: sample.column(col).take(sample_idx).to_pylist()
               for col in sample.column_names
               if col not in skip and not (derived_specs and col in derived_specs)}
    mark: DecimalMark = decimal or detect_decimal(samples, delimiter)
    for col in sample.column_names:
        if col in skip:
            continue
        if derived_specs and col in derived_specs:
            specs[col] = derived_specs[col]
            continue
        values = as_read(samples[col], mark)
        spec = spec_for(col, values) if spec_for else None
        spec = spec or spec_from_values(col, values)
        if mark == "," and spec.kind in ("float", "int"):
            spec = dataclasses.replace(spec, decimal=",")
        specs[col] = spec
    notes.extend(clock_notes(sample.take(sample_idx), specs))
    if delimiter not in (",", "\t"):
        notes.append(Note(f"fields separated by {delimiter!r}"))
    if mark == ",":
        notes.append(Note("numbers written with a decimal comma ("
                          + ("given" if decimal else "detected; --decimal . if not") + ")"))

    def batches() -> Iterator[RawBatch]:
        for chunk in held:
            yield RawBatch(chunk.table, chunk.lines, chunk.invalid, chunk.encoding_fixed)
        for chunk in chunks:
            table = derive(chunk.table) if derive is not None else chunk.table
            yield RawBatch(table, chunk.lines, chunk.invalid, chunk.encoding_fixed)

    return Source(name=name, specs=specs, batches=batches(), label_columns=labels,
                  binary_label=binary_label if binary_label in canon else None,
                  fixed_label=fixed_label, notes=notes, read_ahead=True)
