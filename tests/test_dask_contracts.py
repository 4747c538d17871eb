"""validate, profile and audit on the Dask engine give the local engine's results on real
curated data split into many partitions: the same verdict, the same failures with the
same counts and examples, the same drafted suite, the same audit findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from iotforge.curation.contracts.profile import profile_frame
from iotforge.curation.contracts.suites import load_suite
from iotforge.curation.contracts.validate import to_frame, validate_frame
from iotforge.curation.engines.dask_audit import audit_dask
from iotforge.curation.engines.dask_profile import profile_dask
from iotforge.curation.engines.dask_tables import open_parquet
from iotforge.curation.engines.dask_validate import validate_dask
from iotforge.curation.leakage.audit import audit
from iotforge.curation.tables import read_stage_tables

pytest.importorskip("distributed")
pytestmark = [pytest.mark.dask, pytest.mark.realdata]

SOURCES = ("ton_iot:fridge", "cicflowmeter", "zeek:conn")


@pytest.fixture(scope="module")
def subset(real_curated: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
           ) -> Path:
    """Rows of three formats from the real curated table, written with small row groups."""
    table = pq.read_table(real_curated["dask"] / "curated.parquet")
    table = table.filter(pc.is_in(table["source"], value_set=pa.array(SOURCES)))
    table = table.take(list(range(0, table.num_rows, 3)))  # every third row: 30,000
    assert set(table["source"].unique().to_pylist()) == set(SOURCES)
    path = tmp_path_factory.mktemp("subset") / "curated.parquet"
    pq.write_table(table, path, row_group_size=4096)
    return path


@pytest.fixture(scope="module")
def local(subset: Path) -> tuple[Any, Any]:
    table, meta = read_stage_tables([str(subset)])
    return to_frame(table), meta


def partitions(path: Path) -> Any:
    table = open_parquet([str(path)], rows_per_partition=8_000)
    assert len(table.pieces) >= 3
    return table


STRICT = {"name": "strict", "expectations": [
    {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1,
                                                                "max_value": 1000}},
    {"type": "expect_table_columns_to_match_set", "kwargs": {"column_set": ["label"],
                                                             "exact_match": True}},
    {"type": "expect_column_to_exist", "kwargs": {"column": "no_such_column"}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "dst_port",
                                                              "min_value": 0,
                                                              "max_value": 1000}},
    {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "label",
                                                             "value_set": ["normal"]}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "temperature",
                                                               "mostly": 0.5}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "dst_port",
                                                               "mostly": 0.2}},
    {"type": "expect_column_values_to_be_in_type_list",
     "kwargs": {"column": "label", "type_list": ["int64"]}},
    {"type": "expect_column_values_to_be_in_type_list",
     "kwargs": {"column": "dst_port", "type_list": ["float64"]}},
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "flow_duration"}},
    {"type": "expect_compound_columns_to_be_unique",
     "kwargs": {"column_list": ["label", "dst_port"]}},
    {"type": "expect_compound_columns_to_be_unique",
     "kwargs": {"column_list": ["source_file", "source_row"]}},
    {"type": "expect_column_max_to_be_between", "kwargs": {"column": "flow_duration",
                                                           "max_value": 10}},
    {"type": "expect_column_distinct_values_to_be_in_set",
     "kwargs": {"column": "label", "value_set": ["normal", "ddos"]}},
    {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "temperature",
                                                            "min_value": 100}},
]}


def _failures(report: Any) -> list[str]:
    return sorted(json.dumps(f, sort_keys=True) for f in report.to_dict()["failures"])


@pytest.mark.parametrize("suite", ["strict", "ton_iot_fridge"])
def test_validation_verdict_and_failures_match(subset: Path, local: tuple[Any, Any],
                                               dask_client: Any, suite: str) -> None:  # noqa: F811
    body = STRICT if suite == "strict" else load_suite(suite)
    want = validate_frame(local[0], body)
    got = validate_dask(partitions(subset), body, dask_client)
    assert (got.success, got.rows, got.evaluated) == (want.success, want.rows, want.evaluated)
    assert _failures(got) == _failures(want)
    if suite == "strict":  # every kind of check failed, with counts to compare
        failed = {(f.expectation, f.column): f for f in want.failures}
        assert len(failed) == 13
        assert failed[("expect_column_values_to_be_unique", "flow_duration")].unexpected_count
        assert failed[("expect_compound_columns_to_be_unique", "label,dst_port")] \
            .unexpected_count
        assert failed[("expect_column_values_to_be_between", "dst_port")].unexpected_count
        assert not got.success


def test_profile_drafts_the_same_suite(subset: Path, local: tuple[Any, Any],
                                       dask_client: Any) -> None:  # noqa: F811
    frame, meta = local
    want = profile_frame(frame, meta, name="ref", extra_labels=["scanning"])
    got = profile_dask(partitions(subset), dask_client, name="ref", extra_labels=["scanning"])
    assert got == want
    assert any(e["type"] == "expect_column_values_to_be_unique" for e in want["expectations"])


def test_audit_finds_the_same(subset: Path, dask_client: Any) -> None:  # noqa: F811
    # TON_IoT's fridge and Zeek rows, without the columns only CICFlowMeter fills
    table = pq.read_table(subset)
    table = table.filter(pc.not_equal(table["source"], "cicflowmeter"))
    table = table.select([c for c in table.column_names if table[c].null_count < len(table)])
    train, test = subset.with_name("train.parquet"), subset.with_name("test.parquet")
    pq.write_table(table, train, row_group_size=4096)
    pq.write_table(table.take(list(range(0, table.num_rows, 7))), test, row_group_size=2048)
    frame_table, meta = read_stage_tables([str(train)])
    kw = {"random_state": 3, "max_rows": 3000, "accept": ["label-conflict"]}
    want = audit(to_frame(frame_table), meta, test=to_frame(frame_table).iloc[::7],
                 **kw).to_dict()
    got = audit_dask(partitions(train), dask_client, test=open_parquet([str(test)]),
                     **kw).to_dict()
    # (as JSON: example feature values may be NaN, which equals nothing)
    assert json.dumps(got, sort_keys=True, default=str) == \
        json.dumps(want, sort_keys=True, default=str)
    ids = {f["id"] for f in want["findings"]}
    assert {"label-conflict", "train-test-overlap"} <= ids
    assert any(i.startswith("time-disjoint:") for i in ids)
