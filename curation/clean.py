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
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

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
         "text without a full date (year, month, day), numbers that are no plausible "
         "epoch (1990-2100), unparsable ones", "set_missing", ("set_missing", "quarantine")),
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
    Rule("exact_duplicate", "a record identical to an earlier one in its raw values (every "
         "column but id-role ones, before any rule changed a value), within and across "
         "the input files", "drop", ("drop", "report")),
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
    """The rows a batch keeps, the rows it quarantines, and what each rule touched.

    ``row_hash`` holds, for each row of ``frame``, a 64-bit hash of its raw record
    (see :func:`dedupe_key_columns`): the exact-duplicate key.
    """

    frame: pd.DataFrame
    quarantine: pd.DataFrame
    counts: Counter[str] = field(default_factory=Counter)
    row_hash: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))


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


def dedupe_key_columns(
    column_names: Sequence[str],
    specs: Mapping[str, ColumnSpec],
    label_columns: Sequence[str] = (),
    binary_label: str | None = None,
) -> list[str]:
    """The columns whose raw values decide whether two records are exact duplicates.

    Every column that becomes part of a curated row or of its label: the columns
    with a spec, except ``id``-role ones (a row counter or flow id makes every record
    unique without making it a different record), and the label columns. Columns an
    adapter reads but does not keep (a mapping's ``drop``) are not part of it.

    Parameters
    ----------
    column_names : sequence of str
        Columns of a raw batch, as the adapter delivers them.
    specs : mapping of str to ColumnSpec
        The source's column specs.
    label_columns : sequence of str
        The source's label columns.
    binary_label : str, optional
        The source's 0/1 attack flag column.

    Returns
    -------
    list of str
        The key columns, in batch order.

    >>> specs = {"uid": ColumnSpec("uid", "id", "string"),
    ...          "bytes": ColumnSpec("bytes", "numeric", "float")}
    >>> dedupe_key_columns(["uid", "bytes", "debug", "type"], specs, ["type"])
    ['bytes', 'type']
    """
    return [c for c in column_names
            if (c in specs and specs[c].role != "id") or c in label_columns
            or c == binary_label]


_NULL_HASH = np.uint64(0x9E3779B97F4A7C15)
_TEXT_SALT = np.uint64(0xC2B2AE3D27D4EB4F)


def _hash_text(arr: pa.Array) -> np.ndarray:
    """A 64-bit hash of each exact string (nulls: one value), hashing each distinct one once."""
    enc = pc.dictionary_encode(arr)
    words = np.asarray(enc.dictionary.to_pylist(), dtype=object)
    table = np.append(pd.util.hash_array(words, categorize=False), _NULL_HASH)
    return table[np.asarray(enc.indices.fill_null(len(words)), dtype=np.int64)]


def _hash_raw(arr: pa.Array) -> np.ndarray:
    """A hash of each value as the adapter delivered it: exact text, or typed values."""
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return _hash_text(arr)
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        values = np.array(arr.cast(pa.float64()).fill_null(np.nan), dtype=np.float64)
        return _hash_numbers(values, arr, np.zeros(len(values), dtype=bool))
    return pd.util.hash_pandas_object(pd.Series(arr.to_pandas()), index=False).to_numpy(
        dtype=np.uint64)


def _hash_numbers(values: np.ndarray, text: pa.Array, is_text: np.ndarray) -> np.ndarray:
    """Hash of a numeric column: numbers by value, non-finite as missing, other text as text.

    The adapters parse clean numeric chunks straight to float64 (any spelling of a
    number, surrounding spaces and every missing marker gone), so the text path must
    give the same key for the same record.
    """
    canonical = np.where(np.isfinite(values), values + 0.0, np.nan)  # -0.0 -> 0.0
    h = pd.util.hash_array(canonical)
    if is_text.any():
        h[is_text] = _hash_text(text.filter(pa.array(is_text))) ^ _TEXT_SALT
    return h


def _combine(parts: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """One 64-bit hash per row from the hashes of its columns, in column-name order."""
    h = np.zeros(n, dtype=np.uint64)
    for name in sorted(parts):
        salt = pd.util.hash_array(np.array([name], dtype=object), categorize=False)[0]
        h = h ^ parts[name] ^ salt
        # splitmix64's finaliser: every input bit moves every output bit
        h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        h = h ^ (h >> np.uint64(31))
    return h


EPOCH_SECONDS = (631152000.0, 4102444800.0)
"""Plausible epochs: from 1990-01-01 (inclusive) to 2100-01-01 (exclusive), UTC."""
_PER_SECOND = (1.0, 1e3, 1e6, 1e9)  # s, ms, us, ns: their plausible ranges do not overlap
_ISO_FULL_DATE = r"\d{4}(?:-\d{2}-\d{2}|\d{4})(?:\D|$)"
# Two defaults that differ in year, month and day: a field dateutil took from the
# default, not from the text, shows up as a difference.
_DEFAULTS = (datetime(2000, 1, 1), datetime(2004, 2, 2))


def _epochs(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds since 1970 and a mask of numbers that are plausible epochs."""
    micros = np.zeros(len(n), dtype=np.int64)
    ok = np.zeros(len(n), dtype=bool)
    lo, hi = EPOCH_SECONDS
    with np.errstate(invalid="ignore"):
        for per_s in _PER_SECOND:
            unit = (n >= lo * per_s) & (n < hi * per_s)
            micros[unit] = np.round(n[unit] * (1e6 / per_s)).astype(np.int64)
            ok |= unit
    return micros, ok


def _full_date(text: str) -> pd.Timestamp | None:
    """``text`` read by dateutil (month first), or None unless it names year, month, day."""
    from dateutil import parser

    first, second = _DEFAULTS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown time zone names: read as UTC
            a = parser.parse(text, default=first)
            # a field that differs from the default came from the text; only when one
            # does not is a second reading needed to tell
            if (a.year == first.year or a.month == first.month or a.day == first.day) \
                    and parser.parse(text, default=second) != a:
                return None
    except (ValueError, OverflowError):
        return None
    stamp = pd.Timestamp(a)
    return stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")


def parse_timestamps(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """UTC timestamps from mixed formats and epoch numbers; mask of values that are none.

    A timestamp is read, never completed by a guess. A number is an epoch when its
    magnitude puts it in [1990, 2100) in one of s, ms, us, ns (the four ranges do not
    overlap, so each number has at most one reading), else an ISO 8601 basic date
    (``20190425``). Text is ISO 8601 first, then any format dateutil reads (month
    first on ambiguous dates), and only when it names a year, a month and a day: a
    field missing from the text is never taken from a default. Everything else is
    flagged.

    Parameters
    ----------
    values : pandas.Series
        Text (trimmed or not) or numbers; missing values stay missing, unflagged.

    Returns
    -------
    timestamps : pandas.Series
        ``datetime64[us, UTC]``, missing where nothing was read.
    bad : numpy.ndarray
        True where a present value is no timestamp by these rules.

    >>> ts, bad = parse_timestamps(pd.Series(["2019-04-25 19:19:40", "1547127288.02",
    ...                                       "25-Apr-19 19:19:40", "soon", None,
    ...                                       "2021 11:44:10.08", "6.0"]))
    >>> [str(t) for t in ts[:3]], bad.tolist()
    (['2019-04-25 19:19:40+00:00', '2019-01-10 13:34:48.020000+00:00', \
'2019-04-25 19:19:40+00:00'], [False, False, False, True, False, True, True])
    """
    present = values.notna().to_numpy()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    try:
        nums = pd.Series(np.array(pc.cast(pa.array(values, pa.string()), pa.float64())
                                  .fill_null(np.nan)), index=values.index)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        nums = pd.to_numeric(values, errors="coerce")
    nums = nums.astype("float64").where(np.isfinite(nums))
    is_num = nums.notna().to_numpy()
    if is_num.any():
        micros, ok = _epochs(nums[is_num].to_numpy())
        stamps = pd.Series(pd.to_datetime(micros, unit="us", utc=True),
                           index=nums.index[is_num]).astype("datetime64[us, UTC]")
        out[is_num] = stamps.where(ok)
    # text, and numbers that are no plausible epoch (maybe a basic ISO date)
    todo = present & out.isna().to_numpy()
    if todo.any():
        sub = values[todo].astype(str).str.strip()
        full = sub.str.match(_ISO_FULL_DATE).to_numpy()
        parsed = pd.to_datetime(sub.where(full), format="ISO8601", utc=True,
                                errors="coerce").astype("datetime64[us, UTC]")
        rest = parsed.isna().to_numpy() & ~is_num[todo]
        if rest.any():
            words = sub[rest]
            read = {text: _full_date(text) for text in words.unique()}
            parsed[rest] = pd.Series([read[t] for t in words], index=words.index,
                                     dtype="datetime64[us, UTC]")
        out[todo] = parsed
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
    key: dict[str, np.ndarray] = {}  # per column: hash of the raw value, the dedupe key
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
            key[name] = _hash_numbers(values, arr, bad)
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
                counts["case"] += int(pc.sum(pc.not_equal(lowered, arr)).as_py() or 0)
                if policy["case"] == "fix":
                    values_s = lowered
            out[name] = values_s.to_pandas()

    labels = _labels(raw_text, n, label_columns, binary_label, fixed_label, taxonomy,
                     counts, flag, label_map or {}, policy["label_conflict"])
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
    for record in invalid:
        counts[record.rule] += 1
    for name in dedupe_key_columns(table.column_names, specs, label_columns, binary_label):
        if name not in key:
            key[name] = _hash_raw(table.column(name).combine_chunks())
    if fixed_label is not None:
        key["\0fixed_label"] = _hash_raw(pa.array([fixed_label] * n, pa.string()))
    return CleanResult(frame=frame.loc[~bad_rows].reset_index(drop=True),
                       quarantine=quarantine, counts=counts,
                       row_hash=_combine(key, n)[~bad_rows])


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
            flag, label_map, conflict_policy):  # type: ignore[no-untyped-def]
    raw = np.full(n, None, dtype=object)
    for col in label_columns:
        if col in raw_text:
            vals = np.asarray(raw_text[col].to_pylist(), dtype=object)
            fill = (raw == None) & (vals != None)  # noqa: E711
            raw[fill] = vals[fill]
    if fixed_label is not None:
        raw[raw == None] = fixed_label  # noqa: E711
    missing = raw == None  # noqa: E711
    counts["missing_label"] += int(missing.sum())
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
        counts["unknown_label"] += int(unknown.sum())
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
            if conflict_policy == "quarantine":
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
