"""Drafting a suite from reference data: exact expectations on a small fixture."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from iotforge.curation.contracts.profile import numeric_bounds, profile_frame
from iotforge.curation.contracts.suites import check_suite
from iotforge.curation.contracts.validate import validate_frame
from iotforge.curation.errors import TooLittleDataError, UsageError
from iotforge.curation.schema import TableMeta

ROLES = {"source": "provenance", "source_file": "provenance", "source_row": "provenance",
         "label": "label", "is_attack": "label", "attack_family": "label",
         "uid": "id", "host": "endpoint", "bytes": "numeric", "temp": "numeric",
         "proto": "categorical", "history": "categorical"}
META = TableMeta(stage="curate", roles=ROLES)


def reference() -> pd.DataFrame:
    return pd.DataFrame({
        "source": "zeek:conn", "source_file": "a.log",
        "source_row": pd.array([1, 2, 3, 4, 5], dtype="Int64"),
        "label": ["normal", "normal", "ddos", "ddos", "normal"],
        "is_attack": pd.array([False, False, True, True, False], dtype="boolean"),
        "attack_family": [None, None, "dos", "dos", None],
        "uid": ["a", "b", "c", "d", "e"], "host": ["h1", "h1", "h2", "h2", "h1"],
        "bytes": [0.0, 10.0, 20.0, 100.0, np.nan], "temp": [-5.0, 5.0, 0.0, 1.0, 2.0],
        "proto": ["tcp", "udp", "tcp", "tcp", "udp"],
        "history": ["S", "Sh", "ShA", "ShAD", "ShADf"],
    })


def by(suite: dict, etype: str) -> dict[str, dict]:
    return {e["kwargs"].get("column"): e["kwargs"]
            for e in suite["expectations"] if e["type"] == etype}


def test_drafted_expectations_exact() -> None:
    suite = profile_frame(reference(), META, name="ref", margin=0.1, max_categories=3,
                          extra_labels=["scanning"])
    check_suite(suite)
    assert suite["name"] == "ref"
    assert suite["meta"]["iotforge"]["applies_to"] == {"source": ["zeek:conn"]}
    between = by(suite, "expect_column_values_to_be_between")
    assert between == {
        "bytes": {"column": "bytes", "min_value": 0.0, "max_value": 110.0},
        "temp": {"column": "temp", "min_value": -6.0, "max_value": 6.0},
    }
    sets = by(suite, "expect_column_values_to_be_in_set")
    assert sets["label"]["value_set"] == ["ddos", "normal", "scanning"]
    assert sets["proto"]["value_set"] == ["tcp", "udp"]
    assert sets["is_attack"]["value_set"] == [False, True]
    assert "history" not in sets  # 5 values > max_categories
    nulls = by(suite, "expect_column_values_to_not_be_null")
    assert nulls["temp"]["mostly"] == 1.0
    assert nulls["bytes"]["mostly"] == pytest.approx(1 - 0.2 * 1.1 - 0.01)
    assert "attack_family" not in nulls and "source_row" not in nulls
    assert set(by(suite, "expect_column_values_to_be_unique")) == {"uid"}
    types = by(suite, "expect_column_values_to_be_in_type_list")
    assert types["bytes"]["type_list"][0] == "float64"
    assert types["source_row"]["type_list"][0] == "int64"
    assert types["proto"]["type_list"] == ["str"]
    rows = suite["expectations"][1]
    assert rows["kwargs"] == {"min_value": 1, "max_value": None}
    assert all("why" in e["meta"] for e in suite["expectations"])


def test_reference_passes_its_own_draft_and_a_drifted_copy_fails() -> None:
    ref = reference()
    suite = profile_frame(ref, META, name="ref")
    assert validate_frame(ref, suite).success
    drifted = ref.assign(temp=ref["temp"] + 50, proto=["tcp", "sctp", "tcp", "tcp", "udp"])
    failed = {f.column for f in validate_frame(drifted, suite).failures}
    assert failed == {"temp", "proto"}


def test_bad_arguments() -> None:
    with pytest.raises(UsageError):
        profile_frame(reference(), META, name="x", margin=-1)
    with pytest.raises(TooLittleDataError):
        profile_frame(reference().iloc[:0], META, name="x")


@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=50),
       st.floats(0, 2))
def test_bounds_contain_every_reference_value(values: list[float], margin: float) -> None:
    bounds = numeric_bounds(pd.Series(values), margin)
    assert bounds is not None
    assert bounds[0] <= min(values) and max(values) <= bounds[1]
    if min(values) >= 0:
        assert bounds[0] >= 0
