"""Value rules: how text becomes clean, typed values.

They run in the order defined here: whitespace is trimmed, markers become missing,
categorical case is folded, booleans are read, numbers in another notation (a decimal
comma, hexadecimal) are rewritten, then numbers and timestamps are read. Each
works on one column at a time with ``pyarrow.compute``; the only per-value Python
is the reason text of quarantined rows and the dateutil fallback for timestamps in
no ISO 8601 or epoch form (:mod:`iotforge.curation.rules._timestamps`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..vocabulary import (
    DECIMAL_COMMA_PATTERN,
    FALSE_SPELLINGS,
    HEX_PATTERN,
    THOUSANDS_PATTERN,
    TRUE_SPELLINGS,
)
from ._base import BatchContext, Effect, Flag, Rule, is_text, mask
from ._timestamps import parse_timestamp_array

__all__ = ["STEP", "Boolean", "Case", "DecimalComma", "HexNumber", "MissingMarker", "Numeric",
           "ThousandsSeparator", "Timestamp", "Whitespace", "spellings"]

STEP = 20
"""Value rules run after the reader-level rules, before domains and labels."""

_TRUE = pa.array(sorted(TRUE_SPELLINGS), pa.string())
_FALSE = pa.array(sorted(FALSE_SPELLINGS), pa.string())


def _count(arr: pa.Array) -> int:
    return int(pc.sum(arr).as_py() or 0)


def spellings(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Which values spell true and which false (any case)."""
    low = pc.utf8_lower(text)
    return mask(pc.is_in(low, value_set=_TRUE)), mask(pc.is_in(low, value_set=_FALSE))


def _text_columns(ctx: BatchContext) -> list[str]:
    """String columns that need text cleaning (all but numbers Arrow read whole)."""
    return [c for c, raw in ctx.raw.items() if is_text(raw) and ctx.fast_numbers(c) is None]


class Whitespace(Rule):
    name = "whitespace"
    detects = "leading/trailing whitespace in any text value"
    policy = "fix"
    policies = ("fix",)

    def apply(self, ctx: BatchContext) -> Effect:
        effect = Effect()
        for name in _text_columns(ctx):
            stripped = ctx.stripped(name)
            effect.count += _count(pc.not_equal(stripped, ctx.raw[name]))
            effect.columns[name] = stripped
        return effect


class MissingMarker(Rule):
    name = "missing_marker"
    detects = ("missing-value markers: empty, '-', '(empty)', '?', 'NaN', 'null', 'None', "
               "'NA', 'N/A', 'Infinity', 'inf' (any case and sign)")
    policy = "set_missing"
    policies = ("set_missing",)

    def apply(self, ctx: BatchContext) -> Effect:
        effect = Effect()
        for name in _text_columns(ctx):
            effect.count += int((ctx.markers(name) & mask(pc.is_valid(ctx.raw[name]))).sum())
            effect.columns[name] = ctx.present(name)
        for name in ctx.specs:
            if ctx.numeric(name):
                # numbers Arrow reads as non-finite (nan, inf in any spelling), and the
                # nulls a typed read made of markers, are missing values too
                raw = ctx.raw[name]
                effect.count += ctx.raw_numbers(name).nonfinite
                if not is_text(raw):
                    effect.count += raw.null_count
        return effect


class Case(Rule):
    name = "case"
    detects = ("upper/lower case in categorical values, folded to lower case (columns "
               "declared case-sensitive, such as Zeek's history codes, keep theirs)")
    policy = "fix"
    policies = ("fix", "report")

    def apply(self, ctx: BatchContext) -> Effect:
        effect = Effect()
        for name, spec in ctx.specs.items():
            text = ctx.values[name]
            if spec.kind not in ("string",) or not is_text(text) or \
                    spec.role != "categorical" or spec.case_sensitive:
                continue
            lowered = pc.utf8_lower(text)
            effect.count += _count(pc.not_equal(lowered, text))
            if ctx.policy(self.name) == "fix":
                effect.columns[name] = lowered
        return effect


class Boolean(Rule):
    name = "boolean"
    detects = ("boolean spellings true/false/t/f/yes/no/y/n/1/0/on/off; anything else in "
               "a boolean column")
    policy = "set_missing"
    policies = ("set_missing", "quarantine")

    def apply(self, ctx: BatchContext) -> Effect:
        effect = Effect()
        for name, spec in ctx.specs.items():
            text = ctx.values[name]
            if spec.kind == "bool" and is_text(text):
                is_true, is_false = spellings(text)
                other = mask(pc.is_valid(text)) & ~is_true & ~is_false
                effect.count += int(other.sum())
                if other.any() and ctx.policy(self.name) == "quarantine":
                    effect.flags.append(Flag(other, name, "expected a boolean"))
                effect.columns[name] = pc.if_else(
                    pa.array(is_true | is_false), pa.array(is_true), None)
            elif ctx.numeric(name) and is_text(text):
                fixed = self._words_in_numbers(ctx, name, text)
                if fixed is not None:
                    effect.count += fixed[0]
                    effect.columns[name] = fixed[1]
        return effect

    @staticmethod
    def _words_in_numbers(ctx: BatchContext, name: str,
                          text: pa.Array) -> tuple[int, pa.Array] | None:
        """true/false words in a numeric column whose numbers are all 0/1 become 1/0."""
        numbers = ctx.raw_numbers(name)
        if not numbers.not_number.any():
            return None
        valid = numbers.values.drop_null()
        # equality, not is_in: is_in hashes bits, so -0.0 would not count as 0
        zero_one = pc.or_(pc.equal(valid, 0.0), pc.equal(valid, 1.0))
        if len(valid) and not pc.all(zero_one).as_py():
            return None
        is_true, is_false = spellings(text)
        words = numbers.not_number & (is_true | is_false)
        if not words.any():
            return None
        digits = pc.if_else(pa.array(is_true), "1", "0")
        return int(words.sum()), pc.if_else(pa.array(words), digits, text)


_DECIMAL_COMMA_NUMBER = DECIMAL_COMMA_PATTERN
_PLAIN_INT = r"^[+-]?[0-9]+$"


class DecimalComma(Rule):
    name = "decimal_comma"
    detects = ("numbers written with a decimal comma (30,5; 1.234,5) in a file whose "
               "decimal separator is the comma (detected per file, or --decimal / a "
               "mapping's decimal:)")
    policy = "fix"
    policies = ("fix",)

    def apply(self, ctx: BatchContext) -> Effect:
        effect = Effect()
        for name, spec in ctx.specs.items():
            text = ctx.values[name]
            if spec.decimal != "," or not ctx.numeric(name) or not is_text(text):
                continue
            written = mask(pc.match_substring_regex(text, _DECIMAL_COMMA_NUMBER)) & ~mask(
                pc.match_substring_regex(text, _PLAIN_INT))
            if not written.any():
                continue
            effect.count += int(written.sum())
            point = pc.replace_substring(pc.replace_substring(text, ".", ""), ",", ".")
            effect.columns[name] = pc.if_else(pa.array(written), point, text)
        return effect


class ThousandsSeparator(Rule):
    name = "thousands_separator"
    detects = ("numbers with commas between thousands (1,234,567.5) in a numeric column "
               "of a file whose decimal separator is the point")
    policy = "fix"
    policies = ("fix",)

    def apply(self, ctx: BatchContext) -> Effect:
        effect = Effect()
        for name, spec in ctx.specs.items():
            text = ctx.values[name]
            if spec.decimal != "." or not ctx.numeric(name) or not is_text(text):
                continue
            grouped = mask(pc.match_substring_regex(text, THOUSANDS_PATTERN))
            if grouped.any():
                effect.count += int(grouped.sum())
                effect.columns[name] = pc.if_else(pa.array(grouped),
                                                  pc.replace_substring(text, ",", ""), text)
        return effect


class HexNumber(Rule):
    name = "hex_number"
    detects = "integers in hexadecimal notation (0x1F) in a numeric column"
    policy = "fix"
    policies = ("fix",)

    def apply(self, ctx: BatchContext) -> Effect:
        effect = Effect()
        for name in ctx.specs:
            text = ctx.values[name]
            if not ctx.numeric(name) or not is_text(text):
                continue
            hexa = mask(pc.match_substring_regex(text, HEX_PATTERN))
            if not hexa.any():
                continue
            effect.count += int(hexa.sum())
            found = text.filter(pa.array(hexa)).to_pylist()
            decimal = np.array(text.to_pylist(), dtype=object)
            decimal[hexa] = [str(int(v.strip(), 16)) for v in found]
            effect.columns[name] = pa.array(decimal, pa.string())
        return effect


class Numeric(Rule):
    name = "numeric"
    detects = ("text that is not a number in a numeric column, or a fraction in an "
               "integer column")
    policy = "quarantine"
    policies = ("quarantine", "set_missing")

    def apply(self, ctx: BatchContext) -> Effect:
        effect = Effect()
        for name, spec in ctx.specs.items():
            if not ctx.numeric(name):
                continue
            numbers = ctx.numbers(name)
            values, bad = numbers.values, numbers.not_number
            if spec.kind == "int":
                view = ctx.floats(values)
                bad = bad | (np.floor(view) != view)  # NaN != NaN: missing is no fraction
                bad &= ~np.isnan(view) | numbers.not_number
            if bad.any():
                found = ctx.values[name].filter(pa.array(bad)).to_pylist()
                reasons = np.full(ctx.n, "", dtype=object)
                reasons[bad] = [f"expected a number, found {v!r}" for v in found]
                effect.count += int(bad.sum())
                if ctx.policy(self.name) == "quarantine":
                    effect.flags.append(Flag(bad, name, reasons))
                values = pc.if_else(pa.array(bad), None, values)
            effect.columns[name] = values
        return effect


class Timestamp(Rule):
    name = "timestamp"
    detects = ("timestamps in mixed formats and epochs (s, ms, us, ns), made UTC; text "
               "without a full date (year, month, day), numbers that are no plausible "
               "epoch (1990-2100), unparsable ones")
    policy = "set_missing"
    policies = ("set_missing", "quarantine")

    def apply(self, ctx: BatchContext) -> Effect:
        effect = Effect()
        for name, spec in ctx.specs.items():
            text = ctx.values[name]
            if spec.kind != "timestamp" or not is_text(text):
                continue
            stamps, bad = parse_timestamp_array(text)
            effect.count += int(bad.sum())
            if bad.any() and ctx.policy(self.name) == "quarantine":
                effect.flags.append(Flag(bad, name, "unparsable timestamp"))
            effect.columns[name] = stamps
        return effect
