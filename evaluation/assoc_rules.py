"""Association-rule signatures: what distinguishes each class, as ``IF items THEN class``.

Rows become *transactions* of items (:class:`ItemEncoder`, fitted on the training rows):

- a categorical column gives one item per value, ``proto=tcp`` (at most
  ``max_categories`` values per column, the rest ``proto=other``);
- a numeric column with few distinct integer values (flags, counts) or whose name says it
  is a port (``dst_port``, Zeek's ``id_resp_p``) is treated the same way, ``dst_port=23``;
- any other numeric column is cut at its quantiles (``n_bins`` bins, ties merged):
  ``orig_bytes<48``, ``orig_bytes in [48, 310)``, ``orig_bytes>=310``;
- a missing value gives no item: curated tables mix sources, and "this column is
  missing" would only name the source.

:func:`mine_rules` mines frequent itemsets **within each class** with mlxtend's
FP-growth (support relative to the class, so a class of 31 rows gets rules as readily as
one of 6,000; at least two rows), over the class's ``max_items`` most enriched frequent
items (highest share in the class over share in all rows), then scores every itemset
``A`` as the class association rule ``A -> c`` over all rows:

``support_count``
    rows of class ``c`` that contain ``A``;
``antecedent_count``
    rows of any class that contain ``A``;
``class_support``
    ``support_count / rows of c``; ``support`` is ``support_count / all rows``;
``confidence``
    ``support_count / antecedent_count``: P(c | A);
``lift``
    ``confidence / P(c)``.

Rules below ``min_confidence`` are dropped; the rest are ranked by confidence, lift,
support count and length, and a rule is pruned when a higher-ranked rule of the same
class has a subset of its items (it says nothing more). Each class keeps its ``top``.

mlxtend rather than efficient-apriori: FP-growth finds the same itemsets as Apriori
without generating candidates, which matters at the low supports rare classes need, and
it reads the boolean item table built here directly (efficient-apriori wants Python
tuples of items and counts them in pure Python).

>>> import pandas as pd
>>> frame = pd.DataFrame({"dst_port": [23.0] * 4 + [80.0] * 6,
...                       "proto": ["tcp"] * 4 + ["tcp", "udp"] * 3,
...                       "label": ["mirai"] * 4 + ["normal"] * 6})
>>> rules = mine_rules(frame, numeric=["dst_port"], categorical=["proto"],
...                    min_support=0.5, top=1)
>>> r = rules.for_class("mirai").iloc[0]
>>> r["antecedent"], int(r["support_count"]), float(r["confidence"])
(('dst_port=23',), 4, 1.0)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from iotforge.curation.errors import TooLittleDataError, UsageError

from ._items import ItemEncoder, _match

__all__ = ["MIN_COUNT", "RULE_COLUMNS", "RULE_TOLERANCE", "ItemEncoder", "RuleSet", "mine_rules",
           "rule_fidelity"]

log = logging.getLogger(__name__)

RULE_COLUMNS = ["class", "rank", "antecedent", "length", "support_count", "class_rows",
                "antecedent_count", "support", "class_support", "confidence", "lift"]
RULE_TOLERANCE = 0.1
"""A real rule still holds on synthetic rows when its class support and its confidence
each move by at most this much (absolute)."""
MIN_COUNT = 2  # a rule covers at least two rows of its class (when it has two)


@dataclass
class RuleSet:
    """Mined rules (one row per rule, :data:`RULE_COLUMNS`) and what was mined from."""

    rules: pd.DataFrame
    encoder: ItemEncoder
    class_counts: dict[str, int]
    config: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def for_class(self, cls: str) -> pd.DataFrame:
        """The rules of ``cls``, best first."""
        return self.rules[self.rules["class"] == cls].reset_index(drop=True)

    def matches(self, frame: pd.DataFrame, rules: pd.DataFrame | None = None) -> np.ndarray:
        """Boolean ``(rows, rules)``: does row *i* contain every item of rule *j*?"""
        rules = self.rules if rules is None else rules
        items = self.encoder.transform(frame)
        return _match(items.to_numpy(), list(items.columns), rules["antecedent"])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: config, notes, and per class its rows and rules."""
        classes: dict[str, Any] = {}
        for cls, n in self.class_counts.items():
            rows = self.for_class(cls)
            classes[cls] = {"rows": int(n), "rules": [
                {"if": list(r["antecedent"]), "then": cls,
                 **{k: _py(r[k]) for k in RULE_COLUMNS[1:] if k != "antecedent"}}
                for _, r in rows.iterrows()]}
        return {"config": self.config, "notes": self.notes, "classes": classes}


def _py(x: Any) -> Any:
    return int(x) if isinstance(x, np.integer) else round(float(x), 6) if isinstance(
        x, np.floating | float) else x


def mine_rules(frame: pd.DataFrame, *, numeric: Sequence[str], categorical: Sequence[str],
               label: str = "label", min_support: float = 0.1, min_confidence: float = 0.5,
               max_len: int = 3, top: int = 10, n_bins: int = 4, max_items: int = 24,
               as_categories: Sequence[str] | None = None) -> RuleSet:
    """Class association rules ``items -> class`` for every class of ``frame``.

    Parameters
    ----------
    frame
        Rows with the feature columns and ``label``.
    numeric, categorical
        Feature columns (see :class:`ItemEncoder` for how each becomes items).
    min_support
        Least share of a class's rows an itemset must cover to be mined for that class.
    min_confidence
        Least P(class | items) a rule must reach.
    max_len
        Most items in one rule.
    top
        Rules kept per class, after ranking and pruning.
    n_bins
        Quantile bins per continuous numeric column.
    max_items
        Items a class's rules may use: its frequent items with the highest lift
        (share in the class over share in all rows). Bounds the work where a small,
        uniform class makes every item frequent.

    Returns
    -------
    RuleSet
        Empty rules (and a note per class) when no itemset reaches the thresholds.

    Raises
    ------
    UsageError
        A threshold out of range, no label column, or no usable feature column.
    TooLittleDataError
        Fewer than two classes: a rule must tell a class from the others.
    """
    if not 0 < min_support <= 1 or not 0 <= min_confidence <= 1:
        raise UsageError("expected 0 < min_support <= 1 and 0 <= min_confidence <= 1, found "
                         f"{min_support} and {min_confidence}")
    if max_len < 1 or top < 1:
        raise UsageError(f"expected max_len >= 1 and top >= 1, found {max_len} and {top}")
    if label not in frame.columns:
        raise UsageError(f"expected a {label!r} column, found none")
    y = frame[label].astype(str).to_numpy()
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise TooLittleDataError(f"expected at least two classes in {label!r}, found "
                                 f"{len(classes)} ({', '.join(classes) or 'no rows'})",
                                 hint="association rules tell a class from the others")
    encoder = ItemEncoder(n_bins=n_bins, as_categories=as_categories).fit(
        frame, numeric, categorical)
    items = encoder.transform(frame)
    matrix = items.to_numpy()
    n = len(frame)
    found: list[dict[str, Any]] = []
    notes: list[str] = []
    for cls, n_c in zip(classes, counts, strict=True):
        kept = _class_rules(items, matrix, y == cls, cls, int(n_c), min_support=min_support,
                            min_confidence=min_confidence, max_len=max_len, top=top,
                            max_items=max_items)
        if not kept:
            notes.append(f"{cls}: no rule reached support {min_support} and confidence "
                         f"{min_confidence} ({int(n_c)} rows)")
        found += kept
    table = pd.DataFrame(found, columns=RULE_COLUMNS)
    config = {"min_support": min_support, "min_confidence": min_confidence,
              "max_len": max_len, "top": top, "n_bins": n_bins, "max_items": max_items,
              "rows": n,
              "numeric": list(numeric), "categorical": list(categorical),
              "items": len(encoder.items_), "algorithm": "fpgrowth (mlxtend)"}
    log.info("mined %d rules over %d classes from %d rows", len(table), len(classes), n)
    return RuleSet(table, encoder, {str(c): int(k) for c, k in zip(classes, counts,
                                                                 strict=True)}, config, notes)


def _class_rules(items: pd.DataFrame, matrix: np.ndarray, in_class: np.ndarray, cls: str,
                 n_c: int, *, min_support: float, min_confidence: float, max_len: int,
                 top: int, max_items: int) -> list[dict[str, Any]]:
    """The ``top`` rules of class ``cls`` (its rows ``in_class``), ranked and pruned;
    ``matrix`` is ``items`` as a numpy array."""
    from mlxtend.frequent_patterns import fpgrowth

    rows = items[in_class]
    support = max(min_support, min(1.0, MIN_COUNT / n_c))
    share = rows.to_numpy().mean(axis=0)
    frequent = np.flatnonzero(share >= support)
    # the class's most enriched frequent items: a few dozen items keep FP-growth and
    # the scoring bounded where a small, uniform class makes every item frequent
    overall = matrix.mean(axis=0)  # share in all rows
    keep = frequent[np.lexsort((-share[frequent], -share[frequent] / overall[frequent]))]
    rows = rows.iloc[:, np.sort(keep[:max_items])]
    sets = (fpgrowth(rows, min_support=support, use_colnames=True, max_len=max_len)
            if rows.shape[1] else pd.DataFrame(columns=["support", "itemsets"]))
    ranked = _score(cls, n_c, len(items), sets, matrix, list(items.columns), min_confidence)
    return _prune(ranked, top)


def _score(cls: str, n_c: int, n: int, sets: pd.DataFrame, matrix: np.ndarray,
           names: list[str], min_confidence: float) -> list[dict[str, Any]]:
    antecedents = [tuple(sorted(s)) for s in sets["itemsets"]]
    if not antecedents:
        return []
    hits = _match(matrix, names, antecedents).sum(axis=0)
    out = []
    for antecedent, support, hit in zip(antecedents, sets["support"], hits, strict=True):
        count = int(round(float(support) * n_c))
        confidence = count / hit if hit else 0.0
        if confidence < min_confidence:
            continue
        out.append({"class": cls, "antecedent": antecedent, "length": len(antecedent),
                    "support_count": count, "class_rows": n_c, "antecedent_count": int(hit),
                    "support": count / n, "class_support": count / n_c,
                    "confidence": confidence, "lift": confidence / (n_c / n)})
    out.sort(key=_rank)
    return out


def _rank(rule: dict[str, Any]) -> tuple[float, float, int, int, tuple[str, ...]]:
    """Best first: confidence, lift, support count, fewer items, then the items."""
    return (-rule["confidence"], -rule["lift"], -rule["support_count"], rule["length"],
            rule["antecedent"])


def _prune(ranked: list[dict[str, Any]], top: int) -> list[dict[str, Any]]:
    kept: list[dict[str, Any]] = []
    for rule in ranked:
        items = set(rule["antecedent"])
        if any(set(k["antecedent"]) <= items for k in kept):
            continue  # a better-ranked rule with fewer items already says it
        kept.append({**rule, "rank": len(kept) + 1})
        if len(kept) == top:
            break
    return kept


def rule_fidelity(rules: RuleSet, synthetic: pd.DataFrame, *, label: str = "label",
                  tolerance: float = RULE_TOLERANCE) -> dict[str, dict[str, Any]]:
    """Per class: the share of its real rules that still hold on its synthetic rows.

    A rule ``A -> c`` holds when, on the synthetic rows of ``c``, its class support
    stays within ``tolerance`` of the real one, and so does its confidence recomputed as
    if those synthetic rows (scaled to the real class size) replaced the real rows of
    ``c`` next to the real rows of the other classes.

    Returns
    -------
    dict
        class -> ``rule_fidelity`` (share held, None without rules), ``rules_checked``,
        ``rules_held`` and, per rule, the real and synthetic support and confidence.

    Examples
    --------
    >>> real = pd.DataFrame({"port": [23.0] * 5 + [80.0] * 5, "label": ["m"] * 5 + ["n"] * 5})
    >>> rs = mine_rules(real, numeric=["port"], categorical=[], min_support=0.5)
    >>> rule_fidelity(rs, real[real["label"] == "m"])["m"]["rule_fidelity"]
    1.0
    >>> rule_fidelity(rs, real[real["label"] == "m"].assign(port=80.0))["m"]["rule_fidelity"]
    0.0
    """
    out: dict[str, dict[str, Any]] = {}
    y = synthetic[label].astype(str).to_numpy()
    for cls in np.unique(y):
        real = rules.for_class(str(cls))
        if real.empty:
            out[str(cls)] = {"rule_fidelity": None, "rules_checked": 0, "rules_held": 0,
                             "rules": []}
            continue
        syn = synthetic[y == cls]
        share = rules.matches(syn, real).mean(axis=0)
        details, held = [], 0
        for r, s in zip(real.itertuples(index=False), share, strict=True):
            scaled = float(s) * r.class_rows
            other = r.antecedent_count - r.support_count
            confidence = scaled / (scaled + other) if scaled + other > 0 else 0.0
            ok = bool(abs(s - r.class_support) <= tolerance
                      and abs(confidence - r.confidence) <= tolerance)
            held += ok
            details.append({"if": list(r.antecedent), "class_support": r.class_support,
                            "synthetic_class_support": float(s), "confidence": r.confidence,
                            "synthetic_confidence": confidence, "holds": bool(ok)})
        out[str(cls)] = {"rule_fidelity": held / len(real), "rules_checked": len(real),
                         "rules_held": held, "rules": details}
    return out
