"""Report sections about the data: class counts, real versus synthetic rows in a
projection, confusion matrices, fidelity and privacy, and the validation and audit
summaries.

Each ``*_section`` function returns ``(html parts, markdown lines)`` for
:func:`iotforge.evaluation.report.build_report`; ``projection_section`` and ``_confusions`` are
HTML only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from ..evaluate import EvaluationResult
from ..summary import leaderboard, run_label
from . import _svg
from ._html import _f, _md_table, _table
from ._sections import rule_fidelity_table

__all__ = ["counts_section", "fidelity_section", "inputs_section", "projection_section"]


def counts_section(counts: Mapping[str, Mapping[str, int]]) -> tuple[list[str], list[str]]:
    """Training rows per class, real and with each augmenter's synthetic rows (log scale)."""
    if not counts.get("train"):
        return ["<p>No class counts recorded.</p>"], ["No class counts recorded.", ""]
    classes = list(counts["train"])
    series = {("train (real)" if k == "train" else f"{k} (real + synthetic)"):
              [v.get(c, 0) for c in classes] for k, v in counts.items()}
    return ([_svg.log_bars(classes, series, title="training rows per class (log scale)")],
            [_md_table(["class", *series], [[c, *[f"{s[i]:,}" for s in series.values()]]
                                            for i, c in enumerate(classes)]), ""])


def projection_section(result: EvaluationResult) -> list[str]:
    """Per augmenter and rare class, its real and synthetic rows on two principal axes."""
    proj = result.projection
    if proj is None or proj.empty:
        return ["<p>No synthetic rows to project.</p>"]
    h = ["<p>Each panel: one rare class, its real training rows and the synthetic "
         "rows made for it, on the first two principal components of the real rows "
         "(after imputation, signed log and scaling). Rings far from every dot are "
         "rows no real capture resembles; rings only on top of dots are near-copies."
         "</p>"]
    for aug, g in proj.groupby("augmenter", sort=False):
        h.append(f"<h3>{escape(str(aug))}</h3><div class=\"charts\">")
        for cls, c in g.groupby("class", sort=False):
            n_real = result.class_counts.get("train", {}).get(cls)
            n_syn = (result.class_counts[aug].get(cls, 0) - n_real
                     if n_real is not None and aug in result.class_counts else None)
            if n_syn is None:
                n_real = int((c["kind"] == "real").sum())
                n_syn = int((c["kind"] != "real").sum())
            pts = list(zip(c["kind"], c["x"], c["y"], strict=True))
            h.append(_svg.scatter(pts, title=f"{cls} ({n_real} real, {n_syn} synthetic)"))
        h.append("</div>")
    return h


def fidelity_section(fid: Mapping[str, Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """The fidelity and privacy table, then the share of rules synthetic rows keep."""
    fh, fm = _fidelity(fid)
    rfh, rfm = rule_fidelity_table(fid)
    return [*fh, *rfh], [*fm, "", *rfm, ""]


def inputs_section(validation: Sequence[tuple[str, Mapping[str, Any]]],
                   audit: Sequence[tuple[str, Mapping[str, Any]]]) -> tuple[list[str], list[str]]:
    """A line (and the failures) per validation and audit report given."""
    h: list[str] = []
    md: list[str] = []
    for items, fn, kind in ((validation, _validation_summary, "validation"),
                            (audit, _audit_summary, "audit")):
        if not items:
            h.append(f'<p class="muted">No {kind} report was given.</p>')
            md.append(f"- no {kind} report was given")
        for label, data in items:
            part_h, part_m = fn(label, data)
            h.append(part_h)
            md.append(part_m)
    return h, [*md, ""]


def _validation_summary(label: str, data: Mapping[str, Any]) -> tuple[str, str]:
    suites = data.get("suites") or ([data] if "suite" in data else [])
    if "success" not in data and not suites:
        keys = ", ".join(sorted(map(str, data))[:8])
        return (f"<p>{escape(label)}: unrecognized validation file (keys: {escape(keys)}).</p>",
                f"- {label}: unrecognized validation file")
    ok = bool(data.get("success", all(s.get("success") for s in suites)))
    rows = []
    for s in suites:
        for f in s.get("failures") or []:
            rows.append([escape(str(s.get("suite", ""))), escape(str(f.get("column") or "")),
                         escape(str(f.get("expectation", ""))),
                         escape(str(f.get("unexpected_count", "")))])
    head = (f"<p><b>{escape(label)}</b>: {'passed' if ok else 'FAILED'} "
            f"({len(suites)} suite(s), {sum(int(s.get('rows') or 0) for s in suites):,} rows, "
            f"{len(rows)} failed expectation(s)).</p>")
    table = _table(["suite", "column", "expectation", "unexpected"], rows[:20]) if rows else ""
    status = "passed" if ok else "FAILED"
    return head + table, f"- {label}: {status}, {len(rows)} failed expectations"


def _audit_summary(label: str, data: Mapping[str, Any]) -> tuple[str, str]:
    findings = data.get("findings") or []
    ok = data.get("ok")
    rows = [[escape(str(f.get("id"))), escape(str(f.get("severity"))),
             "yes" if f.get("accepted") else "no", escape(str(f.get("message", "")))[:200]]
            for f in findings]
    status = "passed" if ok else ("FAILED" if ok is False else "status unknown")
    head = (f"<p><b>{escape(label)}</b>: {status}; {len(findings)} finding(s), errors: "
            f"{escape(', '.join(map(str, data.get('errors') or [])) or 'none')}.</p>")
    table = _table(["finding", "severity", "accepted", "message"], rows[:20]) if rows else ""
    return head + table, f"- {label}: {status}, {len(findings)} findings"


def _confusions(result: EvaluationResult) -> list[str]:
    if not result.confusion:
        return ["<p>No confusion matrices recorded.</p>"]
    board = leaderboard(result.results)
    base = board[board["arm"] == "none"]
    focus = str((base if not base.empty else board)["classifier"].iloc[0])
    out = [f"<p>Classifier <code>{escape(focus)}</code> (best macro-F1 without augmentation), "
           "test rows summed over seeds; colour = share of the true class.</p>"
           '<div class="charts">']
    groups: dict[str, tuple[list[str], list[list[float]]]] = {}
    for c in result.confusion:
        if c["classifier"] != focus or c["arm"] == "synthetic-only":
            continue
        key = run_label(c["augmenter"], c["arm"])
        labels, m = groups.get(key, (c["labels"], [[0.0] * len(c["labels"])
                                                   for _ in c["labels"]]))
        groups[key] = (labels, [[a + b for a, b in zip(r1, r2, strict=True)]
                                for r1, r2 in zip(m, c["matrix"], strict=True)])
    for key, (labels, m) in groups.items():
        out.append(_svg.heatmap(m, labels, title=key))
    return [*out, "</div>"]


def _fidelity(fid: Mapping[str, Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    if not fid:
        return ["<p>No synthetic rows were evaluated.</p>"], ["No synthetic rows were evaluated."]
    header = ["augmenter", "synthetic rows", "mean KS", "mean TV", "corr. diff",
              "quality", "DCR synth→train", "DCR holdout→train", "exact matches",
              "rules kept"]
    rows = []
    for name, f in fid.items():
        o = f.get("overall", {})
        rows.append([escape(name), f"{o.get('n_synthetic', 0):,}", _f(o.get("mean_ks")),
                     _f(o.get("mean_tv")), _f(o.get("correlation_difference")),
                     _f(o.get("quality_score")), _f(o.get("dcr_synthetic_median"), 4),
                     _f(o.get("dcr_holdout_median"), 4),
                     f"{100 * (o.get('exact_match_rate') or 0):.2f}%",
                     "–" if o.get("rule_fidelity") is None
                     else f"{100 * o['rule_fidelity']:.0f}%"])
    html = ["<p>Synthetic rows of each class against the real training rows of that class, "
            "pooled over classes (weighted by synthetic rows). KS and TV: 0 = same "
            "distribution, 1 = disjoint. DCR: median Gower distance to the closest training "
            "row; synthetic rows much closer than real holdout rows are near-copies, which "
            "inflates utility and leaks training records. Rules kept: the share of the "
            "classes' association rules that still hold on their synthetic rows.</p>",
            _table(header, rows)]
    for name, f in fid.items():
        worst = f.get("worst_columns") or []
        if worst:
            html.append(f'<p class="muted">{escape(name)}: least faithful columns: ' + ", ".join(
                f"{escape(w['column'])} ({w['statistic']} {_f(w['distance'])})" for w in worst)
                + ".</p>")
    return html, [_md_table(header, [[r[0], *r[1:]] for r in rows])]
