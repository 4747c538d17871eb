"""The evaluation report: one self-contained HTML file and a Markdown summary.

The HTML has inline CSS and inline SVG charts (no scripts, no external files), so it
can be mailed, attached to a CI run or opened offline. Sections, in order
(:data:`SECTIONS`): the plain-language summary, the leaderboard of augmenters x
classifiers, the paired comparison against no augmentation, the rare-class diagnostics
(training, synthetic and test rows, recall with and without augmentation and its
interval, where the synthetic rows land, what ``auto`` chose), every class's recall by
classifier with and without augmentation, the anomaly detector's
detection and false-positive rates, class counts before and after augmentation (log
scale), real versus synthetic rows of the rare classes in a 2-D PCA projection,
confusion matrices, the association rules that distinguish each class (from
``iotforge rules``), fidelity and privacy (with the share of rules synthetic rows
keep), the validation and audit summaries, and the settings.

The summary says plainly, one sentence per augmenter and arm, whether augmentation
helped or hurt macro-F1 or showed no detectable difference, with the difference, its
95 % interval and what the interval covers (:mod:`evaluation.comparisons`). Nothing is
called helped or hurt unless the interval excludes zero.

>>> import pandas as pd
>>> from evaluation.evaluate import EvaluationResult
>>> from evaluation.summary import COLUMNS
>>> rows = [("none", "none", "rf", s, "macro_f1", "", .8) for s in (0, 1, 2)]
>>> rows += [("noise", "real+synthetic", "rf", s, "macro_f1", "", .8 - s / 100) for s in (0, 1, 2)]
>>> r = build_report(EvaluationResult(results=pd.DataFrame(rows, columns=COLUMNS)))
>>> "noise (real+synthetic): no detectable difference in macro-F1" in r.markdown
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from curation.schema import atomic_text

from . import _svg
from ._html import _f, _md_table, _table
from ._sections import detection_section, recall_section, rule_fidelity_table, rules_section
from ._verdicts import comparison_section, rare_section, summary_section
from .classifiers import CLASSIFIERS
from .comparisons import compare
from .diagnostics import rare_classes
from .evaluate import EvaluationResult
from .summary import leaderboard, run_label

__all__ = ["SECTIONS", "Report", "build_report", "write_report"]

SECTIONS = ("Summary", "Leaderboard", "Paired comparison against no augmentation",
            "Rare-class diagnostics", "Per-class recall by classifier", "Anomaly detection",
            "Class counts before and after augmentation", "Real versus synthetic rows",
            "Confusion matrices", "Association rules", "Fidelity and privacy",
            "Validation and audit", "Settings")
"""The ``<h2>`` headings of the HTML report, in order."""

CSS = """
body{font:14px/1.45 system-ui,sans-serif;color:#222;margin:0;background:#fafafa}
main{max-width:1180px;margin:0 auto;padding:24px 32px;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 8px;
border-bottom:2px solid #0072B2;padding-bottom:3px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
th,td{padding:3px 9px;border-bottom:1px solid #e4e4e4;text-align:right}
th.t,td.t{text-align:left}th{background:#f2f5f8}
tr:nth-child(even) td{background:#fbfbfb}.best{font-weight:700}
.verdict{padding:1px 7px;border-radius:9px;font-size:12px;white-space:nowrap}
.helped{background:#d8f0e3;color:#11623a}.hurt{background:#fbdcd3;color:#8a2a0d}
.nodiff,.untested{background:#eee;color:#444}
.muted{color:#666}.note{background:#fff8e1;border-left:4px solid #E69F00;padding:6px 10px}
ul.sentences li{margin:4px 0}.charts{display:flex;flex-wrap:wrap;gap:14px}
code{background:#f2f2f2;padding:0 3px}
"""


@dataclass(frozen=True)
class Report:
    """The HTML page and the Markdown summary."""

    html: str
    markdown: str


def _leaderboard(results: pd.DataFrame) -> tuple[list[str], list[list[str]], list[list[str]],
                                                 pd.DataFrame]:
    board = leaderboard(results)
    board["run"] = [run_label(a, b) for a, b in zip(board["augmenter"], board["arm"],
                                                    strict=True)]
    classifiers = list(dict.fromkeys(results["classifier"]))
    runs = list(dict.fromkeys(["none", *board["run"]]))
    runs = [r for r in runs if r in set(board["run"])]
    cell = board.set_index(["run", "classifier"])
    best = board.groupby("classifier")["mean"].max()
    html_rows, md_rows = [], []
    for run in runs:
        h, m = [escape(run)], [run]
        for clf in classifiers:
            if (run, clf) not in cell.index:
                h.append("–")
                m.append("–")
                continue
            mean, sd = cell.loc[(run, clf), "mean"], cell.loc[(run, clf), "sd"]
            text = f"{_f(mean)} ± {_f(sd)}"
            top = math.isclose(mean, best[clf])
            h.append(f'<span class="best">{text}</span>' if top else text)
            m.append(f"**{text}**" if top else text)
        html_rows.append(h)
        md_rows.append(m)
    per_run = board.groupby("run", sort=False)["mean"].agg(["mean", "std"]).reindex(runs)
    return ["run", *classifiers], html_rows, md_rows, per_run.fillna(0.0)


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


def build_report(result: EvaluationResult, *,
                 validation: Sequence[tuple[str, Mapping[str, Any]]] = (),
                 audit: Sequence[tuple[str, Mapping[str, Any]]] = (),
                 rules: Sequence[tuple[str, Mapping[str, Any]]] = (),
                 title: str = "iotforge evaluation") -> Report:
    """Render ``result`` (and optional validation/audit JSON) as HTML and Markdown.

    Parameters
    ----------
    result
        An evaluation, e.g. from :func:`evaluation.store.read_results`.
    validation, audit, rules
        ``(label, parsed JSON)`` pairs: ``iotforge validate --json``, ``iotforge audit``
        and ``iotforge rules`` outputs. Absent ones are reported as not provided.
    """
    res, cfg = result.results, result.config
    comps = result.comparisons
    if comps.empty:
        comps = compare(res, result.predictions, exclude=cfg.get("detectors") or [],
                        seeds_vary=cfg.get("seeds_vary") or {},
                        n_boot=int(cfg.get("n_boot") or 1000))
    train_counts = result.class_counts.get("train") or cfg.get("test_counts") or {}
    rare = cfg.get("rare_classes")
    if rare is None:
        rare = rare_classes(train_counts)
    h: list[str] = [f"<h1>{escape(title)}</h1>", f'<p class="muted">{cfg.get("n_train", "?")} '
                    f"training rows, {cfg.get('n_test', '?')} test rows (never augmented); "
                    f"target {escape(str(cfg.get('target', 'label')))}; "
                    f"{len(cfg.get('seeds', []))} seeds; classifiers: "
                    f"{escape(', '.join(cfg.get('classifiers', [])))}.</p>"]
    md: list[str] = [f"# {title}", ""]

    sh, sm = summary_section(comps, rare)
    h += [f"<h2>{SECTIONS[0]}</h2>", *sh]
    md += [f"## {SECTIONS[0]}", "", *sm]

    header, rows_h, rows_m, per_run = _leaderboard(res)
    h += [f"<h2>{SECTIONS[1]}</h2>", "<p>Macro-F1 on the real test rows, mean ± sd over seeds; "
          "the best run per classifier in bold.</p>", _table(header, rows_h),
          _svg.mean_bars(list(per_run.index), list(per_run["mean"]), list(per_run["std"]),
                         title="macro-F1, mean over classifiers (± sd across classifiers)",
                         reference=float(per_run.loc["none", "mean"])
                         if "none" in per_run.index else None)]
    md += [f"## {SECTIONS[1]}", "", "Macro-F1, mean ± sd over seeds.", "",
           _md_table(header, rows_m), ""]

    ch, cm = comparison_section(comps)
    h += [f"<h2>{SECTIONS[2]}</h2>", "<p>Macro-F1 with augmentation minus without, same "
          "classifier and seeds, on the same test rows.</p>", *ch]
    md += [f"## {SECTIONS[2]}", "", *cm]

    test_counts = cfg.get("test_counts") or {}
    rh, rm = rare_section(res, comps, train_counts, test_counts, rare, result.diagnostics)
    h += [f"<h2>{SECTIONS[3]}</h2>", *rh]
    md += [f"## {SECTIONS[3]}", "", *rm]

    for i, (html_parts, md_lines) in ((4, recall_section(res, train_counts)),
                                      (5, detection_section(res))):
        h += [f"<h2>{SECTIONS[i]}</h2>", *html_parts]
        md += [f"## {SECTIONS[i]}", "", *md_lines]

    h.append(f"<h2>{SECTIONS[6]}</h2>")
    md += [f"## {SECTIONS[6]}", ""]
    counts = result.class_counts
    if counts.get("train"):
        classes = list(counts["train"])
        series = {("train (real)" if k == "train" else f"{k} (real + synthetic)"):
                  [v.get(c, 0) for c in classes] for k, v in counts.items()}
        h.append(_svg.log_bars(classes, series, title="training rows per class (log scale)"))
        md += [_md_table(["class", *series], [[c, *[f"{s[i]:,}" for s in series.values()]]
                                              for i, c in enumerate(classes)]), ""]
    else:
        h.append("<p>No class counts recorded.</p>")
        md += ["No class counts recorded.", ""]

    h.append(f"<h2>{SECTIONS[7]}</h2>")
    proj = result.projection
    if proj is not None and not proj.empty:
        h.append("<p>Each panel: one rare class, its real training rows and the synthetic "
                 "rows made for it, on the first two principal components of the real rows "
                 "(after imputation, signed log and scaling). Rings far from every dot are "
                 "rows no real capture resembles; rings only on top of dots are near-copies."
                 "</p>")
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
    else:
        h.append("<p>No synthetic rows to project.</p>")

    h.append(f"<h2>{SECTIONS[8]}</h2>")
    h += _confusions(result)

    rh, rm = rules_section(rules)
    h += [f"<h2>{SECTIONS[9]}</h2>", *rh]
    md += [f"## {SECTIONS[9]}", "", *rm]

    h.append(f"<h2>{SECTIONS[10]}</h2>")
    md += [f"## {SECTIONS[10]}", ""]
    fh, fm = _fidelity(result.fidelity)
    rfh, rfm = rule_fidelity_table(result.fidelity)
    h += [*fh, *rfh]
    md += [*fm, "", *rfm, ""]

    h.append(f"<h2>{SECTIONS[11]}</h2>")
    md += [f"## {SECTIONS[11]}", ""]
    for items, fn, kind in ((validation, _validation_summary, "validation"),
                            (audit, _audit_summary, "audit")):
        if not items:
            h.append(f'<p class="muted">No {kind} report was given.</p>')
            md.append(f"- no {kind} report was given")
        for label, data in items:
            part_h, part_m = fn(label, data)
            h.append(part_h)
            md.append(part_m)
    md.append("")

    h.append(f"<h2>{SECTIONS[12]}</h2>")
    h += _settings(cfg, result.notes)
    md += ["## Notes", "", *[f"- {n}" for n in result.notes or ["none"]], ""]
    html = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width\"><title>{escape(title)}"
            f"</title><style>{CSS}</style></head><body><main>{''.join(h)}</main></body></html>")
    return Report(html=html, markdown="\n".join(md))


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


def _settings(cfg: Mapping[str, Any], notes: Sequence[str]) -> list[str]:
    rows = [[escape(c), escape(CLASSIFIERS[c].description if c in CLASSIFIERS else "custom")]
            for c in cfg.get("classifiers", [])]
    out = [_table(["classifier", "settings"], rows),
           f"<p>Seeds: {escape(str(cfg.get('seeds')))}; arms: "
           f"{escape(', '.join(cfg.get('arms', [])))}; PCA: {escape(str(cfg.get('pca')))}; "
           f"{len(cfg.get('numeric', []))} numeric and {len(cfg.get('categorical', []))} "
           "categorical feature columns.</p>"]
    if notes:
        out.append("<h3>Notes</h3><ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes)
                   + "</ul>")
    return out


def write_report(report: Report, out: str | Path) -> tuple[Path, Path]:
    """Write ``out/report.html`` and ``out/report.md`` atomically."""
    out = Path(out)
    atomic_text(out / "report.html", report.html)
    atomic_text(out / "report.md", report.markdown + "\n")
    return out / "report.html", out / "report.md"
