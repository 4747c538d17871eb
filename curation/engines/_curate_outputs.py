"""curate on Dask: the partitions' outputs moved into place by the driver.

Dataset outputs are the workers' Parquet parts, renamed in row order; one-file
outputs are the staged rows (Arrow IPC) copied into one Parquet file each, but the
rows the dedupe dropped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..clean import QUARANTINE_SCHEMA
from ._curate_tasks import FinishOut


def _written(out: FinishOut) -> tuple[str, str, np.ndarray, str]:
    return out.written, out.quarantine, out.drop, out.staged


def place_outputs(client: Any, work: Path, finished: list[Any], schema: pa.Schema,
                  dataset: bool) -> list[str]:
    """Move the parts (futures of :class:`FinishOut`, in row order) into place: dataset
    directories, or one file each. Returns the staged files, to remove once nothing can
    read them again."""
    written: list[tuple[str, str, np.ndarray, str]] = client.gather(
        [client.submit(_written, f, pure=False) for f in finished])
    curated, quarantine = work / "curated.parquet", work / "quarantine.parquet"
    if dataset:
        curated.mkdir()
        quarantine.mkdir()
        for n, (rows, bad, _, _) in enumerate(written):
            os.replace(rows, curated / f"part-{n:05d}.parquet")
            os.replace(bad, quarantine / f"part-{n:05d}.parquet")
        return [staged for _, _, _, staged in written]
    strings = [f.name for f in schema if pa.types.is_string(f.type)]
    with pq.ParquetWriter(curated, schema, use_dictionary=strings,
                          compression="zstd") as writer, \
            pq.ParquetWriter(quarantine, QUARANTINE_SCHEMA) as qwriter:
        for rows, bad, drop, _ in written:
            copy_staged(rows, writer, drop)
            copy_staged(bad, qwriter)
            os.unlink(bad)
    return [staged for _, _, _, staged in written]


def copy_staged(name: str, writer: Any, drop: np.ndarray | None = None) -> None:
    """Write the rows of a staged file but those at the (ascending) positions ``drop``.

    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "s.arrow")
    >>> t = pa.table({"a": [1, 2, 3]})
    >>> with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, t.schema) as w:
    ...     w.write_table(t)
    ...     w.write_table(t)
    >>> out = os.path.join(tempfile.mkdtemp(), "o.parquet")
    >>> with pq.ParquetWriter(out, t.schema) as pw:
    ...     copy_staged(path, pw, np.array([1, 3]))
    >>> pq.read_table(out).column("a").to_pylist()
    [1, 3, 2, 3]
    """
    start = 0
    with pa.OSFile(name) as source:
        reader = pa.ipc.open_file(source)
        for i in range(reader.num_record_batches):
            table = pa.Table.from_batches([reader.get_batch(i)])
            n = table.num_rows
            if drop is not None and len(drop):
                lo, hi = np.searchsorted(drop, [start, start + n])
                if hi > lo:
                    keep = np.ones(n, dtype=bool)
                    keep[drop[lo:hi] - start] = False
                    table = table.filter(pa.array(keep))
            start += n
            writer.write_table(table)
