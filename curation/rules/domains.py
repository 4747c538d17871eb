"""Domain rules: numbers a column's domain rules out.

A column spec declares a domain (``port``, ``latitude``, ``nonnegative``, ...; the
ranges are in :data:`iotforge.curation.vocabulary.DOMAIN_RANGES`) and may declare sentinels,
values that mean "not measured". They apply to the numbers the ``numeric`` rule
read, so they run after it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..schema import ColumnSpec
from ..vocabulary import DOMAIN_RANGES, SENTINEL_DOMAINS
from ._base import BatchContext, Effect, Flag, Rule, bounds, from_floats, is_number

__all__ = ["STEP", "Range", "Sentinel", "sentinels_of"]

STEP = 30
"""Domain rules run after the value rules, before the label rules."""


def sentinels_of(spec: ColumnSpec) -> tuple[float, ...]:
    """The column's declared sentinels, or the ones its domain implies."""
    return tuple(spec.sentinels) or SENTINEL_DOMAINS.get(spec.domain, ())


def _numbers(ctx: BatchContext) -> list[tuple[str, ColumnSpec, pa.Array]]:
    return [(name, spec, ctx.values[name]) for name, spec in ctx.specs.items()
            if ctx.numeric(name) and is_number(ctx.values[name])]


class Sentinel(Rule):
    name = "sentinel"
    detects = ("-1 (or a declared sentinel) in a column that cannot be negative: a 'not "
               "measured' marker")
    policy = "set_missing"
    policies = ("set_missing", "quarantine")

    def apply(self, ctx: BatchContext) -> Effect:
        effect = Effect()
        for name, spec, values in _numbers(ctx):
            sentinels = sentinels_of(spec)
            if not sentinels:
                continue
            view = ctx.floats(values)
            lo, hi = bounds(view)
            if not lo <= max(sentinels) or not hi >= min(sentinels):
                continue  # no value can be one (NaN bounds: no value at all)
            hit = np.isin(view, np.asarray(sentinels, dtype=np.float64))
            if not hit.any():
                continue
            effect.count += int(hit.sum())
            if ctx.policy(self.name) == "quarantine":
                effect.flags.append(Flag(hit, name, "sentinel value"))
            effect.columns[name] = from_floats(np.where(hit, np.nan, view))
        return effect


class Range(Rule):
    name = "range"
    detects = ("values outside a physical or protocol range: ports 0-65535, latitude "
               "+-90, longitude +-180, protocol numbers 0-255, ratios 0-1, negative "
               "counts/durations (the value is wrong, not the row)")
    policy = "set_missing"
    policies = ("set_missing", "quarantine")

    def apply(self, ctx: BatchContext) -> Effect:
        effect = Effect()
        for name, spec, values in _numbers(ctx):
            if spec.domain not in DOMAIN_RANGES:
                continue
            lo, hi = DOMAIN_RANGES[spec.domain]
            view = ctx.floats(values)
            low, high = bounds(view)
            if not low < lo and not high > hi:
                continue  # every value inside (NaN bounds: no value at all)
            with np.errstate(invalid="ignore"):
                out = (view < lo) | (view > hi)
            effect.count += int(out.sum())
            if ctx.policy(self.name) == "quarantine":
                reasons = np.full(ctx.n, "", dtype=object)
                reasons[out] = [f"{spec.domain} out of range [{lo:g}, {hi:g}]: {v:g}"
                                for v in view[out]]
                effect.flags.append(Flag(out, name, reasons))
            else:
                effect.columns[name] = from_floats(np.where(out, np.nan, view))
        return effect
