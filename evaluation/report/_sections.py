"""Report sections for per-class recall by classifier, anomaly detection and rules.

Each function returns ``(html parts, markdown lines)`` for
:func:`iotforge.evaluation.report.build_report`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import pandas as pd

from ..summary import detection_summary, recall_by_classifier
from ._html import _f, _md_table, _table

__all__ = ["detection_section", "recall_section", "rule_fidelity_table", "rules_section"]

RULES_SHOWN = 5


def recall_section(results: pd.DataFrame, train_counts: Mapping[str, int]
                   ) -> tuple[list[str], list[str]]:
    """One table per run: classes (rarest first) x classifiers, mean recall over seeds."""
    tables = recall_by_classifier(results, train_counts)
    if not tables:
        return ["<p>No per-class results.</p>"], ["No per-class results.", ""]
    h = ["<p>Recall of every class on the real test rows, mean over seeds, rarest training "
         "class first; one table without augmentation and one per augmenter's "
         "real+synthetic arm. For an anomaly detector (<code>autoencoder</code>) an attack "
         "class's recall is its detection rate and the normal class's is 1 − its "
         "false-positive rate.</p>"]
    md: list[str] = []
    for run, wide in tables.items():
        header = ["class", *wide.columns]
        rows = [[f"{c} ({train_counts.get(c, '?')})", *[_f(v, 2) for v in values]]
                for c, values in zip(wide.index, wide.to_numpy(), strict=True)]
        h += [f"<h3>{escape(run)}</h3>", _table(header, [[escape(c) for c in r] for r in rows])]
        md += [f"### {run}", "", _md_table(header, rows), ""]
    return h, md


def detection_section(results: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Detection rate, false-positive rate and balanced accuracy of each detector run."""
    table = detection_summary(results)
    if table.empty:
        msg = ("No anomaly detector was evaluated (add <code>autoencoder</code> to the "
               "classifiers).")
        return [f"<p>{msg}</p>"], [msg.replace("<code>", "`").replace("</code>", "`"), ""]
    header = ["run", "detector", "detection rate", "false-positive rate", "balanced accuracy"]
    rows = [[str(r.run), str(r.classifier), _f(r.detection_rate), _f(r.false_positive_rate),
             _f(r.balanced_accuracy)] for r in table.itertuples()]
    h = ["<p>Trained on the normal training rows only; a test row is flagged when its "
         "reconstruction error exceeds the 99th percentile of held-out normal training "
         "rows. Detection rate: attack test rows flagged; false-positive rate: normal test "
         "rows flagged; means over seeds. Per attack class: the recall tables above. "
         "Synthetic rows of attack classes do not change what it learns.</p>",
         _table(header, [[escape(c) for c in r] for r in rows])]
    return h, [_md_table(header, rows), ""]


def rules_section(rules: Sequence[tuple[str, Mapping[str, Any]]]
                  ) -> tuple[list[str], list[str]]:
    """What distinguishes each class: its best association rules (``iotforge rules``)."""
    if not rules:
        msg = "No rules file was given (iotforge rules DATA --out rules.json; --rules FILE)."
        return [f'<p class="muted">{escape(msg)}</p>'], [msg, ""]
    h: list[str] = []
    md: list[str] = []
    for label, data in rules:
        cfg = data.get("config") or {}
        classes = data.get("classes") or {}
        h.append(f"<p><b>{escape(label)}</b>: {cfg.get('rows', '?')} rows; a rule is "
                 f"mined within its class (support ≥ {cfg.get('min_support', '?')} of the "
                 f"class's rows) and kept when P(class | items) ≥ "
                 f"{cfg.get('min_confidence', '?')}; best {RULES_SHOWN} per class by "
                 "confidence, then lift. <i>covers</i>: rows of the class with every item; "
                 "<i>matches</i>: rows of any class with every item.</p>")
        md.append(f"From {label}: best {RULES_SHOWN} rules per class by confidence, then lift.")
        md.append("")
        empty = []
        for cls, entry in sorted(classes.items(), key=lambda kv: (kv[1].get("rows", 0), kv[0])):
            found = (entry.get("rules") or [])[:RULES_SHOWN]
            if not found:
                empty.append(cls)
                continue
            header = ["#", "if", "covers", "matches", "confidence", "lift"]
            rows = [[str(i), " AND ".join(r["if"]),
                     f"{r['support_count']:,}/{entry.get('rows', 0):,}",
                     f"{r['antecedent_count']:,}", _f(r["confidence"]), _f(r["lift"], 1)]
                    for i, r in enumerate(found, 1)]
            h += [f"<h3>What distinguishes <code>{escape(cls)}</code> "
                  f"({entry.get('rows', 0):,} rows)</h3>",
                  _table(header, [[escape(c) for c in r] for r in rows])]
            md += [f"### What distinguishes `{cls}` ({entry.get('rows', 0):,} rows)", "",
                   _md_table(header, [[c.replace("|", "\\|") for c in r] for r in rows]), ""]
        if empty:
            line = ("No rule reached the thresholds for: " + ", ".join(empty)
                    + " (lower --min-support, or add bins).")
            h.append(f'<p class="muted">{escape(line)}</p>')
            md += [line, ""]
    return h, md


def rule_fidelity_table(fid: Mapping[str, Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """Per class and augmenter: real rules that still hold on the synthetic rows."""
    cells: dict[str, dict[str, str]] = {}
    for aug, f in fid.items():
        for cls, e in (f.get("per_class") or {}).items():
            if e.get("rules_checked"):
                cells.setdefault(cls, {})[aug] = f"{e.get('rules_held', 0)}/{e['rules_checked']}"
    if not cells:
        return [], []
    augs = list(fid)
    header = ["class", *augs]
    rows = [[c, *[cells[c].get(a, "–") for a in augs]] for c in sorted(cells)]
    h = ["<p>Association rules of each class mined on the real training rows that still "
         "hold on its synthetic rows: class support and confidence each within 0.1 of the "
         "real value (confidence as if the synthetic rows, at the real class size, replaced "
         "the real ones).</p>", _table(header, [[escape(c) for c in r] for r in rows])]
    return h, [_md_table(header, rows)]
