"""Zeek ``conn.log`` (TSV with ``#`` header lines), including IoT-23's labelled logs.

Follows Zeek's log format: ``#separator`` (escaped, e.g. ``\\x09``), ``#set_separator``,
``#empty_field`` and ``#unset_field`` markers, ``#fields`` and ``#types``; ``#close``
and other ``#`` lines anywhere are comments. The missing markers declared in the
header are honoured (``-`` and ``(empty)`` by default). Types come from ``#types``:
``time`` -> timestamp, ``addr`` -> endpoint, ``port`` -> port, ``count``/``interval``
-> non-negative numbers, ``bool`` -> boolean, ``string``/``enum`` -> categorical.

IoT-23 appends ``label`` and ``detailed-label`` to ``#fields`` but separates the last
three fields with runs of spaces, not the separator. A header field that itself
contains whitespace is split into its parts, and so is the matching data field:
the general rule, not a special case for one dataset. A log without label columns
takes its labels from ``--default-label`` (e.g. a capture of a known-benign host).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, SchemaMismatchError
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
from ._text import iter_text_chunks

__all__ = ["ADAPTER", "LABEL_FIELDS", "ROLE_OVERRIDES", "TYPE_SPECS", "ZeekAdapter", "parse_header"]

TYPE_SPECS = {
    "time": ("time", "timestamp", "none"),
    "addr": ("endpoint", "string", "ip"),
    "port": ("numeric", "int", "port"),
    "count": ("numeric", "int", "nonnegative"),
    "interval": ("numeric", "float", "nonnegative"),
    "double": ("numeric", "float", "none"),
    "int": ("numeric", "int", "none"),
    "bool": ("categorical", "bool", "none"),
    "enum": ("categorical", "string", "none"),
    "string": ("categorical", "string", "none"),
}
ROLE_OVERRIDES = {
    "uid": ("id", "string", "none"),
    "id_orig_p": ("endpoint", "int", "port"),
    "tunnel_parents": ("id", "string", "none"),
    "history": ("categorical", "string", "none"),
}
LABEL_FIELDS = ("detailed_label", "label")
_WS = re.compile(r"\s+")


def _unescape(value: str) -> str:
    return value.encode().decode("unicode_escape")


def parse_header(lines: list[str]) -> dict[str, object]:
    """The ``#`` directives of a Zeek log, and how many header lines there are."""
    info: dict[str, object] = {"separator": "\t", "empty": "(empty)", "unset": "-"}
    count = 0
    for line in lines:
        if not line.startswith("#"):
            break
        count += 1
        if line.startswith("#separator"):
            info["separator"] = _unescape(line.split(" ", 1)[1].strip())
            continue
        sep = str(info["separator"])
        key, _, rest = line[1:].partition(sep)
        values = rest.split(sep) if rest else []
        if key == "fields":
            info["fields"] = values
        elif key == "types":
            info["types"] = values
        elif key == "empty_field" and values:
            info["empty"] = values[0]
        elif key == "unset_field" and values:
            info["unset"] = values[0]
        elif key == "path" and values:
            info["path"] = values[0]
    info["header_lines"] = count
    return info


class ZeekAdapter(Adapter):
    name = "zeek"
    description = "Zeek TSV logs (conn.log and IoT-23 conn.log.labeled)"

    def sniff(self, probe: Probe) -> float:
        if not probe.lines or not probe.lines[0].startswith("#separator"):
            return 0.0
        return 0.95 if any(line.startswith("#fields") for line in probe.lines) else 0.4

    def open(self, path: Path, options: SourceOptions) -> Source:
        probe = self.text_probe(path)
        info = parse_header(probe.lines)
        fields = cast(list[str], info.get("fields"))
        if not fields:
            raise SchemaMismatchError("expected a '#fields' header line, found none",
                                      path=str(path))
        types = list(info.get("types") or [])  # type: ignore[call-overload]
        split_at: list[int] = []
        names: list[str] = []
        ztypes: list[str] = []
        for i, field in enumerate(fields):
            parts = _WS.split(field.strip())
            tparts = _WS.split(types[i].strip()) if i < len(types) else ["string"]
            if len(parts) > 1:
                split_at.append(i)
            names += parts
            ztypes += tparts + ["string"] * (len(parts) - len(tparts))
        names = [canonical_name(n) for n in names]
        names, notes = unique_names(names, path)
        raw_cols = [canonical_name(f) for f in fields]
        raw_cols, _ = unique_names(raw_cols, path)
        sep = str(info["separator"])
        markers = {str(info["empty"]), str(info["unset"])}
        chunks = iter_text_chunks(path, column_names=raw_cols, delimiter=sep,
                                  skip_lines=int(info["header_lines"]),  # type: ignore[call-overload]
                                  quote_char=False, comment_prefix="#")

        specs: dict[str, ColumnSpec] = {}
        labels = [c for c in LABEL_FIELDS if c in names]
        for name, ztype in zip(names, ztypes, strict=True):
            if name in labels:
                continue
            base = ztype.split("[")[0]
            role, kind, domain = ROLE_OVERRIDES.get(name) or TYPE_SPECS.get(
                base, ("categorical", "string", "none"))
            if base in ("set", "vector", "table"):
                role, kind, domain = "categorical", "string", "none"
            # Zeek writes canonical values; their case carries meaning (history codes).
            specs[name] = ColumnSpec(name, role, kind, domain,  # type: ignore[arg-type]
                                     case_sensitive=True)
        if not labels and options.default_label is None:
            raise SchemaMismatchError(
                "expected IoT-23 'label'/'detailed-label' fields, found none",
                path=str(path), hint="give --default-label CLASS for an unlabelled log")

        def split_fields(table: pa.Table) -> pa.Table:
            cols: dict[str, pa.Array] = {}
            for raw, i in zip(raw_cols, range(len(raw_cols)), strict=True):
                col = table.column(raw)
                if i in split_at:
                    n_parts = len(_WS.split(fields[i].strip()))  # type: ignore[index]
                    parts = pc.split_pattern_regex(pc.utf8_trim_whitespace(col), r"\s+",
                                                   max_splits=n_parts - 1)
                    start = len(cols)
                    for k in range(n_parts):
                        cols[names[start + k]] = pc.list_element(
                            pc.if_else(pc.greater(pc.list_value_length(parts), k), parts,
                                       pa.scalar([""] * n_parts, parts.type)), k)
                else:
                    cols[names[len(cols)]] = col
            out = pa.table(cols)
            for name in out.column_names:
                arr = out.column(name)
                mask = pc.is_in(pc.utf8_trim_whitespace(arr), pa.array(sorted(markers)))
                out = out.set_column(out.column_names.index(name), name,
                                     pc.if_else(mask, pa.scalar(None, pa.string()), arr))
            return out

        def batches() -> Iterator[RawBatch]:
            seen = False
            for chunk in chunks:
                seen = seen or chunk.table.num_rows > 0
                yield RawBatch(split_fields(chunk.table), chunk.lines, chunk.invalid,
                               chunk.encoding_fixed)
            if not seen:
                raise InputError("expected log records after the header, found none",
                                 path=str(path))

        return Source(name="zeek:" + str(info.get("path", "conn")), specs=specs,
                      batches=batches(), label_columns=labels, fixed_label=options.default_label
                      if not labels else None, notes=notes)


ADAPTER = ZeekAdapter()
