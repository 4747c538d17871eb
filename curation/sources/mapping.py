"""Any other tool's CSV, TSV, Parquet or JSON-lines output, described by a YAML mapping.

A mapping file is how a user brings a capture format iotforge does not know,
without writing code::

    format: csv                  # csv | tsv | parquet | jsonl (default: file suffix)
    delimiter: ";"               # csv only; default: sniffed from the header
    decimal: ","                 # csv only; default: detected per file ("." or ",")
    clock: ts                    # csv only: the column with the true time -> timestamp
    header: true                 # false: give `columns:` in file order
    columns: [a, b, c]
    source: my_sensor            # provenance name (default: "mapping")
    rename: {SrcAddr: src_ip, "Pkts In": packets_in}
    roles: {src_ip: endpoint, packets_in: numeric, site: id}
    kinds: {packets_in: int}     # float | int | string | bool | timestamp
    domains: {dst_port: port}    # port | latitude | longitude | nonnegative | ratio | ...
    label: [attack_type, verdict]   # label column(s), first non-missing wins
    binary_label: is_malicious   # optional 0/1 flag checked against the taxonomy
    label_map: {"0": normal, "1": attack, "bf": brute_force}   # raw -> canonical class
    missing: ["unknown", "-1"]   # extra missing-value markers
    drop: [debug_column]
    nested: flatten              # jsonl: nested objects as dotted columns, or json (text)

Columns are named after renaming and snake-casing (``Pkts In`` -> ``pkts_in``); the
keys of ``roles``, ``kinds`` and ``domains`` are snake-cased the same way. A column
that ``roles``, ``kinds``, ``domains``, ``binary_label`` or ``drop`` names and the file
does not have is a :class:`~iotforge.curation.errors.MappingError` (a misspelt name would
otherwise leave its column with the inferred role). Columns the mapping does not
mention get a role from their name and values. CSV, TSV and JSON-lines files may be
compressed (gzip, bzip2, xz, zstd).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, MappingError, SchemaMismatchError
from ..roles import infer_spec, spec_from_values
from ..schema import ColumnSpec
from ._base import (
    Adapter,
    Probe,
    RawBatch,
    Source,
    SourceOptions,
    canonical_name,
    unique_names,
)
from ._delimited import open_delimited
from ._json import json_tables, text_table
from ._text import sniff_delimiter

__all__ = ["ADAPTER", "COLUMN_KEYS", "KEYS", "MappingAdapter", "MappingFile", "check_columns"]

KEYS = {"format", "delimiter", "decimal", "clock", "header", "columns", "source", "rename",
        "roles", "kinds", "domains", "label", "binary_label", "label_map", "missing", "drop",
        "nested"}


class MappingFile(dict):  # type: ignore[type-arg]
    """A mapping as read from a YAML file: a dict that remembers the file (``origin``),
    so an error in it names the file the user has to fix.

    >>> MappingFile({"label": ["y"]}, origin="tool.yaml").origin
    'tool.yaml'
    """

    def __init__(self, data: Mapping[str, Any], *, origin: str | None = None) -> None:
        super().__init__(data)
        self.origin = origin


def _check(mapping: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(mapping, Mapping):
        raise MappingError(f"expected a YAML mapping, found {type(mapping).__name__}")
    unknown = set(mapping) - KEYS
    if unknown:
        raise MappingError(f"unknown mapping keys {sorted(unknown)}; expected some of "
                           f"{sorted(KEYS)}")
    m = dict(mapping)
    if isinstance(m.get("label"), str):
        m["label"] = [m["label"]]
    if m.get("decimal") not in (None, ".", ","):
        raise MappingError(f"'decimal' must be '.' or ',', found {m['decimal']!r}")
    if m.get("delimiter") is not None and (not isinstance(m["delimiter"], str)
                                           or len(m["delimiter"]) != 1):
        raise MappingError(f"'delimiter' must be one character, found {m['delimiter']!r}")
    for key in ("rename", "roles", "kinds", "domains", "label_map"):
        if not isinstance(m.get(key) or {}, Mapping):
            raise MappingError(f"'{key}' must be a mapping, found {m[key]!r}")
    for key in COLUMN_KEYS:  # columns by their canonical names, as the table has them
        m[key] = {canonical_name(str(c)): v for c, v in (m.get(key) or {}).items()}
    return m


COLUMN_KEYS = ("roles", "kinds", "domains")


def check_columns(m: Mapping[str, Any], columns: list[str], path: Path,
                  rename: Mapping[str, str]) -> None:
    """Every column the mapping's ``roles``/``kinds``/``domains``/``binary_label``/``drop``
    name exists in ``columns``; else one :class:`MappingError` that lists them all.

    A misspelt name would otherwise be ignored and its column keep the inferred role.
    """
    named = [(key, col) for key in COLUMN_KEYS for col in (m.get(key) or {})]
    if m.get("binary_label"):
        named.append(("binary_label", canonical_name(str(m["binary_label"]))))
    named += [("drop", canonical_name(str(c))) for c in m.get("drop") or []]
    missing = [(key, col) for key, col in named if col not in columns]
    if not missing:
        return
    what = "; ".join(f"{key}: {col!r}" + (f" (renamed to {rename[col]!r})" if col in rename
                                           else "") for key, col in missing)
    shown = ", ".join(columns[:15]) + (f", ... ({len(columns)} in all)" if len(columns) > 15
                                       else "")
    raise MappingError(f"the mapping names columns that {path} does not have: {what}; its "
                       f"columns are {shown}",
                       hint="fix the names (snake_case, after 'rename:') or remove them")


class MappingAdapter(Adapter):
    name = "mapping"
    description = "any CSV/TSV/Parquet/JSON-lines capture described by a YAML mapping"

    def sniff(self, probe: Probe) -> float:
        return 0.0  # chosen with --format mapping / --mapping FILE, never guessed

    def open(self, path: Path, options: SourceOptions) -> Source:
        if options.mapping is None:
            raise MappingError("the mapping format needs a mapping file",
                               hint="pass --mapping FILE")
        try:
            return self._open(path, options)
        except MappingError as exc:
            if exc.path is None:  # the mistake is in the mapping: name its file
                exc.path = getattr(options.mapping, "origin", None)
            raise

    def _open(self, path: Path, options: SourceOptions) -> Source:
        assert options.mapping is not None
        m = _check(options.mapping)
        rename = {canonical_name(k): canonical_name(v) for k, v in (m.get("rename") or {}).items()}
        labels = [canonical_name(c) for c in m.get("label") or []]
        binary = canonical_name(m["binary_label"]) if m.get("binary_label") else None
        drop = tuple(canonical_name(c) for c in m.get("drop") or [])
        missing = [str(v) for v in m.get("missing") or []]
        label_map = {str(k).strip(): str(v) for k, v in (m.get("label_map") or {}).items()}
        suffixes = [x.lower() for x in path.suffixes]
        if suffixes and suffixes[-1] in (".gz", ".bz2", ".xz", ".zst"):
            suffixes.pop()  # flows.jsonl.gz is JSON lines
        fmt = m.get("format") or {".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet",
                                  ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl"
                                  }.get(suffixes[-1] if suffixes else "", "csv")

        def spec_for(col: str, values: list[str | None]) -> ColumnSpec | None:
            roles, kinds, domains = (m.get("roles") or {}), (m.get("kinds") or {}), (
                m.get("domains") or {})
            if col not in roles and col not in kinds and col not in domains:
                return None
            base = spec_from_values(col, values) if values else infer_spec(col)
            try:
                # a timestamp is a clock, never a model feature, unless a role says so
                role = roles.get(col) or ("time" if kinds.get(col) == "timestamp"
                                          else base.role)
                return ColumnSpec(col, role, kinds.get(col, base.kind),
                                  domains.get(col, base.domain))
            except MappingError as exc:
                raise MappingError(exc.message, column=col) from None

        def derive(table: pa.Table) -> pa.Table:
            if not missing:
                return table
            markers = pa.array(missing)
            arrays = [pc.if_else(pc.is_in(pc.utf8_trim_whitespace(arr), markers), None, arr)
                      for arr in table.columns]
            return pa.Table.from_arrays(arrays, schema=table.schema)

        name = str(m.get("source") or "mapping")
        if fmt in ("csv", "tsv"):
            probe = self.text_probe(path)
            if m.get("header", True):
                header = probe.first_data_line
                delim = options.delimiter or m.get("delimiter") or (
                    "\t" if fmt == "tsv" else sniff_delimiter(header))
                raw_names = header.split(delim)
                header_lines = probe.lines.index(header) + 1
            else:
                raw_names = [str(c) for c in m.get("columns") or []]
                if not raw_names:
                    raise MappingError("'header: false' needs 'columns:'")
                delim = options.delimiter or m.get("delimiter") or (
                    "\t" if fmt == "tsv" else sniff_delimiter(probe.first_data_line))
                header_lines = 0
            names = [rename.get(c, c) for c in map(canonical_name, raw_names)]
            check_columns(m, unique_names(names, path)[0], path, rename)
            source = open_delimited(
                path, name=name, raw_names=raw_names, delimiter=delim,
                header_lines=header_lines, spec_for=spec_for, rename=rename,
                label_columns=labels, binary_label=binary, drop=drop,
                fixed_label=options.default_label, derive=derive,
                decimal=options.decimal or m.get("decimal"),
                clock=options.clock or m.get("clock"))
            source.label_map = label_map
            return source
        if fmt in ("parquet", "jsonl"):
            source = self._columnar(path, fmt, name, rename, labels, binary, drop, spec_for,
                                    derive, options, m)
            source.label_map = label_map
            return source
        raise MappingError(f"expected format csv, tsv, parquet or jsonl, found {fmt!r}")

    def _columnar(self, path, fmt, name, rename, labels, binary, drop, spec_for, derive,
                  options, m):  # type: ignore[no-untyped-def]
        def tables() -> Iterator[pa.Table]:
            try:
                if fmt == "parquet":
                    import pyarrow.parquet as pq

                    for batch in pq.ParquetFile(path).iter_batches(batch_size=65536):
                        yield pa.Table.from_batches([batch])
                else:  # JSON lines or an array of objects, maybe compressed
                    yield from json_tables(path, nested)
            except (pa.ArrowInvalid, OSError) as exc:
                raise InputError(f"cannot read as {fmt}: {exc}".replace("\n", " "),
                                 path=str(path)) from None

        nested = m.get("nested") or "flatten"
        if nested not in ("flatten", "json"):
            raise MappingError(f"'nested' must be flatten or json, found {nested!r}")
        columns: list[str] = []  # every column seen so far, in order

        def as_text(table: pa.Table) -> pa.Table:
            table = text_table(table, nested)
            cols = [canonical_name(c) for c in table.column_names]
            cols, _ = unique_names([rename.get(c, c) for c in cols], path)
            found = dict(zip(cols, table.columns, strict=True))
            columns.extend(c for c in cols if c not in columns)
            n = table.num_rows
            return derive(pa.table({c: found.get(c, pa.nulls(n, pa.string()))
                                    for c in columns}))

        it = tables()
        first = next(it, None)
        if first is None or first.num_rows == 0:
            raise InputError("expected records, found none", path=str(path))
        first = as_text(first)
        check_columns(m, first.column_names, path, rename)
        if not labels and options.default_label is None:
            raise SchemaMismatchError("the mapping names no 'label' column",
                                      path=str(path))
        missing = [c for c in labels if c not in first.column_names]
        if missing:
            raise SchemaMismatchError(f"label column {missing[0]!r} not found; columns are "
                                      f"{first.column_names[:12]}", path=str(path))
        specs = {}
        for col in first.column_names:
            if col in labels or col == binary or col in drop:
                continue
            values = first.column(col).slice(0, 5000).to_pylist()
            specs[col] = spec_for(col, values) or spec_from_values(col, values)

        def batches() -> Iterator[RawBatch]:
            start = 1
            for table in [first, *map(as_text, it)]:
                rows = np.arange(start, start + table.num_rows, dtype=np.int64)
                start += table.num_rows
                yield RawBatch(table, rows)

        return Source(name=name, specs=specs, batches=batches(), label_columns=labels,
                      binary_label=binary, fixed_label=options.default_label)


ADAPTER = MappingAdapter()
