"""Two clocks in one record, seen in a file's first chunk: the offset between them.

The ``clock_offset`` and ``clock_disagreement`` rules count, row by row, where two
clocks of a record differ. What the count cannot say is *by how much*: this module
reads the first chunk's clocks (epoch numbers, or date and time text) and, when two
differ by one amount on most sampled rows, gives a note for the file's report
("clocks 'ts' and 'timestamp' differ by a consistent +25200 s (+7 h) ...").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from ..schema import ColumnSpec
from ..vocabulary import EPOCH_SECONDS
from ._base import Note

_PER_SECOND = (1.0, 1e3, 1e6, 1e9)
_DATE = re.compile(r"\d{1,4}[-/.][0-9A-Za-z]{1,9}[-/.]\d{1,4}")


def _seconds(values: list[str | None]) -> np.ndarray | None:
    """Seconds since 1970 of each value (NaN: none), or None when the values are no
    clock (fewer than nine in ten read, or every one at midnight: a date alone)."""
    present = [v for v in values if v is not None and v.strip()]
    if not present:
        return None
    out = np.full(len(values), np.nan)
    numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float)
    lo, hi = EPOCH_SECONDS
    for per_s in _PER_SECOND:
        unit = (numbers >= lo * per_s) & (numbers < hi * per_s)
        out[unit] = numbers[unit] / per_s
    if np.isfinite(out).sum() < 0.9 * len(present):
        # a full date must be written: a time alone would be read as today's
        text = pd.Series([v.strip() if isinstance(v, str) and _DATE.search(v) else None
                          for v in values])
        stamps = pd.to_datetime(text, format="mixed", utc=True, errors="coerce")
        read = stamps.notna().to_numpy()
        if read.sum() < 0.9 * len(present):
            return None
        if (stamps[read].dt.normalize() == stamps[read]).all():
            return None  # dates only
        out = np.where(read, stamps.astype("int64").to_numpy() / 1e9, np.nan)
    return out


def clock_notes(table: pa.Table, specs: Mapping[str, ColumnSpec]) -> list[Note]:
    """A note for each pair of clocks in ``table`` that differ by one amount on at
    least nine in ten rows where both are read.

    >>> t = pa.table({"ts": ["1556220000", "1556220060"],
    ...               "timestamp": ["2019-04-25 12:20:00", "2019-04-25 12:21:00"]})
    >>> specs = {c: ColumnSpec(c, "time", "string") for c in t.column_names}
    >>> [str(n) for n in clock_notes(t, specs)]  # doctest: +NORMALIZE_WHITESPACE
    ["clocks 'ts' and 'timestamp' differ by a consistent -25200 s (-7.00 h) on 2 of 2
    rows of the first chunk: one is in another time zone; both are kept (counts:
    clock_offset, clock_disagreement)"]
    """
    clocks: dict[str, np.ndarray] = {}
    for name, spec in specs.items():
        if spec.role == "time" and name in table.column_names:
            col = table.column(name)
            values = col.to_pylist() if pa.types.is_string(col.type) or \
                pa.types.is_large_string(col.type) else None
            found = _seconds(values) if values is not None else None
            if found is not None:
                clocks[name] = found
    notes: list[Note] = []
    names = list(clocks)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            diff = clocks[b] - clocks[a]
            both = np.isfinite(diff)
            if not both.any():
                continue
            counts = Counter(np.round(diff[both]).astype(np.int64).tolist())
            offset, n = counts.most_common(1)[0]
            if offset == 0 or n < 0.9 * both.sum():
                continue
            zone = "one is in another time zone" if offset % 900 == 0 else \
                "they disagree"
            notes.append(Note(
                f"clocks {a!r} and {b!r} differ by a consistent {offset:+d} s "
                f"({offset / 3600:+.2f} h) on {n} of {int(both.sum())} rows of the first "
                f"chunk: {zone}; both are kept (counts: clock_offset, clock_disagreement)"))
    return notes


__all__ = ["clock_notes"]
