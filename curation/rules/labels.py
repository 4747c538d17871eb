"""Label rules: every kept row has a raw label the taxonomy knows and no contradiction.

``missing_label`` takes the first non-missing label column of each row (or the label
a file or folder name gives) as ``label_raw``; ``unknown_label`` looks each distinct
raw label up in the taxonomy once, giving ``label``, ``is_attack`` and
``attack_family``; ``label_conflict`` compares a 0/1 attack flag with that class.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import ATTACK_FAMILY, IS_ATTACK, LABEL, LABEL_RAW
from ._base import BatchContext, Effect, Flag, Rule, is_text, mask
from .values import spellings

__all__ = ["STEP", "LabelConflict", "LabelNormalised", "MissingLabel", "UnknownLabel"]

STEP = 40
"""Label rules run after every value rule: they read the cleaned label text."""


def _where(ctx: BatchContext) -> str:
    return ",".join(ctx.label_names) or "label"


class MissingLabel(Rule):
    name = "missing_label"
    detects = "a row without any label value"
    policy = "quarantine"
    policies = ("quarantine",)
    unit = "rows"

    def apply(self, ctx: BatchContext) -> Effect:
        columns = [ctx.values[c] if is_text(ctx.values[c]) else ctx.values[c].cast(pa.string())
                   for c in ctx.label_columns]
        if ctx.fixed_label is not None:
            columns.append(pa.array([ctx.fixed_label], pa.string()).take(
                pa.array(np.zeros(ctx.n, dtype=np.int64))))
        raw = pc.coalesce(*columns) if columns else pa.nulls(ctx.n, pa.string())
        missing = ~mask(pc.is_valid(raw))
        effect = Effect(count=int(missing.sum()), labels={LABEL_RAW: raw})
        if missing.any():
            effect.flags.append(Flag(missing, _where(ctx), "no label value in "
                                     + (", ".join(ctx.label_names) or "the record")))
        return effect


class UnknownLabel(Rule):
    name = "unknown_label"
    detects = "a label the taxonomy does not know"
    policy = "quarantine"
    policies = ("quarantine",)
    unit = "rows"

    def apply(self, ctx: BatchContext) -> Effect:
        raw = ctx.labels[LABEL_RAW]
        enc = pc.dictionary_encode(raw)
        words = enc.dictionary.to_pylist()
        infos = [ctx.taxonomy.lookup(ctx.label_map.get(w, w)) for w in words]
        # one extra entry for rows without a raw label
        label = pa.array([i.label if i else None for i in infos] + [None], pa.string())
        attack = np.array([bool(i and i.is_attack) for i in infos] + [False])
        family = pa.array([i.family if i else None for i in infos] + [None], pa.string())
        known = np.array([i is not None for i in infos] + [True])
        idx = np.asarray(enc.indices.fill_null(len(words)), dtype=np.int64)
        take = pa.array(idx)
        unknown = ~known[idx]
        effect = Effect(count=int(unknown.sum()), labels={
            LABEL: label.take(take), IS_ATTACK: pa.array(attack[idx]),
            ATTACK_FAMILY: family.take(take)})
        if unknown.any():
            reasons = np.full(ctx.n, "", dtype=object)
            reasons[unknown] = [
                f"label {v!r} is not in the taxonomy; add it with --taxonomy FILE"
                for v in raw.filter(pa.array(unknown)).to_pylist()]
            effect.flags.append(Flag(unknown, _where(ctx), reasons))
        return effect


_ODD = re.compile(r"[^\w\s\-./:()+,&']")
"""Characters a label spelling does not hold: symbols, emoji, control characters."""


class LabelNormalised(Rule):
    name = "label_normalised"
    detects = ("a raw label the taxonomy knows only once symbols, emoji or control "
               "characters are dropped from it (ddos🔥 read as ddos)")
    policy = "report"
    policies = ("report", "quarantine")
    unit = "rows"

    def apply(self, ctx: BatchContext) -> Effect:
        raw = ctx.labels[LABEL_RAW]
        enc = pc.dictionary_encode(raw)
        words = enc.dictionary.to_pylist()
        odd = np.array([bool(_ODD.search(w)) and ctx.label_map.get(w) is None
                        for w in words] + [False])
        if not odd.any():
            return Effect()
        idx = np.asarray(enc.indices.fill_null(len(words)), dtype=np.int64)
        rows = odd[idx] & mask(pc.is_valid(ctx.labels[LABEL]))
        effect = Effect(count=int(rows.sum()))
        if rows.any() and ctx.policy(self.name) == "quarantine":
            reasons = np.full(ctx.n, "", dtype=object)
            pairs = zip(raw.filter(pa.array(rows)).to_pylist(),
                        ctx.labels[LABEL].filter(pa.array(rows)).to_pylist(), strict=True)
            reasons[rows] = [f"label {w!r} is {c!r} only once characters are dropped"
                             for w, c in pairs]
            effect.flags.append(Flag(rows, _where(ctx), reasons))
        return effect


class LabelConflict(Rule):
    name = "label_conflict"
    detects = "a 0/1 attack flag that contradicts the taxonomy class of the row's label"
    policy = "quarantine"
    policies = ("quarantine", "report")
    unit = "rows"

    def apply(self, ctx: BatchContext) -> Effect:
        if ctx.binary_label is None or not is_text(ctx.values[ctx.binary_label]):
            return Effect()
        says_attack, says_normal = spellings(ctx.values[ctx.binary_label])
        known = mask(pc.is_valid(ctx.labels[LABEL]))
        attack = mask(ctx.labels[IS_ATTACK])
        conflict = known & ((says_attack & ~attack) | (says_normal & attack))
        effect = Effect(count=int(conflict.sum()))
        if conflict.any() and ctx.policy(self.name) == "quarantine":
            effect.flags.append(Flag(conflict, ctx.binary_label,
                                     f"{ctx.binary_label} contradicts the class of the label"))
        return effect
