"""One row hash for every duplicate decision, checked against Python's own equality.

Independent references: ``==`` on Python values (with -0.0 == 0.0 and every
NaN/None one missing value), a ``set`` for the duplicate index, and a dictionary
grouping for conflicting labels.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from iotforge.curation.curate import curate
from iotforge.curation.rules import hash_values, row_hash
from iotforge.curation.rules.duplicates import DuplicateIndex, conflicts

TEXT = st.text(alphabet=st.sampled_from(list("ab \t\u00e9\u4e2d\U0001f600x0")), max_size=20)


def _canonical(v: object) -> object:
    if isinstance(v, float):
        if v != v:
            return None
        return v + 0.0
    return v


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXT), min_size=1, max_size=60),
       st.integers(0, 5), st.integers(0, 5))
def test_text_hashes_equal_exactly_when_the_strings_are_equal(values, lo, hi) -> None:
    arr = pa.array(values, pa.string())
    h = hash_values(arr)
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            assert (h[i] == h[j]) == (a == b), (a, b)
    # the same values in a slice, in chunks or as large_string hash the same
    part = arr.slice(min(lo, len(values)), max(0, len(values) - lo - hi))
    assert (hash_values(part) == h[part.offset:part.offset + len(part)]).all()
    chunked = pa.chunked_array([arr.slice(0, len(values) // 2), arr.slice(len(values) // 2)])
    assert (hash_values(chunked) == h).all()
    assert (hash_values(arr.cast(pa.large_string())) == h).all()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(), st.sampled_from([0.0, -0.0, 1.0, 2.0**60])),
                min_size=1, max_size=40))
def test_number_hashes_equal_exactly_when_the_numbers_are_equal(values) -> None:
    h = hash_values(pa.array(values, pa.float64()))
    canon = [_canonical(v) for v in values]
    for i in range(len(values)):
        for j in range(len(values)):
            assert (h[i] == h[j]) == (canon[i] == canon[j]), (values[i], values[j])


def test_integers_floats_and_booleans_hash_by_value() -> None:
    ints = hash_values(pa.array([80, 0, None, 1, 2**62 + 1, 2**62], pa.int64()))
    floats = hash_values(pa.array([80.0, -0.0, float("nan"), 1.0], pa.float64()))
    assert (ints[:4] == floats).all()
    assert ints[4] != ints[5]  # past 2**53 integers keep their bits
    assert (hash_values(pa.array([True, False])) == ints[[3, 1]]).all()
    assert (hash_values(pa.array([80], pa.int16())) == ints[:1]).all()


def test_row_hash_is_over_named_columns_in_any_order() -> None:
    t = pa.table({"a": [1.0, 1.0, -0.0], "b": ["x", "x", "x"], "c": ["p", "q", "r"]})
    h = row_hash(t, ["b", "a"])
    assert h[0] == h[1] and h[0] != h[2]
    assert (row_hash(t, ["a", "b"]) == h).all()
    assert len(set(row_hash(t).tolist())) == 3
    swapped = pa.table({"a": ["x"], "b": [1.0]})  # values moved to other columns
    assert row_hash(swapped, ["a", "b"])[0] != row_hash(t.slice(0, 1), ["a", "b"])[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), max_size=40), min_size=1, max_size=12))
def test_duplicate_index_matches_a_set(batches) -> None:
    index, seen = DuplicateIndex(), set()
    index.MAX_RUNS = 2  # merge often
    for batch in batches:
        h = np.array(batch, dtype=np.uint64)
        expected = []
        for v in batch:
            expected.append(v not in seen)
            seen.add(v)
        assert index.new_rows(h).tolist() == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 2)), max_size=30),
                min_size=1, max_size=5))
def test_conflicts_match_a_grouping_by_dictionary(batches) -> None:
    labels: defaultdict[int, set[int]] = defaultdict(set)
    count: defaultdict[int, int] = defaultdict(int)
    for batch in batches:
        for h, y in batch:
            labels[h].add(y)
            count[h] += 1
    bad = [h for h, ys in labels.items() if len(ys) > 1]
    groups, rows, distinct = conflicts(
        [np.array([h for h, _ in b], np.uint64) for b in batches],
        [np.array([y for _, y in b], np.int32) for b in batches], distinct=True)
    assert (groups, rows) == (len(bad), sum(count[h] for h in bad))
    assert distinct.tolist() == sorted(labels)


def test_negative_zero_features_conflict_with_zero(tmp_path: Path) -> None:
    # -0.0 and 0.0 are one value to a model: rows that differ only there, with two
    # labels, are a conflicting group (the feature hash used to tell them apart)
    f = tmp_path / "flows.csv"
    f.write_text("duration,bytes,attack_type\n-0.0,5,normal\n0.0,5,ddos\n1.0,5,normal\n")
    mapping = {"format": "csv", "source": "t", "label": ["attack_type"],
               "roles": {"duration": "numeric", "bytes": "numeric"},
               "kinds": {"duration": "float", "bytes": "float"}}
    entry = curate([f], tmp_path / "out", format="mapping", mapping=mapping)["files"][0]
    assert entry["conflicting_duplicate_groups"] == 1
    assert entry["rules"]["conflicting_duplicate"] == 2
    # and they are not exact duplicates (different labels)
    assert entry["rows_duplicate"] == 0
    written = pd.read_parquet(tmp_path / "out" / "curated.parquet")
    assert len(written) == 3
    assert json.loads((tmp_path / "out" / "report.json").read_text())["total"]["rows_out"] == 3
