"""The canonical table: column roles, column specs and Parquet metadata.

Every stage reads and writes Parquet whose schema metadata holds a JSON document
under the key ``iotforge``: the stage that wrote it, the role of every column, the
sources, the split and the seed. Roles decide what models may learn from
(``numeric`` and ``categorical`` only) and what augmenters synthesize.

>>> import pandas as pd
>>> df = pd.DataFrame({"bytes": [1.0], "label": ["normal"]})
>>> meta = TableMeta(stage="curate", roles={"bytes": "numeric", "label": "label"})
>>> TableMeta.from_json(meta.to_json()).feature_columns(df.columns)
['bytes']
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, get_args

import pyarrow as pa
import pyarrow.parquet as pq

from ._typing import DecimalMark, Domain, Kind, Role
from .errors import InputError, MappingError

__all__ = ["ARROW_TYPES", "ATTACK_FAMILY", "AUGMENTER", "DOMAINS", "FIXED_ROLES", "FIXED_TYPES",
           "IS_ATTACK", "IS_SYNTHETIC", "KINDS", "LABEL", "LABEL_COLUMNS", "LABEL_RAW", "META_KEY",
           "PROVENANCE_COLUMNS", "ROLES", "SOURCE", "SOURCE_FILE", "SOURCE_ROW",
           "SYNTHETIC_LABEL_COLUMNS", "ColumnSpec", "TableMeta", "arrow_schema", "atomic_text",
           "conform", "read_meta", "with_meta", "write_frame_atomic", "write_table_atomic"]

META_KEY = b"iotforge"

ROLES: tuple[str, ...] = get_args(Role)
KINDS: tuple[str, ...] = get_args(Kind)
DOMAINS: tuple[str, ...] = get_args(Domain)

# Provenance and label columns every real row carries.
SOURCE = "source"
SOURCE_FILE = "source_file"
SOURCE_ROW = "source_row"
IS_SYNTHETIC = "is_synthetic"
AUGMENTER = "augmenter"
LABEL = "label"
LABEL_RAW = "label_raw"
IS_ATTACK = "is_attack"
ATTACK_FAMILY = "attack_family"

PROVENANCE_COLUMNS = (SOURCE, SOURCE_FILE, SOURCE_ROW, IS_SYNTHETIC, AUGMENTER)
"""The one list of provenance columns (role ``provenance``): where a row came from."""
LABEL_COLUMNS = (LABEL, LABEL_RAW, IS_ATTACK, ATTACK_FAMILY)
"""The label columns (role ``label``)."""
SYNTHETIC_LABEL_COLUMNS = (LABEL, IS_ATTACK, ATTACK_FAMILY)
"""The label columns a synthetic row fills (``label_raw`` is what a capture said)."""

FIXED_ROLES: dict[str, Role] = {
    **{c: "provenance" for c in PROVENANCE_COLUMNS},
    **{c: "label" for c in LABEL_COLUMNS},
}

FIXED_TYPES: dict[str, pa.DataType] = {
    SOURCE: pa.string(),
    SOURCE_FILE: pa.string(),
    SOURCE_ROW: pa.int64(),
    IS_SYNTHETIC: pa.bool_(),
    AUGMENTER: pa.string(),
    LABEL: pa.string(),
    LABEL_RAW: pa.string(),
    IS_ATTACK: pa.bool_(),
    ATTACK_FAMILY: pa.string(),
}

ARROW_TYPES: dict[str, pa.DataType] = {
    "float": pa.float64(),
    "int": pa.int64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


@dataclass(frozen=True)
class ColumnSpec:
    """What a source column is: its canonical name, role, storage kind and domain.

    ``sentinels`` are values that mean "not measured" in this column (CICFlowMeter
    writes -1 for an absent TCP window); the range rule turns them into missing.
    ``case_sensitive`` keeps the case of categorical values (Zeek's ``history``
    codes differ by case); otherwise the ``case`` rule folds them to lower case.
    ``decimal`` is the decimal separator of the column's numbers in its file (``,``:
    the ``decimal_comma`` rule reads ``30,5`` as 30.5).
    """

    name: str
    role: Role
    kind: Kind = "float"
    domain: Domain = "none"
    sentinels: tuple[float, ...] = ()
    case_sensitive: bool = False
    decimal: DecimalMark = "."

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise MappingError(
                f"expected a role in {ROLES}, found {self.role!r}", column=self.name
            )
        if self.kind not in KINDS:
            raise MappingError(
                f"expected a kind in {KINDS}, found {self.kind!r}", column=self.name
            )
        if self.domain not in DOMAINS:
            raise MappingError(
                f"expected a domain in {DOMAINS}, found {self.domain!r}", column=self.name
            )


@dataclass
class TableMeta:
    """The JSON document stored under ``iotforge`` in every Parquet file."""

    stage: str
    roles: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    split: str | None = None
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> TableMeta:
        data = json.loads(text)
        return cls(**{k: data.get(k) for k in ("stage", "roles", "sources", "split", "seed")},
                   extra=data.get("extra") or {})

    def columns_with_role(self, role: Role, columns: Iterable[str] | None = None) -> list[str]:
        names = list(columns) if columns is not None else list(self.roles)
        return [c for c in names if self.roles.get(c) == role]

    def feature_columns(self, columns: Iterable[str] | None = None) -> list[str]:
        """Columns a model may learn from: ``numeric`` and ``categorical``."""
        names = list(columns) if columns is not None else list(self.roles)
        return [c for c in names if self.roles.get(c) in ("numeric", "categorical")]


def arrow_schema(specs: Mapping[str, ColumnSpec], meta: TableMeta) -> pa.Schema:
    """The Arrow schema of a canonical table: fixed columns first, then the specs."""
    fields = [pa.field(c, FIXED_TYPES[c]) for c in (*PROVENANCE_COLUMNS, *LABEL_COLUMNS)]
    fields += [pa.field(s.name, ARROW_TYPES[s.kind]) for s in specs.values()]
    return pa.schema(fields, metadata={META_KEY: meta.to_json().encode()})


def read_meta(path: str | os.PathLike[str]) -> TableMeta:
    """The iotforge metadata of a Parquet file (an error when it has none)."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(f"expected a Parquet file, found unreadable data ({exc})",
                         path=str(path)) from None
    raw = (schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise InputError("expected a Parquet file written by iotforge, found no "
                         "'iotforge' metadata", path=str(path),
                         hint="run 'iotforge curate' on it first")
    return TableMeta.from_json(raw)


def with_meta(table: pa.Table, meta: TableMeta) -> pa.Table:
    """``table`` with ``meta`` stored in its schema metadata."""
    md = dict(table.schema.metadata or {})
    md.pop(b"pandas", None)
    md[META_KEY] = meta.to_json().encode()
    return table.replace_schema_metadata(md)


@functools.cache
def _file_mode() -> int:
    """The mode ``open()`` gives a new file under the process umask (mkstemp's is 0600)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _publish(tmp: str, path: Path) -> None:
    """Move a finished temporary file into place with the user's usual file mode."""
    os.chmod(tmp, _file_mode())
    os.replace(tmp, path)


def write_table_atomic(table: pa.Table, path: str | os.PathLike[str], meta: TableMeta) -> None:
    """Write ``table`` to ``path`` so a crash leaves the old file or none."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(with_meta(table, meta), tmp)
        _publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_frame_atomic(frame: Any, path: str | os.PathLike[str], meta: TableMeta) -> None:
    """Write a pandas DataFrame like :func:`write_table_atomic`."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    write_table_atomic(table, path, meta)


def atomic_text(path: str | os.PathLike[str], text: str) -> None:
    """Write a text file atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        _publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def conform(frame: Any, schema: pa.Schema) -> pa.Table:
    """A pandas DataFrame as a table of ``schema``: absent columns null, types cast.

    >>> import pandas as pd
    >>> schema = pa.schema([("a", pa.int64()), ("b", pa.string())])
    >>> conform(pd.DataFrame({"a": [1.0, None]}), schema).to_pydict()
    {'a': [1, None], 'b': [None, None]}
    """
    n = len(frame)
    arrays = []
    for fld in schema:
        if fld.name in frame.columns:
            col = frame[fld.name]
            if pa.types.is_string(fld.type) and col.dtype != object:
                col = col.astype("string")
            arr = pa.array(col, from_pandas=True)
            if arr.type != fld.type:
                arr = arr.cast(fld.type)
            arrays.append(arr)
        else:
            arrays.append(pa.nulls(n, fld.type))
    return pa.Table.from_arrays(arrays, schema=schema)
