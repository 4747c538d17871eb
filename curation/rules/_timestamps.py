"""Reading timestamps: epochs and ISO 8601 in Arrow, other text through dateutil.

A timestamp is read, never completed by a guess (docs/cleaning.md). Most captures
write epochs (Zeek) or ISO 8601 (CICFlowMeter): :func:`parse_timestamp_array` reads
those with Arrow casts. Whatever is left (``25-Apr-19 19:19:40``, ``3/7/2017 10:00``,
time zone names) goes through :func:`parse_timestamps`, the pandas and dateutil path,
which decides every case; the Arrow path only takes values it reads the same way.
"""

from __future__ import annotations

import warnings
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..vocabulary import EPOCH_SECONDS, NUMBER_PATTERN

if TYPE_CHECKING:
    import pandas as pd

UTC_US = pa.timestamp("us", tz="UTC")
_PER_SECOND = (1.0, 1e3, 1e6, 1e9)  # s, ms, us, ns: their plausible ranges do not overlap
_ISO_FULL_DATE = r"\d{4}(?:-\d{2}-\d{2}|\d{4})(?:\D|$)"
# ISO 8601 without a zone that Arrow and pandas read alike: years 1900-2099 (inside
# pandas' nanosecond range), at most microseconds
_ISO_PLAIN = (r"^(?:19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}"
              r"(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?$")
_ISO_ZONED = (r"^(?:19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}"
              r"[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
              r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)$")
# a time of day followed by a zone designator: such text is read apart from text
# without one, because pandas gives a batch's naive values the offset of its first
# zoned one
_ZONE = r"[T:].*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
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
    import pandas as pd
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

    >>> import pandas as pd
    >>> ts, bad = parse_timestamps(pd.Series(["2019-04-25 19:19:40", "1547127288.02",
    ...                                       "25-Apr-19 19:19:40", "soon", None,
    ...                                       "2021 11:44:10.08", "6.0"]))
    >>> [str(t) for t in ts[:3]], bad.tolist()
    (['2019-04-25 19:19:40+00:00', '2019-01-10 13:34:48.020000+00:00', \
'2019-04-25 19:19:40+00:00'], [False, False, False, True, False, True, True])
    """
    import pandas as pd

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
        zoned = sub.str.contains(_ZONE).to_numpy()
        parsed = pd.Series(pd.NaT, index=sub.index, dtype="datetime64[us, UTC]")
        for group in (full & zoned, full & ~zoned):
            if group.any():
                parsed[group] = pd.to_datetime(sub[group], format="ISO8601", utc=True,
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


def _arrow_epochs(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds of the values that are numbers and plausible epochs, and their mask."""
    number = pc.match_substring_regex(text, NUMBER_PATTERN)
    values = pc.cast(pc.if_else(number, text, None), pa.float64())
    n = np.asarray(values.fill_null(np.nan), dtype=np.float64)
    return _epochs(n)


def _arrow_iso(text: pa.Array, todo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds of the ISO 8601 values among ``todo`` Arrow reads as pandas does
    (:data:`_ISO_PLAIN` as UTC, :data:`_ISO_ZONED` by their offset), and their mask."""
    micros = np.zeros(len(text), dtype=np.int64)
    done = np.zeros(len(text), dtype=bool)
    for pattern, typ in ((_ISO_PLAIN, pa.timestamp("us")), (_ISO_ZONED, UTC_US)):
        iso = todo & ~done & np.asarray(pc.fill_null(pc.match_substring_regex(text, pattern),
                                                     False))
        if not iso.any():
            continue
        try:
            stamps = pc.cast(text.filter(pa.array(iso)), typ)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue  # an impossible date among them: the slow path decides
        micros[iso] = np.asarray(stamps.cast(pa.int64()), dtype=np.int64)
        done |= iso
    return micros, done


def parse_timestamp_array(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """:func:`parse_timestamps` for an Arrow string array, epochs and ISO 8601 in Arrow.

    Values that are neither a plausible epoch nor ISO 8601 Arrow reads (years
    1900-2099, at most microseconds, a zone as ``Z`` or an offset) are read by
    :func:`parse_timestamps`, one reading per distinct text.

    Parameters
    ----------
    text : pyarrow.Array
        Trimmed text, missing values null.

    Returns
    -------
    timestamps : pyarrow.Array
        ``timestamp[us, UTC]``, null where nothing was read.
    bad : numpy.ndarray
        True where a present value is no timestamp.

    >>> ts, bad = parse_timestamp_array(pa.array(["2019-04-25 19:19:40", "1547127288.02",
    ...                                           "25-Apr-19 19:19:40", "6.0", None]))
    >>> [str(t) for t in ts.to_pylist()[:3]], bad.tolist()
    (['2019-04-25 19:19:40+00:00', '2019-01-10 13:34:48.020000+00:00', \
'2019-04-25 19:19:40+00:00'], [False, False, False, True, False])
    """
    present = np.asarray(pc.is_valid(text), dtype=bool)
    micros, done = _arrow_epochs(text)
    iso_micros, iso = _arrow_iso(text, present & ~done)
    micros = np.where(iso, iso_micros, micros)
    done |= iso
    rest = present & ~done
    valid = done.copy()
    if rest.any():
        import pandas as pd

        picked = text.filter(pa.array(rest))
        enc = pc.dictionary_encode(picked)
        stamps, _ = parse_timestamps(pd.Series(enc.dictionary.to_pylist(), dtype=object))
        read = ~stamps.isna().to_numpy()
        per_word = stamps.dt.tz_localize(None).to_numpy("datetime64[us]").astype(np.int64)
        idx = np.asarray(enc.indices, dtype=np.int64)
        micros[rest] = per_word[idx]
        valid[rest] = read[idx]
    arr = pa.array(micros, pa.int64()).cast(UTC_US)
    out = pc.if_else(pa.array(valid), arr, pa.nulls(len(text), UTC_US))
    return out, present & ~valid


__all__ = ["UTC_US", "parse_timestamp_array", "parse_timestamps"]
