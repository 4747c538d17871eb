"""JSON records as text tables: JSON lines or one JSON array of objects, nested or not.

Every value becomes text, as a delimited reader delivers it, and the cleaning rules
type it. A nested object is either flattened into one column per leaf, named by its
dotted path (``{"b": {"c": 1}}`` gives the column ``b.c``, snake-cased ``b_c`` like
every column name), or kept as its JSON text in one column (``nested: json`` in a
mapping). Arrays are always kept as their JSON text (``[1, 2]``).

pyarrow reads clean JSON lines fast. When it cannot (a value whose type changes from
one line to the next, a JSON array of objects, a broken line), the file is read
again line by line with Python's :mod:`json`, which either reads it or names the
first line that is not one JSON object, with json's reason.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ._stream import open_capture

Nested = Literal["flatten", "json"]
"""What a nested JSON object becomes: one column per leaf, or its JSON text."""

BATCH_ROWS = 65536


def _json_text(arr: pa.Array) -> pa.Array:
    return pa.array([None if v is None else json.dumps(v, ensure_ascii=False,
                                                       separators=(",", ":"))
                     for v in arr.to_pylist()], pa.string())


def _as_text(arr: pa.Array) -> pa.Array:
    if pa.types.is_string(arr.type):
        return arr
    if pa.types.is_large_string(arr.type) or pa.types.is_null(arr.type):
        return arr.cast(pa.string())
    if pa.types.is_nested(arr.type) or pa.types.is_binary(arr.type):
        return _json_text(arr)
    if pa.types.is_boolean(arr.type):
        return pc.if_else(arr, "true", "false")
    return arr.cast(pa.string())


def text_table(table: pa.Table, nested: Nested = "flatten") -> pa.Table:
    """``table`` with every column as text; nested objects flattened (dotted names)
    or kept as JSON text; arrays as JSON text.

    >>> t = pa.table({"a": [1, 2], "b": [{"c": 1, "d": {"e": True}}, None],
    ...               "l": [[1, 2], []]})
    >>> text_table(t).to_pydict()
    {'a': ['1', '2'], 'b.c': ['1', None], 'b.d.e': ['true', None], 'l': ['[1,2]', '[]']}
    >>> text_table(t, "json").column("b").to_pylist()
    ['{"c":1,"d":{"e":true}}', None]
    """
    if nested == "flatten":
        while any(pa.types.is_struct(t) for t in table.schema.types):
            table = table.flatten()
    return pa.table({name: _as_text(col.combine_chunks())
                     for name, col in zip(table.column_names, table.columns, strict=True)})


def _flat(obj: dict[str, Any], nested: Nested, prefix: str = "",
          out: dict[str, Any] | None = None) -> dict[str, Any]:
    out = {} if out is None else out
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and nested == "flatten":
            _flat(value, nested, f"{name}.", out)
        elif isinstance(value, (dict, list)):
            out[name] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif value is None:
            out[name] = None
        else:
            out[name] = str(value)
    return out


def _records_table(records: list[dict[str, Any]], names: dict[str, None]) -> pa.Table:
    for rec in records:
        for key in rec:
            names.setdefault(key, None)
    return pa.table({n: pa.array([r.get(n) for r in records], pa.string()) for n in names})


def _python_tables(path: str | os.PathLike[str], nested: Nested) -> Iterator[pa.Table]:
    """Records read by Python's json module, one line at a time (or one array)."""
    names: dict[str, None] = {}
    with open_capture(path) as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        with open_capture(path) as fh:
            try:
                data = json.loads(fh.read().decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                line = getattr(exc, "lineno", None)
                raise InputError(f"not valid JSON: {getattr(exc, 'msg', exc)}",
                                 path=str(path), line=line,
                                 hint="fix or remove the broken record") from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InputError("expected a JSON array of objects, found other values",
                             path=str(path), hint="give one JSON object per record")
        for i in range(0, len(data), BATCH_ROWS):
            yield _records_table([_flat(r, nested) for r in data[i:i + BATCH_ROWS]], names)
        return
    records: list[dict[str, Any]] = []
    with open_capture(path) as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                text = raw.rstrip(b"\r\n").decode("utf-8-sig" if number == 1 else "utf-8")
                obj = json.loads(text)
            except UnicodeDecodeError:
                raise InputError("not UTF-8 text", path=str(path), line=number,
                                 hint="convert the file to UTF-8") from None
            except json.JSONDecodeError as exc:
                why = exc.msg.removesuffix(" at")
                raise InputError(f"not valid JSON: {why} at column {exc.colno}",
                                 path=str(path), line=number,
                                 hint="fix or remove the broken line") from None
            if not isinstance(obj, dict):
                raise InputError(f"expected one JSON object per line, found "
                                 f"{type(obj).__name__}", path=str(path), line=number,
                                 hint="give one JSON object per line")
            records.append(_flat(obj, nested))
            if len(records) == BATCH_ROWS:
                yield _records_table(records, names)
                records = []
    if records:
        yield _records_table(records, names)


def json_tables(path: str | os.PathLike[str], nested: Nested = "flatten"
                ) -> Iterator[pa.Table]:
    """Text tables of the JSON records in ``path`` (JSON lines or one array of objects).

    A column that appears only in later records is added from then on (earlier
    tables lack it: the caller fills it as missing).
    """
    import pyarrow.json as pj

    done = 0  # rows already handed on, when pyarrow fails part way
    try:
        with open_capture(path) as fh:
            for batch in pj.open_json(fh):
                table = text_table(pa.Table.from_batches([batch]), nested)
                done += table.num_rows
                yield table
        return
    except pa.ArrowInvalid:
        pass  # read again with Python's json module, which reads it or says where not
    for table in _python_tables(path, nested):
        if done >= table.num_rows:
            done -= table.num_rows
            continue
        yield table.slice(done)
        done = 0
