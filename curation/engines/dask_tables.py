"""Curated tables as partitions on a Dask cluster, for validate, profile and audit.

A partition is a few row groups of one Parquet file (a dataset directory is its files
in name order), read on a worker into the pandas frame the local engine builds
(:func:`iotforge.curation.contracts.validate.to_frame`, after the same type promotion across files
as
:func:`iotforge.curation.tables.read_stage_tables`). Partitions are in row order, so the
concatenation of the partition frames is the local engine's frame.

Raw captures are curated on the fly with the Dask engine into a working directory,
as the local engine curates them into a temporary one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import InputError
from ..schema import SOURCE, TableMeta
from ..tables import (
    INFERRED_STAGE,
    apply_roles,
    concat_promoted,
    curated_inputs,
    merge_metas,
    table_meta,
    without_pandas_index,
)

__all__ = ["ROWS_PER_PARTITION", "Partitioned", "Piece", "open_input", "open_parquet",
           "parquet_files", "read_piece"]

ROWS_PER_PARTITION = 500_000
"""Rows of a partition at most (whole row groups; a bigger row group is one partition)."""


@dataclass(frozen=True)
class Piece:
    """Row groups of one Parquet file: one partition."""

    path: str
    row_groups: tuple[int, ...]
    rows: int


@dataclass
class Partitioned:
    """A curated table as partitions: their pieces, the unified schema, the metadata."""

    pieces: list[Piece]
    schema: pa.Schema
    meta: TableMeta
    curation: dict[str, Any] | None = field(default=None)

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.pieces)

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)

    def empty(self) -> pd.DataFrame:
        """A frame with no rows and the partitions' columns and dtypes."""
        from ..contracts.validate import to_frame

        return to_frame(self.schema.empty_table())

    def frames(self, client: Any, fn: Any = None, *args: Any) -> list[Any]:
        """One future per partition: its frame, or ``fn(frame, *args)``."""
        return [client.submit(read_piece, p, self.schema, fn, *args, pure=False)
                for p in self.pieces]

    def to_dask(self) -> Any:
        """The table as a ``dask.dataframe.DataFrame`` (for reductions)."""
        import dask.dataframe as dd

        return dd.from_map(read_piece, self.pieces, schema=self.schema, meta=self.empty(),
                           enforce_metadata=False)


def read_piece(piece: Piece, schema: pa.Schema, fn: Any = None, *args: Any) -> Any:
    """A partition's frame (or ``fn`` of it), as the local engine would hold those rows."""
    from ..contracts.validate import to_frame

    table = without_pandas_index(pq.ParquetFile(piece.path).read_row_groups(
        list(piece.row_groups)))
    if table.schema != schema:
        table = concat_promoted([schema.empty_table(), table], piece.path).cast(schema)
    frame = to_frame(table)
    return frame if fn is None else fn(frame, *args)


def parquet_files(path: str | os.PathLike[str]) -> list[str]:
    """A Parquet file, or the files of a dataset directory in name order."""
    p = Path(path)
    if p.is_dir():
        return sorted(str(f) for f in p.iterdir()
                      if f.suffix == ".parquet" and not f.name.startswith("."))
    return [str(p)]


def open_parquet(paths: list[str], *, roles: Mapping[str, Any] | None = None,
                 roles_origin: str | None = None,
                 rows_per_partition: int = ROWS_PER_PARTITION) -> Partitioned:
    """Partitions of one or more curated Parquet inputs (files or dataset directories)."""
    pieces: list[Piece] = []
    metas: list[TableMeta] = []
    schemas: list[pa.Schema] = []
    for path in paths:
        for i, name in enumerate(parquet_files(path)):
            try:
                meta = pq.ParquetFile(name).metadata
            except (OSError, pa.ArrowInvalid) as exc:
                raise InputError(f"expected a Parquet file, found unreadable data ({exc})",
                                 path=str(path)) from None
            schema = without_pandas_index(meta.schema.to_arrow_schema().empty_table()).schema
            if i == 0:
                metas.append(table_meta(path, schema))
            schemas.append(schema)
            groups: list[int] = []
            rows = 0
            for g in range(meta.num_row_groups):
                n = meta.row_group(g).num_rows
                if groups and rows + n > rows_per_partition:
                    pieces.append(Piece(name, tuple(groups), rows))
                    groups, rows = [], 0
                groups.append(g)
                rows += n
            if groups or not pieces:
                pieces.append(Piece(name, tuple(groups), rows))
    schema = concat_promoted([s.empty_table() for s in schemas], paths[-1]).schema
    meta = merge_metas(metas)
    table = Partitioned(pieces=pieces, schema=schema, meta=meta)
    if meta.stage == INFERRED_STAGE and SOURCE in schema.names:
        found: set[str] = set()
        for p in pieces:
            col = pq.ParquetFile(p.path).read_row_groups(list(p.row_groups), columns=[SOURCE])
            found.update(str(s) for s in pc.unique(col.column(0).drop_null()).to_pylist())
        meta.sources += sorted(s for s in found if s not in meta.sources)
    if roles:
        table.meta = apply_roles(meta, roles, schema.names, origin=roles_origin)
    return table


@contextlib.contextmanager
def open_input(paths: list[str], client: Any, *, fmt: str | None = None, mapping: Any = None,
               mapping_path: str | None = None, default_label: str | None = None,
               label_rules: str | None = None,
               taxonomy: list[str] | None = None) -> Iterator[Partitioned]:
    """Curated Parquet as partitions, or raw captures curated on the cluster first.

    The same checks and errors as the local engine's input (the ``validate`` command's
    ``load_data``). The working directory for captures curated on the fly is a
    temporary directory under ``TMPDIR``, which the workers must see too.
    """
    parquet = curated_inputs(paths, mapping=mapping, mapping_path=mapping_path)
    if parquet is not None:
        yield open_parquet(parquet, roles=(mapping or {}).get("roles"),
                           roles_origin=mapping_path)
        return
    from ..curate import curate

    if mapping is not None and fmt is None:
        fmt = "mapping"
    with tempfile.TemporaryDirectory(prefix="iotforge.") as tmp:
        report = curate(paths, tmp, format=fmt, mapping=mapping, default_label=default_label,
                        label_rules=label_rules, taxonomy_files=taxonomy or (),
                        engine=client)
        table = open_parquet([str(Path(tmp) / "curated.parquet")])
        table.curation = report.get("total")
        yield table
