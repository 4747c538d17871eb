"""Domain rules: numbers a column's domain rules out.

A column spec declares a domain (``port``, ``latitude``, ``nonnegative``, ...; the
ranges are in :data:`curation.vocabulary.DOMAIN_RANGES`) and may declare sentinels,
values that mean "not measured". They apply to the numbers the ``numeric`` rule
read, so they run after it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.rules._base import BatchContext, Effect, Flag, Rule, is_number, mask
from curation.schema import ColumnSpec
from curation.vocabulary import DOMAIN_RANGES, SENTINEL_DOMAINS

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
            hit = mask(pc.is_in(values, value_set=pa.array(sentinels, pa.float64())))
            if not hit.any():
                continue
            effect.count += int(hit.sum())
            if ctx.policy(self.name) == "quarantine":
                effect.flags.append(Flag(hit, name, "sentinel value"))
            effect.columns[name] = pc.if_else(pa.array(hit), None, values)
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
            out = mask(pc.or_(pc.less(values, lo), pc.greater(values, hi)))
            if not out.any():
                continue
            effect.count += int(out.sum())
            if ctx.policy(self.name) == "quarantine":
                reasons = np.full(ctx.n, "", dtype=object)
                reasons[out] = [f"{spec.domain} out of range [{lo:g}, {hi:g}]: {v:g}"
                                for v in values.filter(pa.array(out)).to_pylist()]
                effect.flags.append(Flag(out, name, reasons))
            else:
                effect.columns[name] = pc.if_else(pa.array(out), None, values)
        return effect
