"""The Arrow rules against a second implementation: plain Python, one cell at a time.

``reference`` below re-implements what docs/cleaning.md says the batch rules do, with
``str`` methods, ``float`` and ``datetime`` instead of Arrow: per cell, in column
order, first quarantining rule wins. Hypothesis draws small noisy batches (text and
typed, every policy) and the test compares everything ``clean_batch`` returns: kept
rows and their values, quarantined rows with rule, column and reason, every count,
and which rows share an exact-duplicate key.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iotforge.curation.clean import clean_batch
from iotforge.curation.schema import ColumnSpec
from iotforge.curation.taxonomy import Taxonomy

MARKERS = {"", "-", "--", "(empty)", "?", "nan", "NaN", "NAN", "null", "NULL", "Null",
           "None", "none", "NA", "N/A", "n/a", "na", "#N/A", "Infinity", "-Infinity",
           "+Infinity", "infinity", "inf", "-inf", "+inf", "Inf", "-Inf", "INF", "(null)",
           "<NA>", "nil"}
TRUE = {"true", "t", "yes", "y", "1", "on", "1.0"}
FALSE = {"false", "f", "no", "n", "0", "off", "0.0"}
NUMBER = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|(?i:nan|inf|infinity))",
                    re.ASCII)
RANGES = {"port": (0, 65535), "nonnegative": (0, math.inf), "ratio": (0, 1)}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

SPECS = {
    "port": ColumnSpec("port", "numeric", "int", "port"),
    "bytes": ColumnSpec("bytes", "numeric", "float", "nonnegative"),
    "share": ColumnSpec("share", "numeric", "float", "ratio", sentinels=(-2.0,)),
    "flag": ColumnSpec("flag", "categorical", "bool"),
    "state": ColumnSpec("state", "categorical", "string"),
    "history": ColumnSpec("history", "categorical", "string", case_sensitive=True),
    "host": ColumnSpec("host", "endpoint", "string"),
    "ts": ColumnSpec("ts", "time", "timestamp"),
    "uid": ColumnSpec("uid", "id", "string"),
}
NUMERIC = ("port", "bytes", "share")
TAXONOMY = Taxonomy.default()


# --- the reference -------------------------------------------------------------------

def _number(text: str) -> float | None | str:
    """A finite float, None (missing: non-finite), or the text when it is no number."""
    if not NUMBER.fullmatch(text):
        return text
    v = float(text)
    return v if math.isfinite(v) else None


def _timestamp(text: str) -> datetime | None:
    if re.fullmatch(r"(19|20)\d\d-\d\d-\d\d( \d\d:\d\d:\d\d(\.\d{1,6})?)?", text):
        try:
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        except ValueError:
            return None
    v = _number(text)
    if isinstance(v, float):
        for per_s in (1.0, 1e3, 1e6, 1e9):
            if 631152000.0 * per_s <= v < 4102444800.0 * per_s:
                return EPOCH + timedelta(microseconds=round(v * (1e6 / per_s)))
    return None


Reference = tuple[list[dict[str, Any]], list[tuple[int, str, str, str]], Counter[str],
                  list[tuple[Any, ...]]]


def reference(columns: dict[str, list[Any]], policies: dict[str, str],
              typed: frozenset[str] = frozenset()) -> Reference:
    n = len(columns["type"])
    counts: Counter[str] = Counter()
    flags: list[tuple[str, str, str] | None] = [None] * n
    out: list[dict[str, Any]] = [{} for _ in range(n)]
    keys: list[list[Any]] = [[] for _ in range(n)]

    def flag(i: int, rule: str, column: str, reason: str) -> None:
        if flags[i] is None:
            flags[i] = (rule, column, reason)

    present: dict[str, list[Any]] = {}
    for name, values in columns.items():
        cells = []
        for v in values:
            if name in typed:  # a typed read: nulls were markers
                counts["missing_marker"] += v is None or not math.isfinite(v)
                cells.append(v if v is not None and math.isfinite(v) else None)
            elif v is None:
                cells.append(None)
            else:
                counts["whitespace"] += v != v.strip()
                counts["missing_marker"] += v.strip() in MARKERS
                cells.append(None if v.strip() in MARKERS else v.strip())
        present[name] = cells

    for name, spec in SPECS.items():
        cells = present[name]
        if name in NUMERIC:
            parsed = [c if c is None or isinstance(c, float) else _number(c) for c in cells]
            counts["missing_marker"] += sum(isinstance(c, str) and p is None
                                            for c, p in zip(cells, parsed, strict=True))
            for i in range(len(parsed)):  # the raw value as delivered: its text, or
                keys[i].append(columns[name][i])  # the number a typed read made of it
            texts = [p for p in parsed if isinstance(p, str)]
            numbers = [p for p in parsed if isinstance(p, float)]
            if texts and all(v in (0.0, 1.0) for v in numbers):
                for i, p in enumerate(parsed):
                    if isinstance(p, str) and p.lower() in TRUE | FALSE:
                        parsed[i] = 1.0 if p.lower() in TRUE else 0.0
                        counts["boolean"] += 1
            for i, p in enumerate(parsed):
                if isinstance(p, str) and re.fullmatch(r"[+-]?0[xX][0-9a-fA-F]+", p):
                    parsed[i] = p = float(int(p, 16))
                    counts["hex_number"] += 1
            for i, p in enumerate(parsed):
                if isinstance(p, str) or (spec.kind == "int" and p is not None
                                          and p != math.floor(p)):
                    counts["numeric"] += 1
                    if policies["numeric"] == "quarantine":
                        flag(i, "numeric", name, f"expected a number, found {cells[i]!r}")
                    parsed[i] = None
                v = parsed[i]
                sentinels = spec.sentinels or ((-1.0,) if spec.domain in RANGES
                                               and spec.domain != "ratio" else ())
                if v is not None and v in sentinels:
                    counts["sentinel"] += 1
                    if policies["sentinel"] == "quarantine":
                        flag(i, "sentinel", name, "sentinel value")
                    v = None
                lo, hi = RANGES[spec.domain]
                if v is not None and not lo <= v <= hi:
                    counts["range"] += 1
                    if policies["range"] == "quarantine":
                        flag(i, "range", name,
                             f"{spec.domain} out of range [{lo:g}, {hi:g}]: {v:g}")
                    else:
                        v = None
                if spec.kind == "int" and v is not None:
                    v = int(v) if abs(v) < 2.0**63 else None
                out[i][name] = v
        elif spec.kind == "bool":
            for i, c in enumerate(cells):
                keys[i].append(columns[name][i])
                value = None if c is None else (True if c.lower() in TRUE else
                                                False if c.lower() in FALSE else "other")
                if value == "other":
                    counts["boolean"] += 1
                    if policies["boolean"] == "quarantine":
                        flag(i, "boolean", name, "expected a boolean")
                    value = None
                out[i][name] = value
        elif spec.kind == "timestamp":
            for i, c in enumerate(cells):
                keys[i].append(columns[name][i])
                stamp = None if c is None else _timestamp(c)
                if c is not None and stamp is None:
                    counts["timestamp"] += 1
                    if policies["timestamp"] == "quarantine":
                        flag(i, "timestamp", name, "unparsable timestamp")
                out[i][name] = stamp
        else:
            for i, c in enumerate(cells):
                # the whole raw record is the key, id-role columns included (tagged,
                # for the id-free key of repeated_except_id)
                keys[i].append(("id", columns[name][i]) if spec.role == "id"
                               else columns[name][i])
                if spec.role == "categorical" and not spec.case_sensitive and c is not None:
                    counts["case"] += c.lower() != c
                    c = c.lower() if policies["case"] == "fix" else c
                out[i][name] = c

    for i in range(n):
        keys[i] += [columns["type"][i], columns["is_attack_flag"][i]]
        raw = present["type"][i]
        out[i]["label_raw"] = raw
        if raw is None:
            counts["missing_label"] += 1
            flag(i, "missing_label", "type", "no label value in type")
            info = None
        else:
            info = TAXONOMY.lookup(raw)
            if info is None:
                counts["unknown_label"] += 1
                flag(i, "unknown_label", "type",
                     f"label {raw!r} is not in the taxonomy; add it with --taxonomy FILE")
        out[i]["label"] = info.label if info else None
        out[i]["is_attack"] = bool(info and info.is_attack)
        out[i]["attack_family"] = info.family if info else None
        says = (present["is_attack_flag"][i] or "").lower()
        if info is not None and ((says in TRUE and not info.is_attack)
                                 or (says in FALSE and info.is_attack)):
            counts["label_conflict"] += 1
            if policies["label_conflict"] == "quarantine":
                flag(i, "label_conflict", "is_attack_flag",
                     "is_attack_flag contradicts the class of the label")
    quarantine = []
    for i, f in enumerate(flags):
        if f is not None:
            quarantine.append((i + 2, *f))
            counts[f"quarantine:{f[0]}"] += 1
    kept = [dict(row, source_row=i + 2) for i, row in enumerate(out) if flags[i] is None]
    kept_keys = [tuple(keys[i]) for i in range(n) if flags[i] is None]
    return kept, quarantine, +counts, kept_keys


# --- the batches -----------------------------------------------------------------------

NUMBERS = st.one_of(st.integers(-70000, 70000).map(str), st.sampled_from(
    ["0", "1", "-1", "-2", "0.5", "1.5", "-0", "-0.0", "8e1", "+3", ".5", "1.", "1e500",
     "iNf", "nAn", "65536", "1e19", "0.25"]))
NOISE = st.sampled_from([" 80 ", "x", "yes", "no", "TRUE", "off", "1,5", "0x1f", "", "-",
                         "NaN", "N/A", "inf", "?", "(empty)"])
TEXT = st.sampled_from(["tcp", "TCP", " udp", "Udp ", "ShADad", "sh", "-", "", "10.0.0.1",
                        "a b", "None"])
BOOLS = st.sampled_from(["true", "False", " yes", "0", "1", "on", "OFF", "maybe", "2", "-",
                         "", "1.0", "t"])
STAMPS = st.sampled_from(["2019-04-25 10:00:00", "2019-04-25", "2019-04-25 10:00:00.5",
                          "2019-02-30 00:00:00", "1547127288.02", "1547127288020",
                          "1547127288020000", "6.0", "42", "soon", "-", "", " 2020-01-01 ",
                          "631151999", "631152000"])
LABELS = st.sampled_from(["normal", "ddos", "DDoS", " Benign ", "PortScan", "teleport", "-",
                          "", "backdoor", "scanning"])
FLAGS = st.sampled_from(["0", "1", "yes", "no", "maybe", "-", " 1 "])


@st.composite
def batches(draw: st.DrawFn) -> tuple[dict[str, list[Any]], dict[str, str]]:
    n = draw(st.integers(1, 25))

    def column(cells: st.SearchStrategy[str], clean: st.SearchStrategy[str] | None = None
               ) -> list[Any]:
        pick = cells if clean is None or draw(st.booleans()) else clean
        return draw(st.lists(pick, min_size=n, max_size=n))

    cols: dict[str, list[Any]] = {}
    for name in NUMERIC:
        values = column(st.one_of(NUMBERS, NOISE), NUMBERS)
        if draw(st.booleans()):  # a typed read: markers are nulls, the rest numbers
            parsed = [None if v.strip() in MARKERS else _number(v.strip()) for v in values]
            if all(p is None or isinstance(p, float) for p in parsed):
                values = [None if p is None else float(p) for p in parsed]
        cols[name] = values
    cols["flag"] = column(BOOLS)
    cols["state"] = column(TEXT)
    cols["history"] = column(TEXT)
    cols["host"] = column(TEXT)
    cols["ts"] = column(STAMPS)
    cols["uid"] = [str(i) for i in range(n)]
    cols["type"] = column(LABELS)
    cols["is_attack_flag"] = column(FLAGS)
    policies = {
        "numeric": draw(st.sampled_from(["quarantine", "set_missing"])),
        "boolean": draw(st.sampled_from(["set_missing", "quarantine"])),
        "timestamp": draw(st.sampled_from(["set_missing", "quarantine"])),
        "sentinel": draw(st.sampled_from(["set_missing", "quarantine"])),
        "range": draw(st.sampled_from(["set_missing", "quarantine"])),
        "case": draw(st.sampled_from(["fix", "report"])),
        "label_conflict": draw(st.sampled_from(["quarantine", "report"])),
    }
    return cols, policies


def _table(cols: dict[str, list[Any]]) -> pa.Table:
    return pa.table({name: pa.array(values, pa.float64() if any(
        isinstance(v, float) for v in values) or (name in NUMERIC and all(
            v is None for v in values)) else pa.string()) for name, values in cols.items()})


def _same(got: Any, want: Any) -> bool:
    if want is None:
        return got is None
    if isinstance(want, float):
        return got is not None and math.isclose(got, want, rel_tol=1e-12)
    return bool(got == want)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_clean_batch_matches_the_plain_python_reference(batch) -> None:
    cols, policies = batch
    n = len(cols["type"])
    table = _table(cols)
    typed = frozenset(f.name for f in table.schema if pa.types.is_floating(f.type))
    res = clean_batch(table, np.arange(2, n + 2), SPECS, label_columns=["type"],
                      binary_label="is_attack_flag", policies=policies)  # type: ignore[arg-type]
    kept, quarantine, counts, keys = reference(cols, policies, typed)

    got_q = [(r["source_row"], r["rule"], r["column"], r["reason"])
             for r in res.quarantined.to_pylist()]
    assert got_q == quarantine
    assert +res.counts == counts
    rows = res.table.to_pylist()
    assert [r["source_row"] for r in rows] == [r["source_row"] for r in kept]
    for got, want in zip(rows, kept, strict=True):
        for name, value in want.items():
            assert _same(got[name], value), (want["source_row"], name, got[name], value)
    # equal raw records share a key, different ones do not
    assert len(res.row_hash) == len(keys)
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            assert (res.row_hash[i] == res.row_hash[j]) == (keys[i] == keys[j]), (i, j)
    # without the id column: equal exactly when the rest of the record is
    free = [tuple(v for v in k if not (isinstance(v, tuple) and v[0] == "id")) for k in keys]
    assert res.id_free_hash is not None and len(res.id_free_hash) == len(free)
    for i in range(len(free)):
        for j in range(i + 1, len(free)):
            assert (res.id_free_hash[i] == res.id_free_hash[j]) == (free[i] == free[j]), (i, j)


def test_reference_reads_what_the_docs_promise() -> None:
    # the reference itself, on cells whose cleaning docs/cleaning.md spells out
    cols = {"port": [" 80", "-", "70000"], "bytes": ["1", "2", "x"],
            "share": ["-2", "0.5", "2"], "flag": ["yes", "maybe", "0"],
            "state": ["TCP", "udp", "-"], "history": ["ShA", "d", "x"],
            "host": ["h", "h", "h"], "ts": ["2019-04-25", "soon", "1547127288.02"],
            "uid": ["1", "2", "3"], "type": ["ddos", "normal", "teleport"],
            "is_attack_flag": ["1", "0", "1"]}
    policies = {"numeric": "quarantine", "boolean": "set_missing",
                "timestamp": "set_missing", "sentinel": "set_missing",
                "range": "set_missing", "case": "fix", "label_conflict": "quarantine"}
    kept, quarantine, counts, _ = reference(cols, policies)
    assert quarantine == [(4, "numeric", "bytes", "expected a number, found 'x'")]
    assert kept[0]["port"] == 80 and kept[1]["port"] is None and kept[0]["share"] is None
    assert kept[0]["state"] == "tcp" and kept[0]["history"] == "ShA"
    assert kept[1]["flag"] is None and kept[1]["ts"] is None
    assert counts["range"] == 2 and counts["sentinel"] == 1 and counts["whitespace"] == 1
