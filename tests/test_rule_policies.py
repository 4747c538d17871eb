"""Every (rule, policy) pair of the ``RULES`` table does what docs/cleaning.md says.

The pairs are discovered from ``RULES``: a new rule, or a new policy of a rule, fails
here until it gets a case. Each case writes a tiny capture that triggers its rule
and states, from the text it wrote, what each policy must do: which cells change and
to what, which lines go to quarantine, what ``report.json`` counts. ``report``,
``fix`` and ``set_missing`` never remove a row; every cell a case did not name must
equal the cell of the same line in a clean run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from iotforge.curation.clean import RULES
from iotforge.curation.curate import curate

HEADER = ["ts", "dst_port", "bytes", "proto", "status", "temp", "is_malicious", "attack_type"]
BASE = [
    ["2019-04-25 10:00:00", "80", "100", "tcp", "true", "20.5", "0", "normal"],
    ["2019-04-25 10:00:01", "443", "200", "udp", "false", "21.5", "1", "ddos"],
    ["2019-04-25 10:00:02", "53", "300", "tcp", "false", "22.5", "0", "normal"],
    ["2019-04-25 10:00:03", "22", "400", "udp", "true", "23.5", "1", "ddos"],
]  # any three rows still hold two values in every column: no column turns constant
MAPPING = {
    "format": "csv", "source": "policy_case",
    "roles": {"ts": "time", "dst_port": "numeric", "bytes": "numeric",
              "proto": "categorical", "status": "categorical", "temp": "numeric"},
    "kinds": {"ts": "timestamp", "dst_port": "int", "bytes": "float", "proto": "string",
              "status": "bool", "temp": "float"},
    "domains": {"dst_port": "port", "bytes": "nonnegative"},
    "label": ["attack_type"], "binary_label": "is_malicious",
}
MISSING = object()  # the cell must be missing
GONE = object()     # the row must not be in curated.parquet


def line(row: int) -> int:
    """File line of data row ``row`` (line 1 is the header)."""
    return row + 2


@dataclass(frozen=True)
class Case:
    """A capture that triggers one rule, and what each allowed policy must do.

    ``expect[policy]`` maps (line, column) to the expected curated value, ``MISSING``,
    or ``GONE`` (the whole line is absent). ``quarantined`` lines carry the rule in
    quarantine.parquet under ``quarantine``; ``count`` is the rule's count in
    ``rules`` under every policy.
    """

    edits: dict[tuple[int, str], str] = field(default_factory=dict)
    extra: tuple[list[str], ...] = ()
    render: Callable[[list[list[str]]], bytes] | None = None
    count: int = 1
    quarantined: tuple[int, ...] = ()
    expect: dict[str, dict[tuple[int, str], Any]] = field(default_factory=dict)
    also: dict[str, int] = field(default_factory=dict)  # other rules it must trigger
    like: dict[int, int] = field(default_factory=dict)  # appended line -> base line
    mapping: dict[str, Any] | None = None  # instead of MAPPING


def _csv(rows: list[list[str]], header: list[str] = HEADER, eol: str = "\n") -> str:
    return "".join(",".join(r) + eol for r in [header, *rows])


WS, CASE_RAW, BAD_BOOL, NOT_NUM, BAD_TS = " udp ", "TCP", "maybe", "abc", "soon"
CP1252 = b"caf\xe9"
DUP_TEMP = ["1.25", "2.5", "3.75", "5"]
TRUNCATED = "2019-04-25 10:00:04,22"

def _with_epoch(rows: list[list[str]], shift: dict[int, int]) -> bytes:
    """The capture with a second clock, ``epoch_ts`` (seconds), ``shift`` seconds off."""
    def epoch(i: int, ts: str) -> str:
        return str(int(pd.Timestamp(ts, tz="UTC").timestamp()) + shift.get(i, 0))
    return _csv([[*r, epoch(i, r[0])] for i, r in enumerate(rows)],
                [*HEADER, "epoch_ts"]).encode()


CASES: dict[str, Case] = {
    "row_shape": Case(
        render=lambda rows: (_csv(rows) + TRUNCATED + "\n").encode(),
        quarantined=(line(4),),
        expect={"quarantine": {(line(4), "ts"): GONE}}),
    "encoding": Case(
        render=lambda rows: _csv(rows).encode().replace(b",tcp,true,20.5",
                                                        b"," + CP1252 + b",true,20.5"),
        expect={"fix": {(line(0), "proto"): CP1252.decode("cp1252")}}),
    "line_endings": Case(
        render=lambda rows: _csv(rows, eol="\r\n").encode(),
        expect={"fix": {}}),
    "duplicate_column": Case(
        render=lambda rows: _csv([[*r, t] for r, t in zip(rows, DUP_TEMP, strict=True)],
                                 [*HEADER, "temp"]).encode(),
        expect={"fix": {(line(i), "temp__2"): float(t) for i, t in enumerate(DUP_TEMP)}}),
    "whitespace": Case(
        edits={(1, "proto"): WS},
        expect={"fix": {(line(1), "proto"): WS.strip()}}),
    "missing_marker": Case(
        edits={(1, "temp"): "-"},
        expect={"set_missing": {(line(1), "temp"): MISSING}}),
    "decimal_comma": Case(
        # a spreadsheet's European export: ';' between fields, a decimal comma
        render=lambda rows: "".join(";".join(c.replace(".", ",") if i == 5 else c
                                             for i, c in enumerate(r)) + "\n"
                                    for r in [HEADER, *rows]).encode(),
        count=len(BASE), expect={"fix": {}}),
    "thousands_separator": Case(
        edits={(2, "bytes"): "\"1,300.5\""},  # quoted in a comma-separated file
        expect={"fix": {(line(2), "bytes"): 1300.5}}),
    "hex_number": Case(
        edits={(1, "bytes"): "0xC8"},
        expect={"fix": {(line(1), "bytes"): 200.0}}),
    "case": Case(
        edits={(0, "proto"): CASE_RAW},
        expect={"fix": {(line(0), "proto"): CASE_RAW.lower()},
                "report": {(line(0), "proto"): CASE_RAW}}),
    "boolean": Case(
        edits={(2, "status"): BAD_BOOL}, quarantined=(line(2),),
        expect={"set_missing": {(line(2), "status"): MISSING},
                "quarantine": {(line(2), "ts"): GONE}}),
    "numeric": Case(
        edits={(1, "temp"): NOT_NUM}, quarantined=(line(1),),
        expect={"set_missing": {(line(1), "temp"): MISSING},
                "quarantine": {(line(1), "ts"): GONE}}),
    "timestamp": Case(
        edits={(0, "ts"): BAD_TS}, quarantined=(line(0),),
        expect={"set_missing": {(line(0), "ts"): MISSING},
                "quarantine": {(line(0), "ts"): GONE}}),
    "sentinel": Case(
        edits={(2, "bytes"): "-1"}, quarantined=(line(2),),
        expect={"set_missing": {(line(2), "bytes"): MISSING},
                "quarantine": {(line(2), "ts"): GONE}}),
    "range": Case(
        edits={(1, "dst_port"): "70000"}, quarantined=(line(1),),
        expect={"set_missing": {(line(1), "dst_port"): MISSING},
                "quarantine": {(line(1), "ts"): GONE}}),
    "clock_offset": Case(  # one clock in local time (UTC+7) on line 1
        render=lambda rows: _with_epoch(rows, {1: 7 * 3600}), quarantined=(line(1),),
        expect={"report": {}, "quarantine": {(line(1), "ts"): GONE}}),
    "clock_disagreement": Case(
        render=lambda rows: _with_epoch(rows, {2: 5}), quarantined=(line(2),),
        expect={"report": {}, "quarantine": {(line(2), "ts"): GONE}}),
    "missing_label": Case(
        # an empty cell is also a missing-value marker
        edits={(0, "attack_type"): ""}, quarantined=(line(0),), also={"missing_marker": 1},
        expect={"quarantine": {(line(0), "ts"): GONE}}),
    "unknown_label": Case(
        edits={(2, "attack_type"): "teleportation"}, quarantined=(line(2),),
        expect={"quarantine": {(line(2), "ts"): GONE}}),
    "label_normalised": Case(
        edits={(1, "attack_type"): "ddos\U0001f525"}, quarantined=(line(1),),
        expect={"report": {(line(1), "label"): "ddos",
                           (line(1), "label_raw"): "ddos\U0001f525"},
                "quarantine": {(line(1), "ts"): GONE}}),
    "label_conflict": Case(
        edits={(0, "is_malicious"): "1"}, quarantined=(line(0),),
        expect={"quarantine": {(line(0), "ts"): GONE},
                # the row stays, with the class its label names
                "report": {(line(0), "label"): "normal", (line(0), "is_attack"): False}}),
    "constant_column": Case(
        edits={(1, "proto"): "tcp", (3, "proto"): "tcp"}, count=1,
        expect={"report": {(line(1), "proto"): "tcp", (line(3), "proto"): "tcp"}}),
    "exact_duplicate": Case(
        extra=(list(BASE[0]),), like={line(4): line(0)},
        expect={"drop": {(line(4), "ts"): GONE},
                "report": {(line(4), c): v for c, v in (
                    ("proto", "tcp"), ("temp", 20.5), ("label", "normal"))}}),
    "repeated_except_id": Case(
        # a flow id before every record; line 4 repeats line 0 under another id
        render=lambda rows: _csv([[f"F{i}", *r] for i, r in enumerate(rows)],
                                 ["flow_id", *HEADER]).encode(),
        extra=(list(BASE[0]),), like={line(4): line(0)}, quarantined=(line(4),),
        mapping={**MAPPING, "roles": {**MAPPING["roles"], "flow_id": "id"}},
        expect={"quarantine": {(line(4), "ts"): GONE},
                "report": {(line(4), "flow_id"): "F4"}}),
    "conflicting_duplicate": Case(
        # same features (numeric, categorical) as row 0, another time and class
        extra=(["2019-04-25 10:00:09", *BASE[0][1:6], "1", "ddos"],),
        count=2, like={line(4): line(0)},
        expect={"report": {(line(4), "ts"): pd.Timestamp("2019-04-25 10:00:09", tz="UTC"),
                           (line(4), "label"): "ddos", (line(4), "label_raw"): "ddos",
                           (line(4), "is_attack"): True, (line(4), "attack_family"): "dos"}}),
}

PAIRS = [(rule, policy) for rule, r in RULES.items() for policy in r.policies]


def _rows(case: Case) -> list[list[str]]:
    rows = [list(r) for r in BASE]
    for (i, col), value in case.edits.items():
        rows[i][HEADER.index(col)] = value
    return rows + [list(r) for r in case.extra]


def _run(tmp_path: Path, data: bytes, policies: dict[str, str],
         mapping: dict[str, Any] | None = None) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    f = tmp_path / "capture.csv"
    f.write_bytes(data)
    curate([f], tmp_path / "out", format="mapping", mapping=mapping or MAPPING,
           policies=policies)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    return (report["files"][0], pd.read_parquet(tmp_path / "out" / "curated.parquet"),
            pd.read_parquet(tmp_path / "out" / "quarantine.parquet"))


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, pd.DataFrame]:
    entry, curated, _ = _run(tmp_path_factory.mktemp("clean"), _csv(BASE).encode(), {})
    assert entry["rules"] == {} and entry["rows_out"] == len(BASE)
    return entry, curated.set_index("source_row")


def _same(a: object, b: object) -> bool:
    if pd.isna(a) and pd.isna(b):  # type: ignore[arg-type]
        return True
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b))  # type: ignore[arg-type]
    return bool(a == b)


@pytest.mark.parametrize(("rule", "policy"), PAIRS, ids=[f"{r}={p}" for r, p in PAIRS])
def test_every_rule_policy_pair(rule: str, policy: str, tmp_path: Path, clean_run) -> None:
    case = CASES.get(rule)
    if case is None or policy not in case.expect:
        pytest.fail(f"no case for --policy {rule}={policy}: add one to CASES")
    rows = _rows(case)
    data = case.render(rows) if case.render else _csv(rows).encode()
    entry, curated, quarantine = _run(tmp_path, data, {rule: policy}, case.mapping)
    n_lines = len(rows) + (1 if rule == "row_shape" else 0)
    clean_entry, clean = clean_run

    # counted: the rule's own count, and no other rule beyond what the case says
    assert entry["rules"].get(rule, 0) == case.count, entry["rules"]
    others = {k: v for k, v in entry["rules"].items() if k != rule}
    assert others == case.also, others
    assert entry["rows_read"] == n_lines
    assert entry["rows_read"] == (entry["rows_out"] + entry["rows_quarantined"]
                                  + entry["rows_duplicate"])

    # quarantined: exactly the case's lines, under this rule, only with that policy
    if policy == "quarantine":
        assert sorted(quarantine["source_row"]) == list(case.quarantined)
        assert set(quarantine["rule"]) == {rule}
        assert entry["quarantine_rules"] == {rule: len(case.quarantined)}
    else:
        assert quarantine.empty and entry["quarantine_rules"] == {}

    # removed: report, fix and set_missing never remove a row
    dup = len(case.extra) if (rule, policy) == ("exact_duplicate", "drop") else 0
    assert entry["rows_duplicate"] == dup
    if policy in ("report", "fix", "set_missing"):
        assert entry["rows_out"] == entry["rows_read"] == len(curated)
    assert entry["rows_out"] == n_lines - len(case.quarantined if policy == "quarantine"
                                              else ()) - dup

    # changed: the named cells as expected, every other cell as in the clean run
    got = curated.set_index("source_row")
    expect = case.expect[policy]
    gone = {ln for (ln, _), v in expect.items() if v is GONE}
    assert sorted(got.index) == sorted(set(range(2, 2 + len(rows))) - gone)
    for (ln, col), want in expect.items():
        if want is GONE:
            continue
        value = got.at[ln, col]
        if want is MISSING:
            assert pd.isna(value), (ln, col, value)
        else:
            assert _same(value, want), (ln, col, value, want)
    for ln in got.index:
        ref = case.like.get(ln, ln)
        for col in clean.columns:
            if (ln, col) in expect or col in ("source_file",):
                continue
            assert _same(got.at[ln, col], clean.at[ref, col]), (ln, col)
    if rule == "constant_column":
        assert entry["constant_columns"] == ["proto"]
    if rule == "conflicting_duplicate":
        assert entry["conflicting_duplicate_groups"] == 1
    if (rule, policy) == ("repeated_except_id", "quarantine"):  # names the first one
        assert quarantine["reason"].tolist() == [
            f"identical to source_row {line(0)} of {tmp_path / 'capture.csv'} in every "
            "column but its id columns (flow_id)"]
