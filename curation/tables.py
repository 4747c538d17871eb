"""Stage tables as profile, validate, audit and split read them (:func:`load_data`).

A curated table is Parquet with the canonical columns (provenance and labels,
see :mod:`iotforge.curation.schema`), and normally the ``iotforge`` schema metadata with
the role of every column. A user who edits the table with pandas
(``pd.read_parquet(p).to_parquet(p)``) loses that metadata; the table is still
the canonical table. So:

- Parquet is recognised by its magic bytes, never handed to the capture adapters
  (which would call it "binary data").
- The metadata is optional. Without it, and for any column it does not list, a
  role is inferred as ``curate`` infers one for a column no adapter declared:
  the fixed roles of the canonical columns, then the column name
  (:func:`iotforge.curation.roles.infer_spec`), then the stored type (a string or bool
  column named like a number is ``categorical``, a timestamp is ``time``).
- Parquet with neither the metadata nor the canonical columns is not a curated
  table: the error names the canonical columns it lacks.
- Roles given by the caller (a mapping file's ``roles:``) override both.

>>> import pyarrow as pa
>>> schema = pa.schema([("source", pa.string()), ("bytes", pa.float64()),
...                     ("proto", pa.string()), ("src_ip", pa.string())])
>>> infer_roles(schema)
{'source': 'provenance', 'bytes': 'numeric', 'proto': 'categorical', 'src_ip': 'endpoint'}
>>> missing_canonical(schema.names)
['source_file', 'source_row', 'label', 'label_raw', 'is_attack']
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ._typing import Role
from .contracts.validate import to_frame
from .curate import curate
from .errors import InputError, MappingError, UsageError
from .roles import infer_spec
from .schema import (
    FIXED_ROLES,
    IS_ATTACK,
    LABEL,
    LABEL_RAW,
    META_KEY,
    ROLES,
    SOURCE,
    SOURCE_FILE,
    SOURCE_ROW,
    TableMeta,
    read_meta,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["INFERRED_STAGE", "PARQUET_MAGIC", "REQUIRED_COLUMNS", "Loaded", "apply_roles",
           "concat_promoted", "curated_inputs", "dataset_part", "infer_role", "infer_roles",
           "is_parquet", "is_stage_table", "load_data", "merge_metas", "missing_canonical",
           "read_stage_tables", "table_meta", "without_pandas_index"]

log = logging.getLogger(__name__)

PARQUET_MAGIC = b"PAR1"

REQUIRED_COLUMNS = (SOURCE, SOURCE_FILE, SOURCE_ROW, LABEL, LABEL_RAW, IS_ATTACK)
"""Columns every curated table has; with them, Parquet without metadata is still one."""

INFERRED_STAGE = "unknown"
"""``TableMeta.stage`` of a table read without metadata."""


def is_parquet(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a file that starts with the Parquet magic bytes, or a Parquet
    dataset directory (``part-*.parquet``, as the Dask engine writes large outputs)."""
    first = dataset_part(path)
    try:
        with open(first or path, "rb") as fh:
            return fh.read(4) == PARQUET_MAGIC
    except (IsADirectoryError, FileNotFoundError):
        return False


def dataset_part(path: str | os.PathLike[str]) -> str | None:
    """The first file of a Parquet dataset directory: one that holds ``*.parquet`` files
    and nothing else (hidden entries aside). None for anything else."""
    try:
        entries = [e for e in os.scandir(path) if not e.name.startswith(".")]
    except (NotADirectoryError, FileNotFoundError, PermissionError):
        return None
    if not entries or not all(e.name.endswith(".parquet") and e.is_file() for e in entries):
        return None
    return min(e.path for e in entries)


def is_stage_table(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is Parquet with the 'iotforge' metadata or the canonical columns.

    Unreadable Parquet counts as a stage table, so that reading it names the damage.
    """
    if not is_parquet(path):
        return False
    try:
        schema = pq.read_schema(dataset_part(path) or path)
    except (OSError, pa.ArrowInvalid):
        return True
    return META_KEY in (schema.metadata or {}) or not missing_canonical(schema.names)


def missing_canonical(columns: Sequence[str]) -> list[str]:
    """The columns of :data:`REQUIRED_COLUMNS` that ``columns`` lacks, in canonical order."""
    have = set(columns)
    return [c for c in REQUIRED_COLUMNS if c not in have]


def infer_role(name: str, dtype: pa.DataType) -> Role:
    """The role ``curate`` would give a column it knows only by name and stored type.

    >>> infer_role("flow_bytes", pa.string()), infer_role("ts", pa.timestamp("us"))
    ('categorical', 'time')
    """
    if name in FIXED_ROLES:
        return FIXED_ROLES[name]
    if pa.types.is_timestamp(dtype) or pa.types.is_date(dtype):
        return "time"
    role = infer_spec(name).role
    if role == "numeric" and (pa.types.is_string(dtype) or pa.types.is_large_string(dtype)
                              or pa.types.is_dictionary(dtype) or pa.types.is_boolean(dtype)):
        return "categorical"
    return role


def infer_roles(schema: pa.Schema) -> dict[str, str]:
    """:func:`infer_role` for every field of ``schema``."""
    return {f.name: infer_role(f.name, f.type) for f in schema}


def table_meta(path: str | os.PathLike[str], schema: pa.Schema) -> TableMeta:
    """The :class:`TableMeta` of a curated Parquet file, inferred where it is absent.

    Raises :class:`~iotforge.curation.errors.InputError` for Parquet that is not a curated
    table: no ``iotforge`` metadata and some :data:`REQUIRED_COLUMNS` missing.
    """
    raw = (schema.metadata or {}).get(META_KEY)
    inferred = infer_roles(schema)
    if raw is not None:
        try:
            meta = TableMeta.from_json(raw)
        except (ValueError, TypeError) as exc:
            raise InputError(f"expected JSON under the 'iotforge' schema metadata, found "
                             f"unreadable metadata ({exc})", path=str(path)) from None
        meta.roles = {**{c: r for c, r in inferred.items() if c not in (meta.roles or {})},
                      **{c: r for c, r in (meta.roles or {}).items() if c in inferred}}
        return meta
    missing = missing_canonical(schema.names)
    if missing:
        shown = ", ".join(schema.names[:12]) + (" ..." if len(schema.names) > 12 else "")
        raise InputError(
            f"expected a curated table (Parquet with 'iotforge' metadata or the canonical "
            f"columns), found Parquet without metadata that lacks the canonical columns "
            f"{missing} (its columns: {shown})", path=str(path),
            hint="to read it as a raw capture give --mapping FILE (a YAML mapping, "
                 "format: parquet; see docs/formats.md); an edited curated table must keep "
                 "the canonical columns")
    log.warning("%s: no 'iotforge' metadata; column roles inferred from names and types "
                "(roles in a mapping file override them)", path)
    return TableMeta(stage=INFERRED_STAGE, roles=inferred,
                     extra={"roles_inferred": sorted(inferred)})


def without_pandas_index(table: pa.Table) -> pa.Table:
    """``table`` without what pandas added: its index columns and its schema metadata.

    ``DataFrame.to_parquet`` stores a non-default index as ``__index_level_0__``
    and describes it under the ``pandas`` metadata key, which would turn it back
    into an index. Curated tables carry no pandas metadata and no index; a named
    index (``df.set_index("uid")``) was a column and stays one.

    >>> import pandas as pd
    >>> t = pa.Table.from_pandas(pd.DataFrame({"x": [1, 2, 3]}).iloc[1:])
    >>> without_pandas_index(t).column_names, without_pandas_index(t).schema.metadata
    (['x'], None)
    """
    md = dict(table.schema.metadata or {})
    raw = md.pop(b"pandas", None)
    if raw is None:
        return table
    try:
        index = json.loads(raw).get("index_columns") or []
    except (ValueError, AttributeError):
        index = []
    drop = [c for c in index if isinstance(c, str) and re.fullmatch(r"__index_level_\d+__", c)
            and c in table.column_names]
    return table.drop_columns(drop).replace_schema_metadata(md or None)


def apply_roles(meta: TableMeta, roles: Mapping[str, Any], columns: Sequence[str],
                *, origin: str | None = None) -> TableMeta:
    """``meta`` with ``roles`` (column -> role) over its roles; every problem in one error.

    >>> meta = TableMeta(stage="curate", roles={"uid": "id", "label": "label"})
    >>> apply_roles(meta, {"uid": "categorical"}, ["uid", "label"]).roles["uid"]
    'categorical'
    """
    if not isinstance(roles, Mapping):
        raise MappingError(f"expected 'roles' to be a mapping of column to role, found "
                           f"{type(roles).__name__}", path=origin)
    problems = []
    for col, role in roles.items():
        if col not in columns:
            problems.append(f"no column {col!r} in the table")
        elif role not in ROLES:
            problems.append(f"column {col!r}: expected a role in {list(ROLES)}, found {role!r}")
        elif col in FIXED_ROLES and role != FIXED_ROLES[col]:
            problems.append(f"column {col!r} has the fixed role {FIXED_ROLES[col]!r}")
    if problems:
        raise MappingError("roles: " + "; ".join(problems), path=origin,
                           hint="name columns of the table and roles in "
                                f"{', '.join(ROLES)}")
    meta.roles = {**meta.roles, **{str(c): str(r) for c, r in roles.items()}}
    return meta


def concat_promoted(tables: Sequence[pa.Table], path: str | os.PathLike[str]) -> pa.Table:
    """Tables of several files as one, each column's type promoted (int32 and int64 to
    int64, int and float to float; a column missing from a file is null there); both
    engines read several inputs through it (the Dask one with empty tables, for the
    schema). One clear error, naming ``path``, when two types do not promote.

    >>> a, b = pa.table({"n": pa.array([1], pa.int32())}), pa.table({"n": [2.5], "s": ["x"]})
    >>> concat_promoted([a, b], "b.parquet").schema.types
    [DataType(double), DataType(string)]
    """
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputError(f"expected Parquet files with compatible schemas ({exc})",
                         path=str(path)) from None


def merge_metas(metas: Sequence[TableMeta]) -> TableMeta:
    """The first file's :class:`TableMeta` with the others' roles and sources added (the
    first file wins a disagreement)."""
    meta = metas[0]
    for m in metas[1:]:
        meta.roles.update({k: v for k, v in m.roles.items() if k not in meta.roles})
        meta.sources += [s for s in m.sources if s not in meta.sources]
    return meta


def read_stage_tables(paths: Sequence[str | os.PathLike[str]], *,
                      roles: Mapping[str, Any] | None = None,
                      roles_origin: str | None = None) -> tuple[pa.Table, TableMeta]:
    """Read one or more curated Parquet files as one table and one :class:`TableMeta`.

    Files are concatenated with permissive type promotion; roles and sources are
    merged (the first file wins a disagreement). ``roles`` override every file's.
    """
    tables: list[pa.Table] = []
    metas: list[TableMeta] = []
    for path in paths:
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputError(f"expected a Parquet file, found unreadable data ({exc})",
                             path=str(path)) from None
        table = without_pandas_index(table)
        metas.append(table_meta(path, table.schema))
        tables.append(table)
    table = concat_promoted(tables, paths[-1])
    meta = merge_metas(metas)
    if meta.stage == INFERRED_STAGE and SOURCE in table.column_names:
        found = pc.unique(table[SOURCE].drop_null()).to_pylist()
        meta.sources += sorted(str(s) for s in found if s not in meta.sources)
    if roles:
        meta = apply_roles(meta, roles, table.column_names, origin=roles_origin)
    return table, meta



def curated_inputs(paths: Sequence[str | os.PathLike[str]], *, mapping: Any = None,
                   mapping_path: str | None = None) -> list[str] | None:
    """The inputs to read as curated tables, or None for raw captures to curate first.

    Every path must exist; inputs are all Parquet or all raw captures, never both.
    Parquet with neither the 'iotforge' metadata nor the canonical columns is a raw
    capture when a ``mapping`` is given (all of them then), else a curated table whose
    reading names what it lacks. Each engine's input reader starts here.

    >>> curated_inputs(["no/such/file.csv"])
    Traceback (most recent call last):
    ...
    iotforge.curation.errors.UsageError: expected input files, found no file no/such/file.csv
    """
    missing = [str(p) for p in paths if not os.path.exists(p)]
    if missing:
        raise UsageError(f"expected input files, found no file {', '.join(missing)}")
    if mapping is not None and not isinstance(mapping, dict):
        raise MappingError(f"expected a YAML mapping, found {type(mapping).__name__}",
                           path=mapping_path)
    parquet = [str(p) for p in paths if is_parquet(p)]
    if parquet and len(parquet) != len(paths):
        raise UsageError("expected either curated Parquet or raw captures, found both",
                         hint="curate the raw captures first")
    raw_parquet = [p for p in parquet if not is_stage_table(p)]
    if parquet and not (mapping is not None and raw_parquet == parquet):
        return parquet
    return None


@dataclass
class Loaded:
    """Input data as the canonical frame, with where it came from.

    ``curation`` is the curate report's ``total`` when raw captures were curated on the
    fly, None for curated Parquet.
    """

    frame: pd.DataFrame
    meta: TableMeta
    schema: pa.Schema
    curation: dict[str, Any] | None = field(default=None)


def load_data(paths: Sequence[str], fmt: str | None = None, *, mapping: Any = None,
              mapping_path: str | None = None, default_label: str | None = None,
              label_rules: str | None = None, taxonomy: Sequence[str] = ()) -> Loaded:
    """Read curated Parquet, or curate raw captures into a temporary directory.

    What profile, validate, audit, split and rules read. Parquet is read as a curated
    table when it has the 'iotforge' metadata or the canonical columns; Parquet with
    neither is a raw capture only with a ``mapping`` (curated on the fly), and otherwise
    an error naming the canonical columns it lacks. A mix of Parquet and raw captures is
    refused: curate the captures first.

    Parameters
    ----------
    paths : list of str
        Curated Parquet files, or capture files and directories ``curate`` reads.
    fmt : str, optional
        Capture format (default: detected per file; ``mapping`` when a mapping is given).
    mapping : dict, optional
        A mapping file's content; on curated Parquet only its ``roles:`` are used.
    mapping_path, default_label, label_rules, taxonomy
        As :func:`iotforge.curation.curate.curate` takes them (``mapping_path`` names the mapping
        in messages).

    Examples
    --------
    >>> import tempfile
    >>> path = tempfile.mkdtemp() + "/t.parquet"
    >>> pq.write_table(pa.table({"source": ["s"], "source_file": ["f"], "source_row": [1],
    ...     "label": ["normal"], "label_raw": ["0"], "is_attack": [False],
    ...     "duration": [0.5]}), path)
    >>> data = load_data([path])
    >>> data.meta.roles["duration"], len(data.frame), data.curation
    ('numeric', 1, None)
    """
    parquet = curated_inputs(paths, mapping=mapping, mapping_path=mapping_path)
    if parquet is not None:
        table, meta = read_stage_tables(parquet, roles=(mapping or {}).get("roles"),
                                        roles_origin=mapping_path)
        return Loaded(to_frame(table), meta, table.schema)
    if mapping is not None and fmt is None:
        fmt = "mapping"
    with tempfile.TemporaryDirectory(prefix="iotforge.") as tmp:
        report = curate(list(paths), tmp, format=fmt, mapping=mapping,
                        default_label=default_label, label_rules=label_rules,
                        taxonomy_files=taxonomy)
        path = Path(tmp) / "curated.parquet"
        table = pq.read_table(path)
        curated_meta = read_meta(path)
    return Loaded(to_frame(table), curated_meta, table.schema, curation=report.get("total"))
