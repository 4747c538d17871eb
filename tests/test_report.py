"""The report: every section, honest sentences, self-contained HTML, optional inputs."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from evaluation_fixtures import CATEGORICAL, NUMERIC, NoiseSampler, split_tables
from imblearn.over_sampling import RandomOverSampler
from iotforge.evaluation.evaluate import EvaluationResult, evaluate
from iotforge.evaluation.report import SECTIONS, build_report, write_report
from iotforge.evaluation.store import read_results, write_results
from iotforge.evaluation.summary import COLUMNS

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


def test_every_section_in_order_and_the_hurt_sentence(result: EvaluationResult) -> None:
    report = build_report(result, validation=[("validation.json", VALIDATION)],
                          audit=[("audit.json", AUDIT)])
    positions = [report.html.find(f"<h2>{s}</h2>") for s in SECTIONS]
    assert -1 not in positions and positions == sorted(positions)
    sentence = re.search(r"noise \(real\+synthetic\) hurt macro-F1 \(mean of 2 classifiers\) "
                         r"over no augmentation: −[^<]*and of 3 seeds \(classifier and "
                         r"augmenter seeds\)", report.html)
    assert sentence, "the planted noise augmenter must be reported as hurting"
    assert "noise (real+synthetic) hurt macro-F1" in report.markdown
    # random over-sampling copies rows: nothing it could change is shown as a gain
    assert ("ros (real+synthetic): no detectable difference in macro-F1 (mean of 2 "
            "classifiers)") in report.markdown
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
    # no stored predictions: the t interval over seeds, and the report says so
    assert "good (real+synthetic) helped macro-F1" in report.markdown
    assert "flat (real+synthetic): no detectable difference in macro-F1" in report.markdown
    assert 'class="verdict helped"' in report.html
    assert "t interval of the per-seed differences" in report.markdown


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


def test_rare_class_diagnostics(result: EvaluationResult) -> None:
    md = build_report(result).markdown
    part = md[md.index("## Rare-class diagnostics"):md.index("## Per-class recall")]
    rows = {}
    for aug in ("ros", "noise"):
        block = part[part.index(f"### {aug}"):]
        line = next(li for li in block.splitlines() if li.startswith("| heartbleed |"))
        rows[aug] = [c.strip() for c in line.strip("|").split("|")]
    # training rows, synthetic rows per seed (ros: up to 300; noise: 4 x 12), test rows
    assert rows["ros"][1:4] == ["12", "288", "6"] and rows["noise"][1:4] == ["12", "48", "6"]
    # recall without / with: the mean over classifiers and seeds in the results
    res = result.results
    hb = res[(res["metric"] == "recall") & (res["class"] == "heartbleed")]
    for aug, cells in rows.items():
        arm = hb[(hb["augmenter"] == aug) & (hb["arm"] == "real+synthetic")]
        assert cells[4] == f"{hb[hb['arm'] == 'none']['value'].mean():.3f}"
        assert cells[5] == f"{arm['value'].mean():.3f}"
        assert cells[8] == "untested"  # 6 test rows: too few for a verdict
    # noise lands inside other classes' regions; copies of real rows do not
    share = {aug: float(cells[9].rstrip("%")) for aug, cells in rows.items()}
    assert share["noise"] >= 20 and share["ros"] <= float(rows["ros"][10].rstrip("%")) + 5


def test_auto_choice_per_seed_is_reported() -> None:
    from evaluation_fixtures import table

    train, test = split_tables()

    def auto(seed: int) -> pd.DataFrame:
        rows = table({"heartbleed": 20}, seed=seed).assign(is_synthetic=True)
        rows.attrs["chosen"] = {"fixture": "smote" if seed % 2 else "none"}
        return rows

    seeds = [0, 1, 2]
    r = evaluate(train, test, numeric=NUMERIC, categorical=CATEGORICAL,
                 synthetic={"auto": auto}, classifiers=["decision_tree"], seeds=seeds,
                 arms=["none", "real+synthetic"], n_boot=100)
    from iotforge.evaluation.evaluate import derive_seed

    odd = sum(derive_seed(s, "augment", "auto") % 2 for s in seeds)
    md = build_report(r).markdown
    line = next(li for li in md.splitlines() if li.startswith("| heartbleed |"))
    expected = sorted([("smote", odd), ("none", 3 - odd)], key=lambda t: (-t[1], t[0]))
    assert line.rstrip(" |").endswith(", ".join(f"{m} ({n})" for m, n in expected if n))
    assert r.config["seeds_vary"] == {"auto": "classifier and augmenter seeds"}
