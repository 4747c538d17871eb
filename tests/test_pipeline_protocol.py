"""A dataset's own protocol through params.yaml alone: official train and test files,
kept whole by curate --dedupe-scope file, split predefined by file, scored by attack
family, from a fresh project with `dvc repro`.

The captures are two TON_IoT device files (thermostat, weather), each cut into a train
file and a test file in folders of those names, the way published datasets ship theirs.
"""

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
PER_CLASS = 120  # rows per class and device, before the train/test cut


def _dvc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
           f"{os.environ.get('PATH', '')}", "DVC_NO_ANALYTICS": "1"}
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def project(datasets, tmp_path_factory):
    work = tmp_path_factory.mktemp("protocol")
    captures = work / "captures"
    written = {}
    for name in DEVICES:
        df = pd.read_csv(datasets / "ton_iot_telemetry" / name, dtype=str,
                         keep_default_na=False)
        rng = np.random.default_rng(0)
        keep = np.concatenate([rng.choice(rows.index.to_numpy(), min(len(rows), PER_CLASS),
                                          replace=False) for _, rows in df.groupby("type")])
        sub = df.loc[np.sort(keep)]
        test = rng.random(len(sub)) < 0.3
        for side, rows in (("train", sub[~test]), ("test", sub[test])):
            (captures / side).mkdir(parents=True, exist_ok=True)
            rows.to_csv(captures / side / name, index=False)
            written[(side, name)] = rows
    for item in ("dvc.yaml", "bin", "config", "curation", "augment", "evaluation",
                 "expectations"):
        src = ROOT / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, work / item)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["curate"].update(root=str(captures), args={"inputs": [str(captures)]},
                            flags="--dedupe-scope file")
    params["validate"]["args"]["suite"] = ["ton_iot_thermostat", "ton_iot_weather"]
    params["audit"]["args"]["accept"] = [
        "single-column:date", "single-column:time", "single-column:timestamp",
        "time-disjoint:timestamp"]
    params["split"].update(mode="predefined", target="attack_family",
                           args={"test-files": ["*/test/*"], "test-where": []})
    params["augment"]["methods"] = {"smote": {"strategy": "power:0.5", "args": {"param": []}}}
    params["evaluate"].update(classifiers="decision_tree", seeds="0,1", bootstrap=200)
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert _dvc("init", "--no-scm", "-q", cwd=work).returncode == 0
    res = _dvc("repro", cwd=work)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return work, written


def test_the_test_side_is_the_test_files(project):
    work, written = project
    test = pd.read_parquet(work / "data/split/test.parquet")
    train = pd.read_parquet(work / "data/split/train.parquet")
    report = json.loads((work / "data/curated/report.json").read_text())
    for name in DEVICES:
        path = next(f for f in report["files"] if f["path"].endswith(f"test/{name}"))
        rows = test[test["source_file"] == path["path"]]
        lost = path["rows_quarantined"] + path["rows_duplicate"]
        # every record of the test file is on the test side, unless curate set it aside
        assert path["rows_read"] == len(written[("test", name)])
        assert len(rows) == len(written[("test", name)]) - lost
        assert rows["source_row"].is_unique
    assert test["source_file"].str.contains("/test/").all()
    assert not train["source_file"].str.contains("/test/").any()
    split = json.loads((work / "data/split/split.json").read_text())
    assert split["mode"] == "predefined" and split["target"] == "attack_family"


def test_metrics_and_comparisons_per_family(project):
    work, _ = project
    test = pd.read_parquet(work / "data/split/test.parquet")
    family = np.where(test["is_attack"].astype(bool), test["attack_family"].fillna("unknown"),
                      "normal")
    details = json.loads((work / "data/evaluation/smote/details.json").read_text())
    assert details["config"]["target"] == "attack_family"
    assert set(details["config"]["test_counts"]) == set(family)
    comp = pd.read_csv(work / "data/evaluation/smote/comparison.csv", dtype={"class": str})
    recall = comp[(comp["metric"] == "recall") & (comp["classifier"] == "all classifiers")]
    assert set(recall["class"]) == set(family)  # one interval and verdict per family
    assert set(recall["verdict"]) <= {"helped", "hurt", "no detectable difference",
                                      "untested"}
    metrics = json.loads((work / "data/evaluation/smote/metrics.json").read_text())
    rare = details["config"]["rare_classes"]
    # every family's recall, the rare ones included
    assert rare and set(metrics["decision_tree"]) == {"macro_f1",
                                                      *(f"recall_{c}" for c in family)}
    md = (work / "reports/report/report.md").read_text()
    assert "target attack_family" in (work / "reports/report/report.html").read_text()
    assert "## Rare-class diagnostics" in md
