"""Curate every capture in ../shared/datasets with no per-dataset code.

Skips with a reason where the folder is absent (a fresh clone elsewhere).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from iotforge.curation.curate import curate
from iotforge.curation.schema import read_meta
from iotforge.curation.taxonomy import Taxonomy

pytestmark = pytest.mark.realdata

TEXT_CAPTURES = ["ton_iot_telemetry", "iot23", "cicids2017_improved_sample"]


@pytest.fixture(scope="module")
def curated_text(datasets, tmp_path_factory):
    out = tmp_path_factory.mktemp("real")
    inputs = [datasets / d for d in TEXT_CAPTURES]
    # the IoT-23 pcaps are curated in test_source_pcap; here only the text logs
    files = sorted(p for d in inputs for p in d.rglob("*")
                   if p.is_file() and p.suffix not in (".pcap", ".pcapng", ".md"))
    report = curate(files, out)
    return out, report, files


def test_every_text_capture_is_accounted(curated_text):
    out, report, files = curated_text
    assert len(report["files"]) == len(files) == 7 + 3 + 16
    for entry in report["files"]:
        assert entry["rows_read"] == (entry["rows_out"] + entry["rows_quarantined"]
                                      + entry["rows_duplicate"]), entry["path"]
        assert entry["rows_read"] > 0
    formats = {json.dumps(sorted({f["format"] for f in report["files"]}))}
    assert formats == {json.dumps(["cicflowmeter", "ton_iot", "zeek"])}


def test_every_label_is_canonical(curated_text):
    out, report, _ = curated_text
    labels = pd.read_parquet(out / "curated.parquet", columns=["label", "is_attack"])
    known = Taxonomy.default().classes
    assert set(labels["label"]) <= set(known)
    assert labels["label"].notna().all()


def test_known_class_counts_of_the_published_files(curated_text):
    out, report, _ = curated_text
    by_file = {e["path"].split("/")[-1]: e for e in report["files"]}
    thermo = by_file["Train_Test_IoT_Thermostat.csv"]
    assert thermo["rows_read"] == 32774
    assert thermo["classes"]["scanning"] == 61
    heart = by_file["Heartbleed_11.csv"]
    assert heart["classes"] == {"heartbleed": 11}
    sqli = by_file["Web_Attack_-_SQL_Injection_13.csv"]
    assert sqli["classes"] == {"sql_injection": 13}
    # IoT-23 42-1: 6 malicious flows in 4,426
    conn = [e for e in report["files"] if "42-1" in e["path"]][0]
    assert conn["rows_read"] == 4426
    assert sum(v for k, v in conn["classes"].items() if k != "normal") == 6


def test_general_rules_fire_on_real_quirks(curated_text):
    out, report, _ = curated_text
    by_file = {e["path"].split("/")[-1]: e for e in report["files"]}
    # TON_IoT: stray spaces and 'true  '/'0' spellings; byte-order mark handled
    garage = by_file["Train_Test_IoT_Garage_Door.csv"]
    assert garage["rules"]["whitespace"] > 0
    df = pd.read_parquet(out / "curated.parquet", columns=["source", "sphone_signal", "date"])
    garage_rows = df[df["source"] == "ton_iot:garage_door"]
    assert set(garage_rows["sphone_signal"].dropna()) == {True, False}
    # impossible GPS coordinates are set missing and counted
    assert by_file["Train_Test_IoT_GPS_Tracker.csv"]["rules"]["range"] > 1000
    # CICFlowMeter's -1 sentinels
    assert by_file["BENIGN_2500.csv"]["rules"]["sentinel"] > 0
    meta = read_meta(out / "curated.parquet")
    assert meta.roles["date"] == "time" and meta.roles["id_orig_h"] == "endpoint"
    assert meta.roles["attempted_category"] == "label"
