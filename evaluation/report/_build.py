"""The report's frame: its sections in order, the page and the summary, and writing them
(:mod:`iotforge.evaluation.report` says what the report holds)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
from iotforge.curation.schema import atomic_text

from ..classifiers import CLASSIFIERS
from ..comparisons import compare
from ..diagnostics import rare_classes
from ..evaluate import EvaluationResult
from ..summary import leaderboard, run_label
from . import _svg
from ._data_sections import (
    _confusions,
    counts_section,
    fidelity_section,
    inputs_section,
    projection_section,
)
from ._html import _f, _md_table, _table
from ._sections import detection_section, recall_section, rules_section
from ._verdicts import comparison_section, rare_section, summary_section

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


def build_report(result: EvaluationResult, *,
                 validation: Sequence[tuple[str, Mapping[str, Any]]] = (),
                 audit: Sequence[tuple[str, Mapping[str, Any]]] = (),
                 rules: Sequence[tuple[str, Mapping[str, Any]]] = (),
                 title: str = "iotforge evaluation") -> Report:
    """Render ``result`` (and optional validation/audit JSON) as HTML and Markdown.

    Parameters
    ----------
    result
        An evaluation, e.g. from :func:`iotforge.evaluation.store.read_results`.
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
    sections: list[tuple[int, list[str], list[str] | None]] = [
        (0, *summary_section(comps, rare)),
        (1, *_leaderboard_section(res)),
        (2, *_comparison_section(comps)),
        (3, *rare_section(res, comps, train_counts, cfg.get("test_counts") or {}, rare,
                          result.diagnostics)),
        (4, *recall_section(res, train_counts)),
        (5, *detection_section(res)),
        (6, *counts_section(result.class_counts)),
        (7, projection_section(result), None),
        (8, _confusions(result), None),
        (9, *rules_section(rules)),
        (10, *fidelity_section(result.fidelity)),
        (11, *inputs_section(validation, audit)),
    ]
    h, md = _title(title, cfg)
    for i, html_parts, md_lines in sections:
        h += [f"<h2>{SECTIONS[i]}</h2>", *html_parts]
        if md_lines is not None:
            md += [f"## {SECTIONS[i]}", "", *md_lines]
    h += [f"<h2>{SECTIONS[12]}</h2>", *_settings(cfg, result.notes)]
    md += ["## Notes", "", *[f"- {n}" for n in result.notes or ["none"]], ""]
    html = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width\"><title>{escape(title)}"
            f"</title><style>{CSS}</style></head><body><main>{''.join(h)}</main></body></html>")
    return Report(html=html, markdown="\n".join(md))


def _title(title: str, cfg: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    return ([f"<h1>{escape(title)}</h1>", f'<p class="muted">{cfg.get("n_train", "?")} '
             f"training rows, {cfg.get('n_test', '?')} test rows (never augmented); "
             f"target {escape(str(cfg.get('target', 'label')))}; "
             f"{len(cfg.get('seeds', []))} seeds; classifiers: "
             f"{escape(', '.join(cfg.get('classifiers', [])))}.</p>"],
            [f"# {title}", ""])


def _leaderboard_section(res: pd.DataFrame) -> tuple[list[str], list[str]]:
    header, rows_h, rows_m, per_run = _leaderboard(res)
    return ([
        "<p>Macro-F1 on the real test rows, mean ± sd over seeds; "
        "the best run per classifier in bold.</p>", _table(header, rows_h),
        _svg.mean_bars(list(per_run.index), list(per_run["mean"]), list(per_run["std"]),
                       title="macro-F1, mean over classifiers (± sd across classifiers)",
                       reference=float(per_run.loc["none", "mean"])
                       if "none" in per_run.index else None)],
        ["Macro-F1, mean ± sd over seeds.", "", _md_table(header, rows_m), ""])


def _comparison_section(comps: pd.DataFrame) -> tuple[list[str], list[str]]:
    ch, cm = comparison_section(comps)
    return ["<p>Macro-F1 with augmentation minus without, same "
            "classifier and seeds, on the same test rows.</p>", *ch], cm


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
