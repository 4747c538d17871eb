"""Cleaning rules: named, documented objects applied to every batch of every source.

Each rule detects one general problem, has a policy (``fix``, ``set_missing``,
``quarantine`` or ``report``) and counts what it touched. No rule knows a dataset:
a quirk of one capture is an instance of a general rule, configured by the column
specs the adapters and mapping files declare. docs/cleaning.md lists them.

>>> import pyarrow as pa
>>> from curation.schema import ColumnSpec
>>> specs = {"dst_port": ColumnSpec("dst_port", "numeric", "int", "port")}
>>> table = pa.table({"dst_port": [" 80", "-", "70000"], "type": ["ddos", "normal", "ddos"]})
>>> res = clean_batch(table, [10, 11, 12], specs, label_columns=["type"])
>>> res.frame["dst_port"].tolist(), res.frame["label"].tolist()
([80, <NA>, <NA>], ['ddos', 'normal', 'ddos'])
>>> res.counts["range"], res.counts["missing_marker"]
(1, 1)
>>> res = clean_batch(table, [10, 11, 12], specs, label_columns=["type"],
...                   policies={"range": "quarantine"})
>>> res.quarantine[["source_row", "rule", "column"]].values.tolist()
[[12, 'range', 'dst_port']]
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from curation._typing import Policy
from curation.schema import (
    ATTACK_FAMILY,
    AUGMENTER,
    IS_ATTACK,
    IS_SYNTHETIC,
    LABEL,
    LABEL_RAW,
    ColumnSpec,
)
from curation.sources._text import InvalidRecord
from curation.taxonomy import Taxonomy


@dataclass(frozen=True)
class Rule:
    """A cleaning rule: its name, what it detects, and what it does by default."""

    name: str
    detects: str
    policy: Policy
    policies: tuple[Policy, ...]


RULES: dict[str, Rule] = {r.name: r for r in (
    Rule("row_shape", "a line with the wrong number of fields (truncated, shifted, "
         "wrong delimiter) or that cannot be parsed", "quarantine", ("quarantine",)),
    Rule("encoding", "bytes that are not UTF-8 (decoded as cp1252), byte-order marks, "
         "UTF-16/32 files", "fix", ("fix",)),
    Rule("line_endings", "CRLF or CR line endings", "fix", ("fix",)),
    Rule("duplicate_column", "a header that repeats a column name", "fix", ("fix",)),
    Rule("whitespace", "leading/trailing whitespace in any text value", "fix", ("fix",)),
    Rule("missing_marker", "missing-value markers: empty, '-', '(empty)', '?', 'NaN', "
         "'null', 'None', 'NA', 'N/A', 'Infinity', 'inf' (any case and sign)",
         "set_missing", ("set_missing",)),
    Rule("case", "upper/lower case in categorical values, folded to lower case (columns "
         "declared case-sensitive, such as Zeek's history codes, keep theirs)", "fix",
         ("fix", "report")),
    Rule("boolean", "boolean spellings true/false/t/f/yes/no/y/n/1/0/on/off; "
         "anything else in a boolean column", "set_missing", ("set_missing", "quarantine")),
    Rule("numeric", "text that is not a number in a numeric column, or a fraction in an "
         "integer column", "quarantine", ("quarantine", "set_missing")),
    Rule("timestamp", "timestamps in mixed formats and epochs (s, ms, us, ns), made UTC; "
         "unparsable ones", "set_missing", ("set_missing", "quarantine")),
    Rule("sentinel", "-1 (or a declared sentinel) in a column that cannot be negative: "
         "a 'not measured' marker", "set_missing", ("set_missing", "quarantine")),
    Rule("range", "values outside a physical or protocol range: ports 0-65535, "
         "latitude +-90, longitude +-180, protocol numbers 0-255, ratios 0-1, "
         "negative counts/durations (the value is wrong, not the row)", "set_missing",
         ("set_missing", "quarantine")),
    Rule("missing_label", "a row without any label value", "quarantine", ("quarantine",)),
    Rule("unknown_label", "a label the taxonomy does not know", "quarantine",
         ("quarantine",)),
    Rule("label_conflict", "a 0/1 attack flag that contradicts the taxonomy class of the "
         "row's label", "quarantine", ("quarantine", "report")),
    Rule("constant_column", "a column with one value (or none) in a whole file", "report",
         ("report",)),
    Rule("exact_duplicate", "a row identical to an earlier row (all columns except "
         "provenance), within and across the input files", "drop", ("drop", "report")),
    Rule("conflicting_duplicate", "rows with identical features but different labels",
         "report", ("report",)),
)}

MISSING_MARKERS = frozenset({
    "", "-", "--", "(empty)", "?", "nan", "NaN", "NAN", "null", "NULL", "Null", "None",
    "none", "NA", "N/A", "n/a", "na", "#N/A", "Infinity", "-Infinity", "+Infinity",
    "infinity", "inf", "-inf", "+inf", "Inf", "-Inf", "INF", "(null)", "<NA>", "nil",
})
TRUE_SPELLINGS = frozenset({"true", "t", "yes", "y", "1", "on", "1.0"})
FALSE_SPELLINGS = frozenset({"false", "f", "no", "n", "0", "off", "0.0"})
DOMAIN_RANGES: dict[str, tuple[float, float]] = {
    "port": (0, 65535),
    "latitude": (-90, 90),
    "longitude": (-180, 180),
    "nonnegative": (0, np.inf),
    "ratio": (0, 1),
    "protocol_number": (0, 255),
}

QUARANTINE_COLUMNS = ("source", "source_file", "source_row", "rule", "reason", "column",
                      "record")


@dataclass
class CleanResult:
    """The rows a batch keeps, the rows it quarantines, and what each rule touched."""

    frame: pd.DataFrame
    quarantine: pd.DataFrame
    counts: Counter[str] = field(default_factory=Counter)


def _strip(arr: pa.ChunkedArray | pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(arr)


def _missing(arr: pa.Array) -> np.ndarray:
    mask = pc.is_in(arr, value_set=pa.array(sorted(MISSING_MARKERS), pa.string()))
    return np.asarray(pc.fill_null(mask, True), dtype=bool)


def _to_float(arr: pa.Array, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Floats, and a mask of present values that are not numbers."""
    try:
        values = pc.cast(pc.if_else(pa.array(present), arr, None), pa.float64())
        out = np.array(pc.fill_null(values, np.nan), dtype=np.float64)
        return out, np.zeros(len(out), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        series = pd.Series(np.asarray(arr.to_pylist(), dtype=object))
        series[~present] = None
        out = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
        return out, present & np.isnan(out)


def _boolean_words(arr: pa.Array, values: np.ndarray, bad: np.ndarray,
                   counts: Counter[str]) -> tuple[np.ndarray, np.ndarray]:
    """true/false words in a numeric 0/1 column become 1/0 (rule ``boolean``, fix)."""
    ok = ~np.isnan(values)
    if ok.any() and not np.isin(values[ok], (0.0, 1.0)).all():
        return values, bad
    low = pc.utf8_lower(arr)
    is_true = np.asarray(pc.fill_null(pc.is_in(low, pa.array(sorted(TRUE_SPELLINGS))), False))
    is_false = np.asarray(pc.fill_null(pc.is_in(low, pa.array(sorted(FALSE_SPELLINGS))),
                                       False))
    words = bad & (is_true | is_false)
    if words.any():
        values = values.copy()
        values[words & is_true] = 1.0
        values[words & is_false] = 0.0
        counts["boolean"] += int(words.sum())
    return values, bad & ~words


def parse_timestamps(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """UTC timestamps from mixed formats and epoch numbers; mask of unparsable values.

    >>> ts, bad = parse_timestamps(pd.Series(["2019-04-25 19:19:40", "1547127288.02",
    ...                                       "25-Apr-19 19:19:40", "soon", None]))
    >>> [str(t) for t in ts[:3]], bad.tolist()
    (['2019-04-25 19:19:40+00:00', '2019-01-10 13:34:48.020000+00:00', \
'2019-04-25 19:19:40+00:00'], [False, False, False, True, False])
    """
    present = values.notna().to_numpy()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    try:
        nums = pd.Series(np.array(pc.cast(pa.array(values, pa.string()), pa.float64())
                                  .fill_null(np.nan)), index=values.index)
        nums[~np.isfinite(nums)] = np.nan
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        nums = pd.to_numeric(values, errors="coerce")
    is_num = nums.notna().to_numpy()
    if is_num.any():
        n = nums[is_num].astype("float64")
        mag = n.abs().median()
        to_us = 1e6 if mag < 1e11 else 1e3 if mag < 1e14 else 1.0 if mag < 1e17 else 1e-3
        micros = np.round(n.to_numpy() * to_us)
        ok = np.isfinite(micros) & (np.abs(micros) < 9e18)
        stamps = pd.to_datetime(np.where(ok, micros, 0).astype(np.int64), unit="us", utc=True)
        stamps = pd.Series(stamps, index=n.index).astype("datetime64[us, UTC]")
        stamps[~ok] = pd.NaT
        out[is_num] = stamps
    text = present & ~is_num
    if text.any():
        sub = values[text].astype(str)
        parsed = pd.to_datetime(sub, format="ISO8601", utc=True, errors="coerce")
        parsed = parsed.astype("datetime64[us, UTC]")
        redo = parsed.isna().to_numpy()
        if redo.any():
            parsed[redo] = pd.to_datetime(sub[redo], format="mixed", utc=True,
                                          errors="coerce").astype("datetime64[us, UTC]")
        out[text] = parsed
    bad = present & out.isna().to_numpy()
    return out, bad


def clean_batch(
    table: pa.Table,
    source_row: Sequence[int] | np.ndarray,
    specs: Mapping[str, ColumnSpec],
    *,
    label_columns: Sequence[str] = (),
    binary_label: str | None = None,
    fixed_label: str | None = None,
    label_map: Mapping[str, str] | None = None,
    taxonomy: Taxonomy | None = None,
    policies: Mapping[str, Policy] | None = None,
    source: str = "",
    source_file: str = "",
    invalid: Sequence[InvalidRecord] = (),
) -> CleanResult:
    """Apply every rule to one batch; see the module docstring for an example."""
    taxonomy = taxonomy or Taxonomy.default()
    policy = {name: r.policy for name, r in RULES.items()} | dict(policies or {})
    n = table.num_rows
    rows = np.asarray(source_row, dtype=np.int64)
    counts: Counter[str] = Counter()
    rule_of = np.full(n, "", dtype=object)
    reason_of = np.full(n, "", dtype=object)
    column_of = np.full(n, "", dtype=object)

    def flag(mask: np.ndarray, rule: str, column: str, reasons: np.ndarray | str) -> None:
        new = mask & (rule_of == "")
        if not new.any():
            return
        rule_of[new] = rule
        column_of[new] = column
        reason_of[new] = reasons[new] if isinstance(reasons, np.ndarray) else reasons

    out: dict[str, object] = {}
    raw_text: dict[str, pa.Array] = {}
    fast: dict[str, np.ndarray] = {}
    for name in table.column_names:
        col = table.column(name).combine_chunks()
        if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
            raw_text[name] = col
            continue
        spec = specs.get(name)
        if spec is not None and spec.kind in ("float", "int") and col.null_count == 0:
            # Fast path for clean numeric text: one cast, no whitespace, no markers but
            # the ones Arrow parses as floats (nan, inf), which become missing here.
            try:
                values = np.array(pc.cast(col, pa.float64()), dtype=np.float64)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                values = None
            if values is not None:
                nonfinite = ~np.isfinite(values)
                if nonfinite.any():
                    counts["missing_marker"] += int(nonfinite.sum())
                    values[nonfinite] = np.nan
                fast[name] = values
                raw_text[name] = col
                continue
        stripped = _strip(col)
        changed = int(pc.sum(pc.not_equal(stripped, col)).as_py() or 0)
        counts["whitespace"] += changed
        missing = _missing(stripped)
        counts["missing_marker"] += int((missing & np.asarray(pc.is_valid(col))).sum())
        raw_text[name] = pc.if_else(pa.array(~missing), stripped, None)

    for name, spec in specs.items():
        if name not in raw_text:
            continue
        arr = raw_text[name]
        numeric_typed = spec.kind in ("float", "int") and (
            pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type))
        if numeric_typed and name not in fast:
            # parsed as numbers already (typed CSV read, pcap flows): nulls were markers
            values = np.array(arr.cast(pa.float64()).fill_null(np.nan), dtype=np.float64)
            nonfinite = ~np.isfinite(values)
            counts["missing_marker"] += int(nonfinite.sum())
            values[nonfinite] = np.nan
            fast[name] = values
        elif not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            out[name] = arr.to_pandas()
            continue
        present = np.asarray(pc.is_valid(arr))
        if spec.kind in ("float", "int"):
            if name in fast:
                values, bad = fast[name], np.zeros(n, dtype=bool)
            else:
                values, bad = _to_float(arr, present)
            if bad.any():
                values, bad = _boolean_words(arr, values, bad, counts)
            if spec.kind == "int":
                frac = present & ~bad & ~np.isnan(values) & (np.mod(values, 1) != 0)
                bad = bad | frac
            if bad.any():
                reasons = np.full(n, "", dtype=object)
                reasons[bad] = [f"expected a number, found {v!r}"
                                for v in arr.filter(pa.array(bad)).to_pylist()]
                counts["numeric"] += int(bad.sum())
                if policy["numeric"] == "quarantine":
                    flag(bad, "numeric", name, reasons)
                values[bad] = np.nan
            values = _apply_domain(values, spec, counts, policy, flag)
            if spec.kind == "int":
                # past int64 (only in rows quarantined anyway) cannot be stored
                unusable = ~np.isfinite(values) | (np.abs(values) >= 2.0**63)
                ints = pd.array(np.where(unusable, 0, values).astype(np.int64), dtype="Int64")
                ints[unusable] = pd.NA
                out[name] = ints
            else:
                out[name] = values
        elif spec.kind == "bool":
            low = pc.utf8_lower(arr)
            is_true = np.asarray(pc.fill_null(pc.is_in(low, pa.array(sorted(TRUE_SPELLINGS))),
                                              False))
            is_false = np.asarray(pc.fill_null(
                pc.is_in(low, pa.array(sorted(FALSE_SPELLINGS))), False))
            other = present & ~is_true & ~is_false
            counts["boolean"] += int(other.sum())
            if policy["boolean"] == "quarantine":
                flag(other, "boolean", name, "expected a boolean")
            series = pd.array(is_true, dtype="boolean")
            series[~(is_true | is_false)] = pd.NA
            out[name] = series
        elif spec.kind == "timestamp":
            ts, bad = parse_timestamps(pd.Series(arr.to_pandas()))
            counts["timestamp"] += int(bad.sum())
            if policy["timestamp"] == "quarantine":
                flag(bad, "timestamp", name, "unparsable timestamp")
            out[name] = ts.array
        else:
            values_s = arr
            if spec.role == "categorical" and not spec.case_sensitive:
                lowered = pc.utf8_lower(arr)
                if policy["case"] == "fix":
                    counts["case"] += int(pc.sum(pc.not_equal(lowered, arr)).as_py() or 0)
                    values_s = lowered
            out[name] = values_s.to_pandas()

    labels = _labels(raw_text, n, label_columns, binary_label, fixed_label, taxonomy,
                     counts, flag, label_map or {})
    frame = pd.DataFrame({**labels, **out})
    frame.insert(0, IS_SYNTHETIC, False)
    frame.insert(1, AUGMENTER, pd.Series([None] * n, dtype=object))
    frame.insert(0, "source_row", rows)
    frame.insert(0, "source_file", source_file)
    frame.insert(0, "source", source)

    bad_rows = rule_of != ""
    quarantine = _quarantine_frame(
        table, raw_text, bad_rows, rows, rule_of, reason_of, column_of, source, source_file)
    if invalid:
        extra = pd.DataFrame({
            "source": source, "source_file": source_file,
            "source_row": np.array([r.line for r in invalid], dtype=np.int64),
            "rule": [r.rule for r in invalid], "reason": [r.reason for r in invalid],
            "column": "", "record": [json.dumps({"line": r.text}) for r in invalid],
        })
        quarantine = pd.concat([extra, quarantine], ignore_index=True)
    for rule in quarantine["rule"]:
        counts[f"quarantine:{rule}"] += 1
    return CleanResult(frame=frame.loc[~bad_rows].reset_index(drop=True),
                       quarantine=quarantine, counts=counts)


def _apply_domain(values, spec, counts, policy, flag):  # type: ignore[no-untyped-def]
    if spec.domain not in DOMAIN_RANGES and not spec.sentinels:
        return values
    sentinels = spec.sentinels or ((-1.0,) if spec.domain in ("nonnegative", "port") else ())
    if sentinels:
        is_sent = np.isin(values, np.asarray(sentinels, dtype=np.float64))
        if is_sent.any():
            counts["sentinel"] += int(is_sent.sum())
            if policy["sentinel"] == "quarantine":
                flag(is_sent, "sentinel", spec.name, "sentinel value")
            values = values.copy()
            values[is_sent] = np.nan
    if spec.domain in DOMAIN_RANGES:
        lo, hi = DOMAIN_RANGES[spec.domain]
        with np.errstate(invalid="ignore"):
            out = ~np.isnan(values) & ((values < lo) | (values > hi))
        if out.any():
            counts["range"] += int(out.sum())
            if policy["range"] == "quarantine":
                reasons = np.full(len(values), "", dtype=object)
                reasons[out] = [f"{spec.domain} out of range [{lo:g}, {hi:g}]: {v:g}"
                                for v in values[out]]
                flag(out, "range", spec.name, reasons)
            else:
                values = values.copy()
                values[out] = np.nan
    return values


def _labels(raw_text, n, label_columns, binary_label, fixed_label, taxonomy, counts,
            flag, label_map):  # type: ignore[no-untyped-def]
    raw = np.full(n, None, dtype=object)
    for col in label_columns:
        if col in raw_text:
            vals = np.asarray(raw_text[col].to_pylist(), dtype=object)
            fill = (raw == None) & (vals != None)  # noqa: E711
            raw[fill] = vals[fill]
    if fixed_label is not None:
        raw[raw == None] = fixed_label  # noqa: E711
    missing = raw == None  # noqa: E711
    flag(missing, "missing_label", ",".join(label_columns) or "label",
         "no label value in " + (", ".join(label_columns) or "the record"))
    label = np.full(n, None, dtype=object)
    family = np.full(n, None, dtype=object)
    attack = np.zeros(n, dtype=bool)
    cache: dict[str, object] = {}
    unknown = np.zeros(n, dtype=bool)
    for i, value in enumerate(raw):
        if value is None:
            continue
        info = cache.get(value)
        if info is None:
            info = cache[value] = taxonomy.lookup(label_map.get(value, value)) or False
        if info is False:
            unknown[i] = True
            continue
        label[i], attack[i], family[i] = info.label, info.is_attack, info.family  # type: ignore[union-attr]
    if unknown.any():
        reasons = np.full(n, "", dtype=object)
        reasons[unknown] = [f"label {v!r} is not in the taxonomy; add it with --taxonomy FILE"
                            for v in raw[unknown]]
        flag(unknown, "unknown_label", ",".join(label_columns) or "label", reasons)
    if binary_label is not None and binary_label in raw_text:
        flag_vals = pc.utf8_lower(raw_text[binary_label])
        says_attack = np.asarray(pc.fill_null(pc.is_in(flag_vals, pa.array(
            sorted(TRUE_SPELLINGS))), False))
        says_normal = np.asarray(pc.fill_null(pc.is_in(flag_vals, pa.array(
            sorted(FALSE_SPELLINGS))), False))
        known = label != None  # noqa: E711
        conflict = known & ((says_attack & ~attack) | (says_normal & attack))
        if conflict.any():
            counts["label_conflict"] += int(conflict.sum())
            flag(conflict, "label_conflict", binary_label,
                 f"{binary_label} contradicts the class of the label")
    return {
        LABEL: label, LABEL_RAW: raw, IS_ATTACK: attack,
        ATTACK_FAMILY: family,
    }


def _quarantine_frame(table, raw_text, bad, rows, rule_of, reason_of, column_of, source,
                      source_file) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    idx = np.flatnonzero(bad)
    if len(idx) == 0:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "source_row" else object)
                             for c in QUARANTINE_COLUMNS})
    picked = table.take(pa.array(idx))
    records = [json.dumps(r, default=str) for r in picked.to_pylist()]
    return pd.DataFrame({
        "source": source, "source_file": source_file, "source_row": rows[idx],
        "rule": rule_of[idx], "reason": reason_of[idx], "column": column_of[idx],
        "record": records,
    })
