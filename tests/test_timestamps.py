"""Timestamps are read, never invented: a partial date or an implausible epoch is missing.

Expected values come from :mod:`datetime`, independently of pandas and dateutil.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pytest
from iotforge.curation.clean import clean_batch, parse_timestamps
from iotforge.curation.schema import ColumnSpec

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
T = datetime(2019, 1, 10, 13, 34, 48, 20000, tzinfo=UTC)
T_S = (T - EPOCH) / timedelta(seconds=1)  # 1547127288.02

READ = {
    "2019-04-25 19:19:40": datetime(2019, 4, 25, 19, 19, 40, tzinfo=UTC),
    "2019-04-25T19:19:40+02:00": datetime(2019, 4, 25, 17, 19, 40, tzinfo=UTC),
    "20190425T191940Z": datetime(2019, 4, 25, 19, 19, 40, tzinfo=UTC),
    "2019-04-25": datetime(2019, 4, 25, tzinfo=UTC),           # a date is a full date
    "25-Apr-19 19:19:40": datetime(2019, 4, 25, 19, 19, 40, tzinfo=UTC),   # TON_IoT
    "3/7/2017 10:00": datetime(2017, 3, 7, 10, 0, tzinfo=UTC),  # month first
    "Thu Apr 25 19:19:40 2019": datetime(2019, 4, 25, 19, 19, 40, tzinfo=UTC),
    f"{T_S:.2f}": T,                                            # epoch seconds
    f"{T_S * 1e3:.0f}": T,                                      # milliseconds
    f"{T_S * 1e6:.0f}": T,                                      # microseconds
    f"{T_S * 1e9:.0f}": T,                                      # nanoseconds
    "631152000": datetime(1990, 1, 1, tzinfo=UTC),             # first plausible second
    "1-Jan-00 10:00:00": datetime(2000, 1, 1, 10, tzinfo=UTC),  # fields equal to a default
    "20190425": datetime(2019, 4, 25, tzinfo=UTC),             # ISO 8601 basic, no epoch
}
INVENTED = [
    "2021 11:44:10.081753000",  # Edge-IIoTset frame.time: no month, no day
    " 2021 11:44:10.081753000 ",
    "2021",                     # ISO 8601 would read January 1
    "2021-03",                  # ... and the first of March
    "11:44:10",                 # a time without a date
    "Apr 25",                   # no year
    "April 2019",               # no day
    "Jan 2000", "2000",         # the day (and month) would come from a default
    "6.0", "0", "1", "-5", "42",  # small numbers are not epochs
    "631151999",                # 1989-12-31T23:59:59: before 1990
    "4102444800",               # 2100-01-01: not before 2100
    "1e30",
    "soon", "2019-13-45",
]


@pytest.mark.parametrize("text", list(READ))
def test_full_dates_and_plausible_epochs_are_read(text: str) -> None:
    ts, bad = parse_timestamps(pd.Series([text]))
    assert not bad[0]
    assert ts[0].to_pydatetime() == READ[text]


@pytest.mark.parametrize("text", INVENTED)
def test_partial_or_implausible_values_are_missing(text: str) -> None:
    ts, bad = parse_timestamps(pd.Series([text]))
    assert bad.tolist() == [True]
    assert pd.isna(ts[0])


def test_each_number_is_judged_alone() -> None:
    # one implausible number among plausible epochs is not dated 1970 (nor do
    # plausible ones turn implausible because of it)
    values = pd.Series(["1547127288.02", "6.0", "1547127289", None, "1547127288020"])
    ts, bad = parse_timestamps(values)
    assert bad.tolist() == [False, True, False, False, False]
    assert [None if pd.isna(t) else t.to_pydatetime() for t in ts] == [
        T, None, datetime(2019, 1, 10, 13, 34, 49, tzinfo=UTC), None, T]


def test_mixed_batch_matches_one_by_one() -> None:
    values = list(READ) + INVENTED
    ts, bad = parse_timestamps(pd.Series(values))
    assert bad.sum() == len(INVENTED)
    for text, t, b in zip(values, ts, bad, strict=True):
        assert b == (text in INVENTED)
        assert (pd.isna(t) if b else t.to_pydatetime() == READ[text]), text


@pytest.mark.parametrize("policy", ["set_missing", "quarantine"])
def test_partial_timestamps_are_counted_by_the_timestamp_rule(policy: str) -> None:
    frame_time = [" 2021 11:44:10.081753000 ", "2021-11-09 11:44:10.081753", "6.0",
                  "2021-11-09 11:44:11"]
    table = pa.table({"frame_time": frame_time, "attack": ["normal"] * 4})
    specs = {"frame_time": ColumnSpec("frame_time", "time", "timestamp")}
    res = clean_batch(table, [2, 3, 4, 5], specs, label_columns=["attack"],
                      policies={"timestamp": policy})
    assert res.counts["timestamp"] == 2
    if policy == "quarantine":
        assert res.quarantine["source_row"].tolist() == [2, 4]
        assert set(res.quarantine["rule"]) == {"timestamp"}
        assert res.frame["source_row"].tolist() == [3, 5]
        got = res.frame["frame_time"].tolist()
    else:
        assert res.quarantine.empty
        got = res.frame["frame_time"].tolist()
        assert pd.isna(got[0]) and pd.isna(got[2])
        got = [got[1], got[3]]
    assert [t.to_pydatetime() for t in got] == [
        datetime(2021, 11, 9, 11, 44, 10, 81753, tzinfo=UTC),
        datetime(2021, 11, 9, 11, 44, 11, tzinfo=UTC)]
