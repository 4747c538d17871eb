"""Exact duplicates are decided on the raw record, before any rule changed a value.

The independent count is pandas' ``duplicated`` over the text of the same columns.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from iotforge.curation.clean import clean_batch
from iotforge.curation.curate import curate
from iotforge.curation.rules.duplicates import key_columns as dedupe_key_columns
from iotforge.curation.schema import ColumnSpec
from iotforge.curation.sources import SourceOptions, get_adapter

GPS = """date,time,latitude,longitude,label,type
25-Apr-19,18:31:39,116.5217044,132.1625042,1,ddos
25-Apr-19,18:31:39,121.7429329,132.1625042,1,ddos
25-Apr-19,18:31:39,95.25,132.1625042,1,ddos
25-Apr-19,18:31:39,116.5217044,132.1625042,1,ddos
25-Apr-19,18:31:39,45.5,200.5,1,ddos
25-Apr-19,18:31:39,45.5,201.5,1,ddos
25-Apr-19,18:31:39,45.5,201.5,0,normal
25-Apr-19, 18:31:39 ,45.5,201.5,0,normal
"""


def _pandas_duplicates(path: Path, columns: list[str]) -> int:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return int(raw.duplicated(subset=columns).sum())


def _key_columns(path: Path) -> list[str]:
    """The dedupe key of a file, on the columns its CSV has (derived ones are functions
    of those, so they do not change which rows are equal)."""
    adapter = get_adapter("ton_iot")
    source = adapter.open(path, SourceOptions())
    table = next(source.batches).table
    key = dedupe_key_columns(table.column_names, source.specs)
    header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    assert set(key) >= set(header)  # the whole record
    assert set(key) - set(header) <= {"timestamp"}  # date + time
    return [c for c in key if c in header]


def test_rows_that_differ_only_in_a_value_a_rule_set_missing_are_kept(tmp_path: Path) -> None:
    f = tmp_path / "Train_Test_IoT_GPS_Tracker.csv"
    f.write_text(GPS)
    report = curate([f], tmp_path / "out")
    entry = report["files"][0]
    expected = _pandas_duplicates(f, _key_columns(f))
    assert expected == 1  # row 4 repeats row 1; nothing else repeats
    assert entry["rows_duplicate"] == expected
    assert entry["rows_out"] == 8 - expected and entry["rows_quarantined"] == 0
    # the latitudes above 90 and longitudes above 180 were still set missing
    assert entry["rules"]["range"] == 4 + 4
    curated = pd.read_parquet(tmp_path / "out" / "curated.parquet")
    assert curated["source_row"].tolist() == [2, 3, 4, 6, 7, 8, 9]
    # the conflict check sees the cleaned features: rows 2-4 are one feature group
    # (both values missing after cleaning) with one class; rows 6-9 are (45.5, missing)
    # with ddos and normal
    assert entry["conflicting_duplicate_groups"] == 1
    assert entry["rules"]["conflicting_duplicate"] == 4


def test_rows_with_other_labels_are_not_exact_duplicates(tmp_path: Path) -> None:
    f = tmp_path / "Train_Test_IoT_Fridge.csv"
    f.write_text("date,time,fridge_temperature,temp_condition,label,type\n"
                 "25-Apr-19,18:31:39,9.0,high,1,ddos\n25-Apr-19,18:31:39,9.0,high,1,xss\n"
                 "25-Apr-19,18:31:39,9.0,high,1,xss\n")
    entry = curate([f], tmp_path / "out")["files"][0]
    assert entry["rows_duplicate"] == _pandas_duplicates(f, list(pd.read_csv(f).columns)) == 1


def test_number_spellings_and_markers_are_distinct_raw_values() -> None:
    # An exact duplicate is an identical raw record: 80 and 80.0, inf and Infinity,
    # NaN and an empty field are different records, as the csv module reads them.
    specs = {"dst_port": ColumnSpec("dst_port", "numeric", "int", "port"),
             "proto": ColumnSpec("proto", "categorical", "string")}
    values = ["80", "80.0", " 80", "8e1", "-", "NaN", "", "x", "inf", "-inf", "Infinity",
              "80", "inf", "NaN"]
    text = pa.table({"dst_port": values, "proto": ["tcp"] * len(values),
                     "type": ["normal"] * len(values)})
    res = clean_batch(text, range(len(values)), specs, label_columns=["type"],
                      policies={"numeric": "set_missing"})
    h = res.row_hash.tolist()
    expected = len(values) - len(set(values))  # a plain count of repeated spellings
    assert expected == 3
    assert len(h) - len(set(h)) == expected
    typed = pa.table({"dst_port": pa.array([80.0, None, float("nan"), float("inf"),
                                            -float("inf")], pa.float64()),
                      "proto": ["tcp"] * 5, "type": ["normal"] * 5})
    res_typed = clean_batch(typed, range(5), specs, label_columns=["type"])
    assert len(set(res_typed.row_hash.tolist())) == 5
    spaced = pa.table({"dst_port": ["80"] * 2, "proto": ["tcp", " tcp"],
                       "type": ["normal"] * 2})
    h2 = clean_batch(spaced, range(2), specs, label_columns=["type"]).row_hash
    assert h2[0] == h[0] and h2[1] != h2[0]


def test_id_columns_are_part_of_the_exact_key_not_of_the_id_free_one() -> None:
    specs = {"flow_id": ColumnSpec("flow_id", "id", "string"),
             "bytes": ColumnSpec("bytes", "numeric", "float", "nonnegative")}
    table = pa.table({"flow_id": ["a", "b", "a"], "bytes": ["1", "1", "1"],
                      "note": ["x", "x", "y"], "type": ["normal"] * 3})
    res = clean_batch(table, range(3), specs, label_columns=["type"])
    assert res.row_hash[0] != res.row_hash[1]  # another id: another raw record
    assert res.row_hash[0] != res.row_hash[2]  # a column without a spec is in the record
    assert res.id_free_hash is not None
    assert res.id_free_hash[0] == res.id_free_hash[1] != res.id_free_hash[2]
    no_ids = clean_batch(table.drop_columns(["flow_id"]), range(3),
                         {"bytes": specs["bytes"]}, label_columns=["type"])
    assert no_ids.id_free_hash is None


def test_exact_duplicates_on_the_shared_gps_tracker_capture(datasets: Path,
                                                             tmp_path: Path) -> None:
    files = sorted((datasets / "ton_iot_telemetry").glob("*GPS*"))
    if not files:
        pytest.skip("no TON_IoT GPS tracker capture in the datasets folder")
    entry = curate(files[:1], tmp_path / "out")["files"][0]
    assert entry["rows_duplicate"] == _pandas_duplicates(files[0], _key_columns(files[0]))
    assert entry["rows_read"] == entry["rows_out"] + entry["rows_quarantined"] \
        + entry["rows_duplicate"]


@given(st.lists(st.lists(st.integers(0, 6), max_size=12), max_size=6))
@settings(max_examples=200, deadline=None)
def test_first_index_names_the_first_occurrence_like_a_dict(batches: list[list[int]]) -> None:
    import numpy as np
    from iotforge.curation.rules._index import FirstIndex

    index, first, where = FirstIndex(), {}, 0
    index.MAX_RUNS = 2  # merges runs often
    for batch in batches:
        at = np.arange(where, where + len(batch), dtype=np.int64)
        got = index.first(np.array(batch, dtype=np.uint64), at)
        want = [first.setdefault(h, w) for h, w in zip(batch, at.tolist(), strict=True)]
        assert got.tolist() == want
        where += len(batch)
