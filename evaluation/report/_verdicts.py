"""Report sections that state verdicts: the summary, the paired comparison table and the
rare-class diagnostics.

Each function returns ``(html parts, markdown lines)`` for
:func:`iotforge.evaluation.report.build_report`; ``comparisons`` is the table of
:func:`iotforge.evaluation.comparisons.compare`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import numpy as np
import pandas as pd
from iotforge.curation.bootstrap import MIN_CLASS_ROWS

from ..comparisons import BOOTSTRAP, sentence
from ..summary import ALL_CLASSIFIERS, rare_class_recall, run_label
from ._html import _f, _md_table, _table

__all__ = ["badge", "comparison_section", "rare_section", "summary_section"]

CSS_CLASS = {"helped": "helped", "hurt": "hurt", "no detectable difference": "nodiff",
             "untested": "untested"}


def badge(verdict: str) -> str:
    return f'<span class="verdict {CSS_CLASS.get(verdict, "nodiff")}">{escape(verdict)}</span>'


def _interval(row: Any) -> str:
    return f"[{_signed(row.ci_low)}, {_signed(row.ci_high)}]"


def _pooled(comps: pd.DataFrame, metric: str = "macro_f1") -> pd.DataFrame:
    return comps[(comps["classifier"] == ALL_CLASSIFIERS) & (comps["metric"] == metric)]


def _n_classifiers(comps: pd.DataFrame, aug: str, arm: str) -> int:
    sub = comps[(comps["augmenter"] == aug) & (comps["arm"] == arm)
                & (comps["classifier"] != ALL_CLASSIFIERS)]
    return int(sub["classifier"].nunique())


def summary_section(comps: pd.DataFrame, rare: Sequence[str]) -> tuple[list[str], list[str]]:
    """One sentence per augmenter arm (macro-F1, pooled over classifiers), how many
    classifiers each verdict had, and the pooled verdict on each rare class's recall."""
    overall = _pooled(comps)
    if overall.empty:
        msg = "No augmenter was compared with no augmentation."
        return [f"<p>{msg}</p>"], [msg, ""]
    h, md = ['<ul class="sentences">'], []
    for row in overall.to_dict("records"):
        text = sentence(row, _n_classifiers(comps, row["augmenter"], row["arm"]))
        h.append(f"<li>{badge(row['verdict'])} {escape(text)}</li>")
        md.append(f"- {text}")
    h.append("</ul>")
    per_clf = comps[(comps["classifier"] != ALL_CLASSIFIERS) & (comps["metric"] == "macro_f1")]
    for (aug, arm), g in per_clf.groupby(["augmenter", "arm"], sort=False):
        counts = g["verdict"].value_counts()
        line = (f"{run_label(aug, arm)}, macro-F1 per classifier: helped "
                f"{int(counts.get('helped', 0))}, hurt {int(counts.get('hurt', 0))}, no "
                f"detectable difference {int(counts.get('no detectable difference', 0))}"
                + (f", untested {int(counts['untested'])}" if counts.get("untested") else "")
                + f" of {len(g)} classifiers.")
        recall = comps[(comps["augmenter"] == aug) & (comps["arm"] == arm)
                       & (comps["classifier"] == ALL_CLASSIFIERS)
                       & (comps["metric"] == "recall") & comps["class"].isin(list(rare))]
        if not recall.empty:
            line += " Rare-class recall (mean of classifiers): " + "; ".join(
                f"{r['class']} {r['verdict']} ({_signed(r['diff'])})"
                for r in recall.to_dict("records")) + "."
        h.append(f'<p class="muted">{escape(line)}</p>')
        md.append(f"- {line}")
    tests = set(comps["test"])
    if BOOTSTRAP in tests:
        note = ("How to read this: each interval is a 95% paired bootstrap interval: the same "
                "resampled test rows (stratified by class) and seeds for both arms, the "
                "difference averaged over the seeds; the Settings and the comparison table "
                "say what the seeds varied. “helped” and “hurt” need the whole interval on one "
                "side of zero; “no detectable difference” means not shown, not shown to be "
                "equal. With many comparisons (classes × classifiers × augmenters) about one "
                "single-classifier, single-class verdict in twenty can be chance: read the "
                "pooled rows first.")
    else:
        note = ("How to read this: no test predictions were stored, so the interval is the "
                "t interval of the per-seed differences, which with 3 to 5 seeds has little "
                "power; “no detectable difference” means not shown, not shown to be equal.")
    h.append(f'<p class="note">{escape(note)}</p>')
    md += ["", note, ""]
    return h, md


def _signed(x: Any) -> str:
    return _f(x) if x is None or (isinstance(x, float) and np.isnan(x)) else \
        f"{x:+.3f}".replace("-", "−")


def comparison_section(comps: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Macro-F1 with minus without augmentation, per augmenter arm and classifier."""
    f1 = comps[comps["metric"] == "macro_f1"]
    if f1.empty:
        return ["<p>None.</p>"], ["None.", ""]
    header = ["run", "classifier", "seeds", "none", "with", "difference", "95% interval",
              "sd over seeds", "verdict"]
    rows_h, rows_m = [], []
    for r in f1.itertuples():
        cells = [run_label(r.augmenter, r.arm), str(r.classifier), str(r.n_seeds),
                 _f(r.baseline), _f(r.treated), _signed(r.diff), _interval(r), _f(r.seed_sd)]
        rows_h.append([*[escape(c) for c in cells], badge(str(r.verdict))])
        rows_m.append([*cells, str(r.verdict)])
    covers = list(dict.fromkeys(f"{run_label(a, b)}: {t}, {c}." for a, b, t, c in zip(
        f1["augmenter"], f1["arm"], f1["test"], f1["covers"], strict=True)))
    h = [_table(header, rows_h), "<p class=\"muted\">What each interval covers: "
         + " ".join(escape(c) for c in covers) + "</p>"]
    md = [_md_table(header, rows_m), "", "What each interval covers:", "",
          *[f"- {c}" for c in covers], ""]
    return h, md


def _chosen(per_seed: Mapping[str, Mapping[str, str]]) -> str:
    """``smote (4 seeds), none (1)`` from ``{seed: {source: method}}``."""
    if not per_seed:
        return "–"
    picks = [m.split(":", 1)[-1] for seed in per_seed.values() for m in seed.values()]
    values, n = np.unique(np.asarray(picks, dtype=object), return_counts=True)
    order = sorted(zip(values, n, strict=True), key=lambda t: (-t[1], t[0]))
    return ", ".join(f"{v} ({k})" for v, k in order)


def _synthetic(per_seed: Mapping[str, Mapping[str, int]], cls: str) -> str:
    values = [int(c.get(cls, 0)) for c in per_seed.values()]
    if not values:
        return "–"
    lo, hi = min(values), max(values)
    return f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"


def rare_section(results: pd.DataFrame, comps: pd.DataFrame, train_counts: Mapping[str, int],
                 test_counts: Mapping[str, int], rare: Sequence[str],
                 diagnostics: Mapping[str, Mapping[str, Any]]
                 ) -> tuple[list[str], list[str]]:
    """Per rare class: training, synthetic and test rows, recall without and with
    augmentation (mean over classifiers and seeds) with the pooled interval, where its
    synthetic rows land, and what ``auto`` chose; one table per augmenter."""
    table = rare_class_recall(results, train_counts, rare)
    if table.empty:
        return ["<p>No per-class results.</p>"], ["No per-class results.", ""]
    cols = [f"{c} ({train_counts.get(c, '?')})" for c in table.columns]
    rows = [[str(run), *[_f(v) for v in vals]] for run, vals in
            zip(table.index, table.to_numpy(), strict=True)]
    h = ["<p>Rare classes: fewer training rows than a tenth of the largest class (at most "
         "ten, rarest first). Recall on the real test rows, mean over classifiers and seeds "
         "(training rows in brackets):</p>", _table(["run", *cols],
                                                    [[escape(c) for c in r] for r in rows])]
    md = [_md_table(["run", *cols], rows), ""]
    recall = comps[(comps["metric"] == "recall") & (comps["classifier"] == ALL_CLASSIFIERS)
                   & (comps["arm"] == "real+synthetic")]
    header = ["class", "training rows", "synthetic rows per seed", "test rows", "recall none",
              "recall with", "difference", "95% interval", "verdict",
              "synthetic in other classes' regions", "real rows in them", "lands in",
              "auto chose"]
    for aug in dict.fromkeys(recall["augmenter"]):
        diag = diagnostics.get(aug) or {}
        sub = recall[recall["augmenter"] == aug].set_index("class")
        rows_h, rows_m = [], []
        for cls in rare:
            if cls not in sub.index:
                continue
            r = sub.loc[cls]
            over = (diag.get("per_class") or {}).get(cls) or {}
            landed = ", ".join(f"{c} {100 * v:.0f}%" for c, v in
                               (over.get("landed_in") or {}).items()) or "–"
            cells = [cls, f"{train_counts.get(cls, 0):,}",
                     _synthetic(diag.get("synthetic_counts") or {}, cls),
                     f"{test_counts.get(cls, int(r['n_test']))}", _f(r["baseline"]),
                     _f(r["treated"]), _signed(r["diff"]),
                     f"[{_signed(r['ci_low'])}, {_signed(r['ci_high'])}]", str(r["verdict"]),
                     _pct(over.get("overlap")), _pct(over.get("real_overlap")), landed,
                     _chosen(diag.get("chosen") or {})]
            rows_h.append([escape(c) if i != 8 else badge(c) for i, c in enumerate(cells)])
            rows_m.append(cells)
        if rows_h:
            h += [f"<h3>{escape(aug)}</h3>", _table(header, rows_h)]
            md += [f"### {aug}", "", _md_table(header, rows_m), ""]
    h.append("<p class=\"muted\">Recall with and without: the mean over classifiers and seeds; "
             "the interval is that of the difference, pooled over classifiers (the comparison "
             f"table's bootstrap); a class with fewer than {MIN_CLASS_ROWS} test rows is not "
             "tested. Other classes' regions: the share of the class's synthetic rows (seed of "
             "the first replicate, up to 1,000) whose 5 nearest real training rows are mostly "
             "of other classes, next to the same share of its real rows; a synthetic share "
             "well above the real one is the usual way augmentation hurts. auto chose: the "
             "method per seed (and source), or none when it abstained.</p>")
    return h, md


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100 * float(x):.0f}%"
