"""Every caller that compares rows by hash uses the one row hash of curation.rules.

Independent reference: Python's ``==`` on each row's values, after the hash's own
canonical forms (-0.0 is 0.0; NaN, None and pd.NA are one missing value; numbers by
value whatever their dtype; text never equals a number).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from iotforge.augment import row_keys
from iotforge.curation.leakage.audit import audit, feature_keys
from iotforge.curation.rules._hash import frame_hash, row_hash
from iotforge.curation.schema import TableMeta
from iotforge.evaluation.fidelity import exact_match_rate
from iotforge.evaluation.predictions import fingerprint


def _canonical(v: object) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, numbers.Real):
        return ("number", float(v) + 0.0)
    return ("text", str(v))


def _rows(df: pd.DataFrame, columns: list[str]) -> list[tuple[object, ...]]:
    return [tuple(_canonical(v) for v in row)
            for row in df[columns].astype(object).itertuples(index=False)]


def _brute_match_rate(query: pd.DataFrame, reference: pd.DataFrame, columns: list[str]) -> float:
    known = set(_rows(reference, columns))
    return sum(r in known for r in _rows(query, columns)) / len(query)


CELL = st.one_of(st.none(), st.sampled_from([0.0, -0.0, 1.0, 2.5, float("nan")]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(CELL, st.sampled_from(["a", "b", None])), min_size=1, max_size=25))
def test_frame_hash_equal_exactly_when_rows_are_equal(rows) -> None:
    df = pd.DataFrame(rows, columns=["x", "s"]).astype({"x": float})
    h = frame_hash(df, ["x", "s"])
    canon = _rows(df, ["x", "s"])
    for i in range(len(rows)):
        for j in range(len(rows)):
            assert (h[i] == h[j]) == (canon[i] == canon[j]), (rows[i], rows[j])


def test_frame_hash_is_row_hash_of_the_arrow_table() -> None:
    df = pd.DataFrame({"port": [80, 443, 80], "proto": pd.Categorical(["tcp", "udp", "tcp"]),
                       "t": pd.to_datetime(["2024-01-01", None, "2024-01-01"], utc=True),
                       "ok": [True, None, True], "n": pd.array([1, None, 1], "Int64")})
    table = pa.Table.from_pandas(df, preserve_index=False)
    assert (frame_hash(df) == row_hash(table)).all()
    assert (frame_hash(df, ["proto", "port"]) == row_hash(table, ["port", "proto"])).all()
    assert frame_hash(df)[0] == frame_hash(df)[2] != frame_hash(df)[1]


def test_mixed_object_columns_keep_text_apart_from_numbers() -> None:
    df = pd.DataFrame({"v": pd.Series([80, "80", 80.0, None, float("nan"), "x"], dtype=object)})
    h = frame_hash(df)
    assert h[0] == h[2]  # 80 == 80.0
    assert h[0] != h[1]  # 80 != "80"
    assert h[3] == h[4]  # None and NaN: one missing value
    assert len(set(h.tolist())) == 4
    typed = frame_hash(pd.DataFrame({"v": [80.0, None]}))
    assert typed[0] == h[0] and typed[1] == h[3]  # the same keys as a typed column's


def test_duplicate_column_names_are_hashed_by_position() -> None:
    df = pd.DataFrame([[1, 2], [2, 1], [1, 2]], columns=["a", "a"])
    h = frame_hash(df)
    assert h[0] == h[2] and h[0] != h[1]


def test_audit_feature_keys_treat_minus_zero_as_zero() -> None:
    df = pd.DataFrame({"x": [0.0, -0.0, 1.0], "s": ["a", "a", "a"]})
    k = feature_keys(df, ["x", "s"])
    assert isinstance(k, pd.Series) and k.index.tolist() == [0, 1, 2]
    assert k[0] == k[1] != k[2]


def test_audit_overlap_and_conflicts_match_a_brute_force_count() -> None:
    rng = np.random.default_rng(3)
    values = np.array([0.0, -0.0, 1.0, 2.0])
    train = pd.DataFrame({"x": rng.choice(values, 60), "p": rng.integers(0, 2, 60),
                          "label": rng.choice(["a", "b"], 60)})
    test = pd.DataFrame({"x": rng.choice(values, 30), "p": rng.integers(0, 3, 30).astype(float),
                         "label": rng.choice(["a", "b"], 30)})
    meta = TableMeta(stage="curate", roles={"x": "numeric", "p": "numeric", "label": "label"})
    report = audit(train, meta, test=test)
    found = {f.id: f for f in report.findings}
    expected = round(_brute_match_rate(test, train, ["x", "p"]) * len(test))
    assert expected > 0
    assert found["train-test-overlap"].details["rows"] == expected
    groups: dict[tuple[object, ...], set[str]] = {}
    for key, label in zip(_rows(train, ["x", "p"]), train["label"], strict=True):
        groups.setdefault(key, set()).add(label)
    conflicted = {k for k, labels in groups.items() if len(labels) > 1}
    assert found["label-conflict"].details["groups"] == len(conflicted)
    rows = sum(r in conflicted for r in _rows(train, ["x", "p"]))
    assert found["label-conflict"].details["rows"] == rows


def test_exact_match_rate_compares_numbers_by_value() -> None:
    reference = pd.DataFrame({"x": [1.0, 0.0, 3.0], "s": ["a", "b", "c"]})
    query = pd.DataFrame({"x": [1, 0, 2, 3], "s": ["a", "b", "b", "d"]})
    query_neg = pd.DataFrame({"x": [-0.0], "s": ["b"]})
    for q in (query, query_neg):
        assert exact_match_rate(q, reference, ["x", "s"]) == _brute_match_rate(
            q, reference, ["x", "s"])
    assert exact_match_rate(query, reference, ["x", "s"]) == 0.5


def test_augment_row_keys_numbers_by_value_and_missing_alike() -> None:
    ints = pd.DataFrame({"a": [1, 0], "b": ["x", "y"]})
    floats = pd.DataFrame({"a": [1.0, -0.0], "b": ["x", "y"]})
    assert (row_keys(ints) == row_keys(floats)).all()
    missing = pd.DataFrame({"a": [np.nan, 1.0], "b": pd.Series([None, "x"], dtype=object)})
    nulls = pd.DataFrame({"a": pd.array([None, 1], "Int64"),
                          "b": pd.Series([float("nan"), "x"], dtype=object)})
    assert (row_keys(missing) == row_keys(nulls)).all()
    assert row_keys(ints.iloc[:, :0]).tolist() == [0, 0]


def test_fingerprint_same_rows_same_digest() -> None:
    y = np.array(["a", "b"])
    a = pd.DataFrame({"x": [0.0, 1.0]})
    assert fingerprint(a, y) == fingerprint(pd.DataFrame({"x": [-0.0, 1.0]}), y)
    assert fingerprint(a, y) != fingerprint(pd.DataFrame({"x": [1.0, 0.0]}), y)
    assert fingerprint(a, y) != fingerprint(a.rename(columns={"x": "z"}), y)
