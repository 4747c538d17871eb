"""Clock rules: a record that carries two clocks, and the two disagree.

A capture may time a record twice: an epoch column (``ts``) and a date and time
(``date`` + ``time``, which an adapter combines into ``timestamp``). Which of the
two is true is the user's call, never a silent pick: curate keeps both and counts
the rows where they differ. A difference of a whole number of quarter hours is a
time-zone offset (``clock_offset``: one clock written in local time, the other in
UTC); any other difference is a disagreement (``clock_disagreement``). A quarantine
reason names both columns and the difference in seconds.

A clock is a ``time``-role column that the cleaning made a timestamp, or whose text
is epoch numbers (seconds, ms, us or ns since 1970, 1990-2100): text times in other
forms are read by the ``timestamp`` rule once their column is declared one
(``kinds: {col: timestamp}`` in a mapping).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._base import BatchContext, Effect, Flag, Rule, is_text
from ._timestamps import _arrow_epochs

STEP = 25
"""After the value rules (timestamps are read), before domains and labels."""

ZONE_STEP_US = 15 * 60 * 1_000_000
"""Time zones differ from UTC by whole quarter hours."""


def _clock(ctx: BatchContext, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Microseconds since 1970 and the mask of values present, or None: no clock."""
    value = ctx.values[name]
    if pa.types.is_timestamp(value.type):
        micros = pc.cast(value, pa.timestamp("us", tz="UTC")).cast(pa.int64())
        present = np.asarray(micros.is_valid())
        return np.asarray(micros.fill_null(0), dtype=np.int64), present
    if is_text(value):
        valid = np.asarray(pc.is_valid(value))
        if not valid.any():
            return None
        micros, ok = _arrow_epochs(value)
        if ok.sum() < 0.9 * valid.sum():  # not an epoch column
            return None
        return micros, ok
    return None


def clock_differences(ctx: BatchContext) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """Each pair of clocks of the batch: names, difference (us) and rows with both."""
    clocks = {}
    for name, spec in ctx.specs.items():
        if spec.role == "time":
            found = _clock(ctx, name)
            if found is not None:
                clocks[name] = found
    names = list(clocks)
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            (ta, pa_), (tb, pb) = clocks[a], clocks[b]
            both = pa_ & pb
            out.append((a, b, np.where(both, tb - ta, 0), both))
    return out


def _clock_effect(ctx: BatchContext, rule: str, zone_offsets: bool) -> Effect:
    """Rows whose clocks differ by a time-zone offset (``zone_offsets``) or otherwise."""
    effect = Effect()
    hit = np.zeros(ctx.n, dtype=bool)
    reasons = np.full(ctx.n, "", dtype=object)
    column = ""
    for a, b, diff, both in clock_differences(ctx):
        differ = both & (np.abs(diff) >= 1_000_000)  # a second of rounding is no difference
        zone = (np.round(diff / 1e6).astype(np.int64) * 1_000_000) % ZONE_STEP_US == 0
        rows = differ & (zone if zone_offsets else ~zone) & ~hit
        if rows.any():
            column = column or a
            hit |= rows
            reasons[rows] = [f"clocks {a!r} and {b!r} differ by {d / 1e6:+.0f} s"
                             for d in diff[rows]]
    effect.count = int(hit.sum())
    if hit.any() and ctx.policy(rule) == "quarantine":
        effect.flags.append(Flag(hit, column, reasons))
    return effect


class ClockOffset(Rule):
    name = "clock_offset"
    detects = ("two clocks of a record (an epoch column and a date/time) that differ by a "
               "whole number of quarter hours: one is in local time; both are kept")
    policy = "report"
    policies = ("report", "quarantine")
    unit = "rows"

    def apply(self, ctx: BatchContext) -> Effect:
        return _clock_effect(ctx, self.name, zone_offsets=True)


class ClockDisagreement(Rule):
    name = "clock_disagreement"
    detects = ("two clocks of a record that differ by anything but a time-zone offset "
               "(one second or more); both are kept")
    policy = "report"
    policies = ("report", "quarantine")
    unit = "rows"

    def apply(self, ctx: BatchContext) -> Effect:
        return _clock_effect(ctx, self.name, zone_offsets=False)


__all__ = ["STEP", "ZONE_STEP_US", "ClockDisagreement", "ClockOffset", "clock_differences"]
