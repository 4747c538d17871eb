"""The DVC pipeline end to end on a subset of the shared TON_IoT telemetry, through
params.yaml alone: reproducible, incremental, per-augmenter stages, one baseline stage,
and metrics files that hold only what runs are compared on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT

pytestmark = pytest.mark.pipeline

DEVICES = ["Train_Test_IoT_Thermostat.csv", "Train_Test_IoT_Weather.csv"]


def _dvc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
           f"{os.environ.get('PATH', '')}", "DVC_NO_ANALYTICS": "1"}
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def project(datasets, tmp_path_factory):
    work = tmp_path_factory.mktemp("pipeline")
    captures = work / "captures"
    captures.mkdir()
    for name in DEVICES:  # a stratified subset: every class, at most 400 rows each
        df = pd.read_csv(datasets / "ton_iot_telemetry" / name, dtype=str,
                         keep_default_na=False)
        keep = np.concatenate([
            rows.sample(min(len(rows), 400), random_state=0).index.to_numpy()
            for _, rows in df.groupby("type")])
        df.loc[np.sort(keep)].to_csv(captures / name, index=False)
    for item in ("dvc.yaml", "bin", "config", "curation", "augment", "evaluation",
                 "expectations"):
        src = ROOT / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, work / item)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["curate"]["root"] = str(captures)  # a list of inputs: one file and one glob
    params["curate"]["args"]["inputs"] = [str(captures / DEVICES[0]), str(captures / "*Weather*")]
    params["validate"]["args"]["suite"] = ["ton_iot_thermostat", "ton_iot_weather"]
    params["audit"]["args"]["accept"] = [
        "single-column:date", "single-column:time", "single-column:timestamp",
        "time-disjoint:timestamp"]
    params["augment"]["methods"] = {
        "smote": {"strategy": "power:0.5", "args": {"param": []}},
        "random_oversampler": {"strategy": "power:0.5", "args": {"param": []}},
    }
    params["evaluate"] = {**params["evaluate"], "classifiers": "decision_tree,naive_bayes",
                          "seeds": "0,1", "bootstrap": 200}
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert _dvc("init", "--no-scm", "-q", cwd=work).returncode == 0
    res = _dvc("repro", cwd=work)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return work


def test_pipeline_runs_on_real_telemetry(project):
    report = json.loads((project / "data/curated/report.json").read_text())
    assert {f["source"] for f in report["files"]} == {"ton_iot:thermostat", "ton_iot:weather"}
    html = (project / "reports/report/report.html").read_text()
    assert "smote" in html and "random_oversampler" in html
    metrics = json.loads((project / "data/evaluation/smote/metrics.json").read_text())
    baseline = json.loads((project / "data/evaluation/none/metrics.json").read_text())
    assert set(metrics) == set(baseline) == {"decision_tree", "naive_bayes"}
    # macro-F1 and the recall of every class
    train = pd.read_parquet(project / "data/split/train.parquet")
    test = pd.read_parquet(project / "data/split/test.parquet")
    classes = set(train["label"]) | set(test["label"])
    assert set(metrics["naive_bayes"]) == {"macro_f1", *(f"recall_{c}" for c in classes)}
    assert 0 < baseline["decision_tree"]["macro_f1"] <= 1
    # dvc metrics show: the evaluation's numbers only, one file per evaluate stage
    shown = _dvc("metrics", "show", "--json", cwd=project)
    assert shown.returncode == 0, shown.stderr
    files = next(iter(json.loads(shown.stdout).values()))["data"]  # the workspace
    assert set(files) == {f"data/evaluation/{m}/metrics.json"
                          for m in ("none", "smote", "random_oversampler")}
    columns = {f"{clf}.{k}" for f in files.values() for clf, v in f["data"].items() for k in v}
    assert len(columns) == 2 * (1 + len(classes))
    # the report's leaderboard shows the numbers dvc metrics show lists
    md = (project / "reports/report/report.md").read_text()
    lines = md[md.index("## Leaderboard"):].splitlines()
    header = next(line for line in lines if line.startswith("| run"))
    names = [c.strip() for c in header.strip("|").split("|")]
    table = {}
    for line in lines:
        if line.startswith("| ") and "±" in line:
            cells = [c.strip().strip("*") for c in line.strip("|").split("|")]
            table[cells[0]] = {n: float(c.split("±")[0]) for n, c in zip(names[1:], cells[1:],
                                                                          strict=True)}
    for values_of, arm in ((baseline, "none"), (metrics, "smote (real+synthetic)")):
        for clf, values in values_of.items():
            assert abs(table[arm][clf] - values["macro_f1"]) < 6e-4, (arm, clf)
    assert "## Rare-class diagnostics" in md and "95% interval" in md


def test_baseline_is_trained_once_and_compared_with(project):
    base = pd.read_parquet(project / "data/evaluation/none/results.parquet")
    for m in ("smote", "random_oversampler"):
        res = pd.read_parquet(project / f"data/evaluation/{m}/results.parquet")
        none = res[res["arm"] == "none"].reset_index(drop=True)
        pd.testing.assert_frame_equal(none, base.reset_index(drop=True))
        comp = pd.read_csv(project / f"data/evaluation/{m}/comparison.csv")
        assert set(comp["test"]) == {"paired bootstrap"}
        assert comp["covers"].str.contains("2 seeds \\(classifier and augmenter seeds\\)").all()
    lock = yaml.safe_load((project / "dvc.lock").read_text())["stages"]
    assert "--arms none" in lock["evaluate_none"]["cmd"]
    assert "--baseline data/evaluation/none" in lock["evaluate@smote"]["cmd"]


def test_second_repro_does_nothing(project):
    res = _dvc("repro", cwd=project)
    assert res.returncode == 0
    assert "Running stage" not in res.stdout


def test_one_augmenter_parameter_reruns_only_its_stages(project):
    params_path = project / "params.yaml"
    params = yaml.safe_load(params_path.read_text())
    params["augment"]["methods"]["random_oversampler"]["strategy"] = "floor:0.2"
    params_path.write_text(yaml.safe_dump(params, sort_keys=False))
    res = _dvc("repro", cwd=project)
    assert res.returncode == 0, res.stderr[-2000:]
    ran = sorted(line.split("'")[1] for line in res.stdout.splitlines()
                 if line.startswith("Running stage"))
    assert ran == ["augment@random_oversampler", "evaluate@random_oversampler", "report",
                   "validate_synthetic@random_oversampler"]


def test_same_seed_same_metrics(project):
    path = project / "data/evaluation/smote/metrics.json"
    before = path.read_bytes()
    res = _dvc("repro", "--force", "--single-item", "augment@smote", cwd=project)
    assert res.returncode == 0
    res = _dvc("repro", "--force", "--single-item", "evaluate@smote", cwd=project)
    assert res.returncode == 0, res.stderr[-2000:]
    assert path.read_bytes() == before
