"""Row accounting, duplicates, quarantine and atomic outputs of ``curate``."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from iotforge.curation.curate import curate
from iotforge.curation.errors import IotforgeError
from iotforge.curation.schema import read_meta
from iotforge.curation.taxonomy import Taxonomy


def _identity(entry: dict) -> bool:
    return entry["rows_read"] == (entry["rows_out"] + entry["rows_quarantined"]
                                  + entry["rows_duplicate"])


def test_demo_captures_account_for_every_row(demo_dir, tmp_path):
    report = curate([demo_dir], tmp_path / "out")
    assert [f["format"] for f in report["files"]] == ["zeek", "cicflowmeter", "ton_iot"]
    for entry in report["files"]:
        assert _identity(entry), entry
    assert _identity(report["total"])
    curated = pd.read_parquet(tmp_path / "out" / "curated.parquet")
    quarantine = pd.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert len(curated) == report["total"]["rows_out"]
    assert len(quarantine) == report["total"]["rows_quarantined"]
    # the demo plants 25 + 30 exact duplicates and one truncated last line
    assert report["total"]["rows_duplicate"] == 55
    assert quarantine["rule"].tolist() == ["row_shape"]
    truncated = quarantine.iloc[0]
    assert truncated["source_row"] == 3892  # header + 3860 + 30 duplicates + line itself
    assert "expected 16 fields, found 7" in truncated["reason"]
    known = set(Taxonomy.default().classes)
    assert set(curated["label"]) <= known
    # rare classes survive curation
    counts = curated["label"].value_counts()
    assert counts["heartbleed"] == 15 and counts["scanning"] == 40
    meta = read_meta(tmp_path / "out" / "curated.parquet")
    assert meta.stage == "curate"
    assert meta.roles["id_orig_h"] == "endpoint"
    assert meta.roles["current_temperature"] == "numeric"
    assert set(meta.roles) == set(curated.columns)


def test_rules_are_counted_per_file(demo_dir, tmp_path):
    report = curate([demo_dir / "flows_cicflowmeter.csv"], tmp_path / "o")
    rules = report["files"][0]["rules"]
    assert rules["range"] == 5          # negative flow durations set missing
    assert rules["missing_marker"] >= 1  # Infinity / NaN rates
    assert rules["sentinel"] > 0         # -1 TCP windows
    curated = pd.read_parquet(tmp_path / "o" / "curated.parquet")
    assert (curated["flow_duration"].dropna() >= 0).all()
    # rule counts are taken before deduplication, so duplicates count too
    assert 0 < curated["bwd_init_win_bytes"].isna().sum() <= rules["sentinel"]
    assert (curated["bwd_init_win_bytes"].dropna() >= 0).all()


def test_range_policy_quarantine(demo_dir, tmp_path):
    report = curate([demo_dir / "flows_cicflowmeter.csv"], tmp_path / "o",
                    policies={"range": "quarantine"})
    entry = report["files"][0]
    assert entry["quarantine_rules"] == {"range": 5, "row_shape": 1}
    assert _identity(entry)


def test_duplicates_across_files_are_counted_in_the_later_file(demo_dir, tmp_path):
    copy = tmp_path / "copy_conn.log.labeled"
    copy.write_bytes((demo_dir / "conn.log.labeled").read_bytes())
    report = curate([demo_dir / "conn.log.labeled", copy], tmp_path / "o")
    first, second = report["files"]
    assert first["rows_duplicate"] == 0
    assert second["rows_out"] == 0 and second["rows_duplicate"] == second["rows_read"]


def test_failure_leaves_previous_outputs(demo_dir, tmp_path):
    out = tmp_path / "o"
    curate([demo_dir / "conn.log.labeled"], out)
    before = (out / "report.json").read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("")
    with pytest.raises(IotforgeError, match="the file is empty"):
        curate([demo_dir / "conn.log.labeled", bad], out)
    assert (out / "report.json").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == [
        "curated.parquet", "quarantine.parquet", "report.json"]


def test_unknown_label_is_quarantined_with_reason(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("date,time,temp,label,type\n1-Apr-19,8:59:02,30,0,normal\n"
                 "1-Apr-19,9:00:00,31,1,teleportation\n")
    report = curate([f], tmp_path / "o")
    q = pd.read_parquet(tmp_path / "o" / "quarantine.parquet")
    assert q["rule"].tolist() == ["unknown_label"]
    assert "teleportation" in q["reason"][0] and "--taxonomy" in q["reason"][0]
    tax = tmp_path / "tax.yaml"
    tax.write_text("classes:\n  teleport:\n    family: physics\n    aliases: [teleportation]\n")
    report = curate([f], tmp_path / "o2", taxonomy_files=[tax])
    assert report["total"]["classes"] == {"normal": 1, "teleport": 1}


def test_label_flag_conflict(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("date,time,temp,label,type\n1-Apr-19,8:59:02,30,1,normal\n"
                 "1-Apr-19,9:00:00,31,1,ddos\n")
    curate([f], tmp_path / "o")
    q = pd.read_parquet(tmp_path / "o" / "quarantine.parquet")
    assert q["rule"].tolist() == ["label_conflict"]
    assert q["source_row"].tolist() == [2]


def test_report_json_matches_files(demo_dir, tmp_path):
    report = curate([demo_dir], tmp_path / "o")
    on_disk = json.loads((tmp_path / "o" / "report.json").read_text())
    assert on_disk["total"] == report["total"]
    assert pq.read_metadata(tmp_path / "o" / "curated.parquet").num_rows == \
        on_disk["total"]["rows_out"]
