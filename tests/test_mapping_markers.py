"""A mapping's extra missing-value markers, on a table wide enough to show cost per column."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
import yaml
from iotforge.curation.curate import curate


def test_mapping_missing_markers_become_null_in_every_column(tmp_path: Path) -> None:
    columns = [f"c{i}" for i in range(400)]
    rows = []
    for r in range(40):
        vals = [("unknown" if (r + i) % 7 == 0 else " -1 " if (r + i) % 11 == 0 else str(r + i))
                for i in range(len(columns))]
        rows.append(["ddos" if r % 2 else "normal", *vals])
    src = tmp_path / "wide.csv"
    with src.open("w", newline="") as fh:
        csv.writer(fh).writerows([["label", *columns], *rows])
    mapping = yaml.safe_load(
        'format: csv\nlabel: [label]\nsource: wide\nmissing: ["unknown", "-1"]')

    curate([src], tmp_path / "out", format="mapping", mapping=mapping)

    table = pq.read_table(tmp_path / "out" / "curated.parquet")
    # independent count: the markers as the csv module reads them (whitespace trimmed)
    expected = {c: sum(row[1 + i].strip() in ("unknown", "-1") for row in rows)
                for i, c in enumerate(columns)}
    got = {c: table.column(c).null_count for c in columns}
    assert got == expected
    assert table.num_rows == len(rows)
