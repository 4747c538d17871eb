"""Data contracts: suite loading, GX validation, and faults injected into real curated data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from iotforge.curation.contracts.profile import dump_suite
from iotforge.curation.contracts.suites import available_suites, load_suite
from iotforge.curation.contracts.validate import read_canonical, select_rows, validate_frame
from iotforge.curation.errors import MappingError, UsageError
from iotforge.curation.schema import read_meta
from real_samples import REPO, curated_pcaps, curated_sample

# ------------------------------------------------------------------ synthetic, fast


SUITE = {"name": "t", "expectations": [
    {"type": "expect_column_to_exist", "kwargs": {"column": "bytes"}},
    {"type": "expect_column_values_to_be_between",
     "kwargs": {"column": "bytes", "min_value": 0, "max_value": 100}},
    {"type": "expect_column_values_to_be_in_set",
     "kwargs": {"column": "label", "value_set": ["normal", "ddos"]}},
]}


def test_failure_names_column_counts_and_examples() -> None:
    df = pd.DataFrame({"bytes": [1.0, 500.0, 700.0, 2.0], "label": ["normal", "x", "x", "ddos"]})
    report = validate_frame(df, SUITE)
    assert not report.success
    by_col = {f.column: f for f in report.failures}
    assert by_col["bytes"].unexpected_count == 2
    assert sorted(by_col["bytes"].examples) == [500.0, 700.0]
    assert by_col["label"].examples == ["x"]
    assert report.to_dict()["failures"][0]["column"] in ("bytes", "label")
    json.dumps(report.to_dict())  # serialisable as is


def test_missing_column_is_one_failure_not_three() -> None:
    report = validate_frame(pd.DataFrame({"label": ["normal"]}), SUITE)
    assert [(f.expectation, f.column) for f in report.failures] == [
        ("expect_column_to_exist", "bytes")]


def test_select_rows_drops_other_formats_columns() -> None:
    df = pd.DataFrame({"source": ["zeek:conn", "cicflowmeter"], "bytes": [1.0, None],
                       "flow_x": [None, 3.0]})
    suite = {**SUITE, "meta": {"iotforge": {"applies_to": {"source": ["zeek:*"]}}}}
    rows, _ = select_rows(df, suite)
    assert list(rows.columns) == ["source", "bytes"]
    report = validate_frame(df.iloc[1:], suite)
    assert not report.success and "no rows" in report.failures[0].message


def test_load_suite_errors_and_aliases(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no suite 'nope'"):
        load_suite("nope")
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "expectations": [{"type": "oops"}]}')
    with pytest.raises(MappingError, match="expect_"):
        load_suite(bad)
    if "cicflowmeter" in available_suites():
        assert load_suite("flows")["name"] == "cicflowmeter"


def test_committed_suites_are_stable_json() -> None:
    for name in available_suites():
        path = REPO / "expectations" / f"{name}.json"
        suite = load_suite(path)
        assert suite["name"] == name
        assert path.read_text() == dump_suite(suite), f"{path} is not in dump_suite layout"
        assert suite["meta"]["iotforge"]["reviewed"] is True


# ------------------------------------------------------------------ real data


@pytest.fixture(scope="session")
def real(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, object]:
    path = curated_sample(tmp_path_factory)
    return read_canonical(path)[0], read_meta(path)


SUITE_OF = {"cicflowmeter": "cicflowmeter", "zeek:conn": "zeek_conn", "pcap": "pcap"}


def _suite_for(source: str) -> str:
    return SUITE_OF.get(source) or "ton_iot_" + source.split(":", 1)[1]


@pytest.mark.realdata
def test_every_shared_dataset_passes_its_suite(
        real: tuple[pd.DataFrame, object], tmp_path_factory: pytest.TempPathFactory) -> None:
    pcaps = read_canonical(curated_pcaps(tmp_path_factory))[0]
    frames = [(real[0], s) for s in sorted(real[0]["source"].unique())]
    frames += [(pcaps, s) for s in sorted(pcaps["source"].unique())]
    assert len(frames) == 10  # 7 TON_IoT devices, CICFlowMeter, Zeek, pcap (MQTTset)
    for df, source in frames:
        report = validate_frame(df, load_suite(_suite_for(source)))
        assert report.success, (source, [f.message for f in report.failures])
        assert report.rows == int((df["source"] == source).sum())


def _weather(real: tuple[pd.DataFrame, object]) -> pd.DataFrame:
    rows, _ = select_rows(real[0], load_suite("ton_iot_weather"))
    return rows.reset_index(drop=True)


def _shift(df: pd.DataFrame) -> pd.DataFrame:
    span = df["pressure"].max() - df["pressure"].min()
    return df.assign(pressure=df["pressure"] + 2 * span)


def _out_of_range(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.loc[[3, 50, 77], "humidity"] = [-40.0, 250.0, 1e6]
    return out


def _unknown_label(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.loc[out.index[:5], "label"] = "alien_attack"
    return out


def _null_burst(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.loc[100:160, "temperature"] = np.nan
    return out


FAULTS = {
    "shifted column": (_shift, "pressure", "expect_column_values_to_be_between"),
    "out-of-range values": (_out_of_range, "humidity", "expect_column_values_to_be_between"),
    "unknown labels": (_unknown_label, "label", "expect_column_values_to_be_in_set"),
    "burst of nulls": (_null_burst, "temperature", "expect_column_values_to_not_be_null"),
    "missing column": (lambda d: d.drop(columns=["humidity"]), "humidity",
                       "expect_column_to_exist"),
    "changed type": (lambda d: d.assign(temperature=d["temperature"].map("{:.3f}".format)),
                     "temperature", "expect_column_values_to_be_in_type_list"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_injected_fault_is_caught_and_names_column(
        real: tuple[pd.DataFrame, object], fault: str) -> None:
    inject, column, expectation = FAULTS[fault]
    clean = _weather(real)
    suite = load_suite("ton_iot_weather")
    report = validate_frame(inject(clean), suite)
    assert not report.success
    hits = [f for f in report.failures if f.column == column and f.expectation == expectation]
    assert hits, [(f.column, f.expectation) for f in report.failures]
    assert repr(column) in hits[0].message
    assert {f.column for f in report.failures} <= {column, None}


def test_clean_real_weather_passes(real: tuple[pd.DataFrame, object]) -> None:
    assert validate_frame(_weather(real), load_suite("ton_iot_weather")).success
