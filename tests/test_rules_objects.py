"""The rule objects: one registry, one home per rule, no import cycle, no text matching.

Also the two readings that must agree with a second implementation: numbers (a
per-value Arrow cast) and timestamps (the pandas/dateutil path).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import iotforge.curation.clean
import iotforge.curation.rules
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st
from import_graph import cycles, imports_of, library_files, module_name
from iotforge.curation.clean import clean_batch
from iotforge.curation.curate import curate
from iotforge.curation.rules import RULES, FileRule, Rule
from iotforge.curation.rules._base import read_numbers
from iotforge.curation.rules._timestamps import parse_timestamp_array, parse_timestamps
from iotforge.curation.schema import ColumnSpec
from kdd_fixtures import ARFF, NEPTUNE, NORMAL, arff_attributes

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = {"shape", "values", "clocks", "domains", "labels", "duplicates"}


def test_one_registry_discovered_from_the_family_modules() -> None:
    assert iotforge.curation.clean.RULES is iotforge.curation.rules.RULES
    homes = {type(r).__module__.rsplit(".", 1)[1] for r in RULES.values()}
    assert homes == FAMILIES
    on_disk = {p.stem for p in (ROOT / "curation" / "rules").glob("*.py")
               if not p.stem.startswith("_")}
    assert on_disk == FAMILIES
    # every class defined in a family module is in the registry, once
    defined = []
    for family in FAMILIES:
        tree = ast.parse((ROOT / "curation" / "rules" / f"{family}.py").read_text())
        defined += [n.name for n in tree.body if isinstance(n, ast.ClassDef)
                    and not n.name.startswith("_") and any(
                        getattr(b, "id", "") in ("Rule", "FileRule") for b in n.bases)]
    assert sorted(type(r).__name__ for r in RULES.values()) == sorted(defined)
    for rule in RULES.values():
        assert isinstance(rule, Rule)
        assert rule.policy == rule.policies[0] and len(set(rule.policies)) == len(rule.policies)
        assert rule.unit in ("values", "rows", "columns", "files") and rule.detects


def test_docs_table_lists_the_registry() -> None:
    text = (ROOT / "docs" / "cleaning.md").read_text()
    lines = text.split("| rule | detects | default | allowed |", 1)[1].splitlines()[2:]
    table = lines[:next(i for i, ln in enumerate(lines) if not ln.startswith("|"))]
    assert [ln.split("|")[1].strip(" `") for ln in table] == list(RULES)
    for name, rule in RULES.items():
        line = next(ln for ln in table if ln.startswith(f"| `{name}`"))
        assert f"`{rule.policy}`" in line.split("|")[3]
        assert [p.strip(" `") for p in line.split("|")[4].split(",")] == list(rule.policies)


def _imports(path: Path) -> set[str]:
    """Every curation module ``path`` imports, at any depth of its code."""
    return {m for m in imports_of(path, set(library_files()), type_checking=True)
            if m.startswith("iotforge.curation")}


def test_readers_and_rules_do_not_import_each_other() -> None:
    vocabulary = _imports(ROOT / "curation" / "vocabulary.py")
    assert vocabulary == set()  # a leaf
    text = _imports(ROOT / "curation" / "sources" / "_text.py")
    assert not {m for m in text
                if m.startswith(("iotforge.curation.clean", "iotforge.curation.rules"))}
    for path in [ROOT / "curation" / "clean.py", *(ROOT / "curation" / "rules").glob("*.py")]:
        assert "iotforge.curation.sources._text" not in _imports(path), path
    # the relative imports are resolved: the rules do read the shared vocabulary
    assert "iotforge.curation.vocabulary" in _imports(ROOT / "curation" / "rules" / "_base.py")
    # and no cycle among the modules of curation.sources, curation.rules, curation.clean
    graph = {}
    for path in [*(ROOT / "curation" / "sources").glob("*.py"),
                 *(ROOT / "curation" / "rules").glob("*.py"), ROOT / "curation" / "clean.py",
                 ROOT / "curation" / "vocabulary.py"]:
        graph[module_name(path)] = _imports(path)
    assert cycles(graph) == []


def test_invalid_record_lives_with_the_adapters_base() -> None:
    from iotforge.curation.sources import _base, _records, _text

    assert _records.InvalidRecord is _base.InvalidRecord is _text.InvalidRecord
    assert _base.InvalidRecord.__module__ == "iotforge.curation.sources._base"


def test_a_note_is_never_counted_by_its_text(tmp_path: Path) -> None:
    # an ARFF relation whose name mentions a duplicated column is one note of the
    # reader, not a duplicate column (the count used to match the note's text)
    path = tmp_path / "KDDTrain+.arff"
    text = ARFF.format(attributes=arff_attributes(), rows=f"{NORMAL},normal\n{NEPTUNE},anomaly\n")
    path.write_text(text.replace("@relation 'KDDTrain'",
                                 "@relation 'KDD without duplicated column names'"))
    entry = curate([path], tmp_path / "out")["files"][0]
    assert any("duplicated column" in n for n in entry["notes"])
    assert "duplicate_column" not in entry["rules"]
    # a header that does repeat a name is counted, once per repeated column
    csv = tmp_path / "flows.csv"
    csv.write_text("bytes,bytes,pkts,bytes,attack_type\n1,2,3,4,normal\n5,6,7,8,ddos\n")
    mapping = {"format": "csv", "source": "t", "label": ["attack_type"]}
    entry = curate([csv], tmp_path / "out2", format="mapping", mapping=mapping)["files"][0]
    assert entry["rules"]["duplicate_column"] == 2
    assert len([n for n in entry["notes"] if "duplicated column" in n]) == 2


def test_a_value_is_read_the_same_in_every_chunk() -> None:
    # 'iNf' and '1e500' are no missing-value markers but numbers Arrow reads as
    # infinite: missing, whether or not another value of the chunk is text
    specs = {"rate": ColumnSpec("rate", "numeric", "float", "nonnegative")}

    def clean(values: list[str]) -> tuple[list[object], dict[str, int]]:
        table = pa.table({"rate": values, "type": ["normal"] * len(values)})
        res = clean_batch(table, range(len(values)), specs, label_columns=["type"],
                          policies={"numeric": "set_missing"})
        return res.table.column("rate").to_pylist(), dict(res.counts)

    alone, alone_counts = clean(["iNf", "1e500", "5"])
    mixed, mixed_counts = clean(["iNf", "1e500", "5", "x"])
    assert alone == mixed[:3] == [None, None, 5.0]
    assert alone_counts["missing_marker"] == mixed_counts["missing_marker"] == 2
    assert mixed_counts["numeric"] == 1


VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**20, 10**20).map(str),
    st.text(alphabet="0123456789+-.eEnaifty xN", max_size=8),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), VALUES), min_size=1, max_size=30))
def test_numbers_are_what_a_per_value_arrow_cast_reads(values) -> None:
    got = read_numbers(pa.array(values, pa.string()))
    for v, number, bad in zip(values, got.values.to_pylist(), got.not_number, strict=True):
        if v is None:
            assert number is None and not bad
            continue
        try:
            want = pc.cast(pa.array([v]), pa.float64())[0].as_py()
        except pa.ArrowInvalid:
            assert bad and number is None, v
            continue
        assert not bad, v
        assert number == (want if np.isfinite(want) else None), v


STAMPS = st.one_of(
    st.datetimes(min_value=pd.Timestamp("1890-01-01").to_pydatetime(),
                 max_value=pd.Timestamp("2110-01-01").to_pydatetime()).flatmap(
        lambda d: st.sampled_from([d.isoformat(sep=" "), d.isoformat(), d.date().isoformat(),
                                   d.strftime("%Y-%m-%d %H:%M"), d.strftime("%d-%b-%y %H:%M:%S"),
                                   d.strftime("%m/%d/%Y %H:%M"), f"{d.timestamp():.3f}",
                                   str(int(d.timestamp() * 1000)), d.strftime("%Y%m%d")])),
    st.sampled_from(["2019-02-30 00:00:00", "2019-13-01", "2021", "soon", "6.0", "0",
                     "2019-04-25T19:19:40+02:00", "2019-04-25 19:19:40Z",
                     "2019-04-25 19:19:40.1234567", "1e500", "iNf"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), STAMPS), min_size=1, max_size=12))
def test_arrow_timestamps_agree_with_the_pandas_path(values) -> None:
    fast, bad = parse_timestamp_array(pa.array(values, pa.string()))
    slow, slow_bad = parse_timestamps(pd.Series(values, dtype=object))
    assert bad.tolist() == slow_bad.tolist()
    want = [None if pd.isna(t) else t.to_pydatetime() for t in slow]
    assert fast.to_pylist() == want


def test_quarantine_records_keep_the_raw_row() -> None:
    specs = {"port": ColumnSpec("port", "numeric", "int", "port")}
    table = pa.table({"port": [" 80 ", "x"], "type": ["ddos", "normal"]})
    res = clean_batch(table, [7, 8], specs, label_columns=["type"])
    row = res.quarantined.to_pylist()
    assert [(r["source_row"], r["rule"], r["column"]) for r in row] == [(8, "numeric", "port")]
    assert json.loads(row[0]["record"]) == {"port": "x", "type": "normal"}
    assert res.table.column("port").to_pylist() == [80]


def test_file_rules_are_the_ones_that_need_a_whole_file() -> None:
    file_rules = sorted(n for n, r in RULES.items() if isinstance(r, FileRule))
    assert file_rules == ["conflicting_duplicate", "constant_column", "duplicate_column",
                          "exact_duplicate", "line_endings", "repeated_except_id"]


def test_a_naive_timestamp_is_utc_whatever_else_the_batch_holds() -> None:
    # pandas reads a naive ISO time with the offset of a zoned one before it in the
    # same call; naive and zoned text are read apart, so each value reads alone
    values = ["2019-04-25T19:19:40+02:00", "2000-01-01 00:00:00", "20190425T191940+0200",
              "2019-04-25 10:00:00-05"]
    want = [pd.Timestamp("2019-04-25 17:19:40", tz="UTC"), pd.Timestamp("2000-01-01", tz="UTC"),
            pd.Timestamp("2019-04-25 17:19:40", tz="UTC"),
            pd.Timestamp("2019-04-25 15:00", tz="UTC")]
    assert parse_timestamps(pd.Series(values))[0].tolist() == want
    assert parse_timestamps(pd.Series(values[::-1]))[0].tolist() == want[::-1]
    assert parse_timestamp_array(pa.array(values))[0].to_pylist() == want
