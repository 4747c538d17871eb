"""The report: every section, honest sentences, self-contained HTML, optional inputs."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from evaluation_fixtures import CATEGORICAL, NUMERIC, NoiseSampler, split_tables
from imblearn.over_sampling import RandomOverSampler

from evaluation.evaluate import EvaluationResult, evaluate
from evaluation.report import SECTIONS, build_report, write_report
from evaluation.store import read_results, write_results
from evaluation.summary import COLUMNS

VALIDATION = {"success": False, "suites": [{
    "suite": "flows", "success": False, "rows": 392, "evaluated": 392,
    "failures": [{"expectation": "expect_column_values_to_be_between", "column": "dst_port",
                  "message": "3 values out of range", "unexpected_count": 3}]}]}
AUDIT = {"ok": False, "errors": ["single-column:src_ip"], "rows": 392, "findings": [
    {"id": "single-column:src_ip", "severity": "error", "accepted": False,
     "message": "src_ip alone predicts the label"}]}


@pytest.fixture(scope="module")
def result() -> EvaluationResult:
    train, test = split_tables()
    return evaluate(train, test, numeric=NUMERIC, categorical=CATEGORICAL,
                    augmenters={"ros": lambda s: RandomOverSampler(random_state=s),
                                "noise": lambda s: NoiseSampler(factor=4, random_state=s)},
                    classifiers=["decision_tree", "naive_bayes"], seeds=[0, 1, 2])


def test_every_section_in_order_and_the_did_not_help_sentence(result: EvaluationResult) -> None:
    report = build_report(result, validation=[("validation.json", VALIDATION)],
                          audit=[("audit.json", AUDIT)])
    positions = [report.html.find(f"<h2>{s}</h2>") for s in SECTIONS]
    assert -1 not in positions and positions == sorted(positions)
    sentence = re.search(r"noise \(real\+synthetic\) did not improve macro-F1 \(mean of 2 "
                         r"classifiers\) over no augmentation[^<]*over 3 seeds", report.html)
    assert sentence, "the planted noise augmenter must be reported as not helping"
    assert "noise (real+synthetic) did not improve macro-F1" in report.markdown
    assert "| run | decision_tree | naive_bayes |" in report.markdown
    # class counts, projections and confusion matrices are drawn
    # leaderboard bars, class counts, 2 augmenters x 2 rare classes, 3 confusion matrices
    assert report.html.count("<svg") == 1 + 1 + 2 * 2 + 3
    assert "training rows per class (log scale)" in report.html
    assert "heartbleed (12 real, 288 synthetic)" in report.html  # ros: up to 300
    assert "heartbleed (12 real, 48 synthetic)" in report.html  # noise: 4 x 12
    assert "FAILED" in report.html and "single-column:src_ip" in report.html
    assert "dst_port" in report.html


def test_html_is_self_contained_and_script_free(result: EvaluationResult) -> None:
    html = build_report(result).html
    assert "<script" not in html.lower() and "src=" not in html
    assert set(re.findall(r"https?://[^\s\"']+", html)) == {"http://www.w3.org/2000/svg"}
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
        ET.fromstring(svg)  # well-formed XML, so every browser draws it
    assert "No validation report was given" in html and "No audit report was given" in html


def test_improvement_is_said_only_when_the_interval_excludes_zero() -> None:
    rows = [("none", "none", "rf", s, "macro_f1", "", 0.70) for s in range(5)]
    rows += [("good", "real+synthetic", "rf", s, "macro_f1", "", 0.75 + s / 1000)
             for s in range(5)]
    rows += [("flat", "real+synthetic", "rf", s, "macro_f1", "", 0.70 + (-1) ** s / 100)
             for s in range(5)]
    report = build_report(EvaluationResult(results=pd.DataFrame(rows, columns=COLUMNS)))
    assert "good (real+synthetic) improved macro-F1" in report.markdown
    assert "flat (real+synthetic) did not improve macro-F1" in report.markdown
    assert 'class="verdict improved"' in report.html


def test_baseline_only_report() -> None:
    rows = [("none", "none", "rf", s, "macro_f1", "", 0.7) for s in range(2)]
    report = build_report(EvaluationResult(results=pd.DataFrame(rows, columns=COLUMNS)))
    assert "No augmenter was compared with no augmentation." in report.html
    assert all(f"<h2>{s}</h2>" in report.html for s in SECTIONS)


def test_report_from_disk_matches_memory(result: EvaluationResult, tmp_path: Path) -> None:
    write_results(result, tmp_path / "eval")
    back = read_results([tmp_path / "eval"])
    html, md = write_report(build_report(back), tmp_path / "report")
    assert md.read_text() == build_report(result).markdown + "\n"
    assert "<h2>Confusion matrices</h2>" in html.read_text()
