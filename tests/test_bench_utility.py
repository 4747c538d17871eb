"""benchmarks/bench_utility.py on a few hundred constructed rows: the generator cap, the
time-split check, and one arm from evaluation to the report's numbers."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT


@pytest.fixture(scope="module")
def bench():
    path = ROOT / "benchmarks" / "bench_utility.py"
    spec = importlib.util.spec_from_file_location("bench_utility", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_utility"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.choice(["normal", "dos", "scan"], n, p=[0.75, 0.2, 0.05])
    x = rng.normal(size=n) + (y == "dos") * 2.5 + (y == "scan") * 1.5
    return pd.DataFrame({"x": x, "z": rng.normal(size=n), "label": y})


def test_capped_rows_keeps_small_classes_whole(bench):
    y = np.array(["a"] * 500 + ["b"] * 40 + ["c"] * 7)
    rows = bench.capped_rows(y, 100, seed=0)
    counts = pd.Series(y[rows]).value_counts()
    assert len(rows) == len(set(rows)) == 100
    assert counts["c"] == 7 and counts["b"] == 40 and counts["a"] == 53


def test_capped_generator_draws_for_the_whole_table(bench):
    from iotforge.augment import get_augmenter

    df = table(400, 0)
    X, y = df[["x", "z"]], df["label"].to_numpy()
    sampler = get_augmenter("random_oversampler")(random_state=0)
    capped = bench.CappedGenerator(sampler, cap=60, seed=0)
    X_res, y_res = capped.fit_resample(X, y)
    counts = pd.Series(y).value_counts()
    added = pd.Series(y_res[len(y):]).value_counts()
    # 'auto' raises every class to the largest, counted on all 400 rows, not the 60 fitted
    for cls, n in counts.items():
        assert added.get(cls, 0) == counts.max() - n
    assert X_res.iloc[:len(X)].equals(X.reset_index(drop=True))
    assert capped.synthetic_mask_.sum() == len(y_res) - len(y)


def test_time_split_problem_names_one_sided_classes(bench):
    ok = {"classes": {"a": {"train": 80, "test": 20}, "b": {"train": 30, "test": 12},
                      "tiny": {"train": 0, "test": 3}}}
    assert bench.time_split_problem(ok) == ""
    bad = {"classes": {"a": {"train": 80, "test": 0}, "b": {"train": 0, "test": 40},
                       "c": {"train": 30, "test": 5}}}
    text = bench.time_split_problem(bad)
    assert "only in test: b" in text and "fewer than 10 test rows: a, c" in text


def test_one_arm_end_to_end(bench, tmp_path: Path):
    train, test = table(300, 1), table(200, 2)
    data = bench.Prepared(train, test, ["x", "z"], [], "stratified", "constructed")
    settings = {"seeds": 2, "gen_seeds": 2, "epochs": 1, "gen_cap": 100, "n_boot": 50,
                "classifier": "random_forest", "test_size": 0.2}
    arms = {a.name: a for a in bench.arms()}
    for name in ("none", "random_oversampler"):
        bench.run_arm(arms[name], data, tmp_path / "toy" / name, [0, 1], settings)
    (tmp_path / "toy" / "dataset.json").write_text(json.dumps(data.facts()))
    res = pd.read_parquet(tmp_path / "toy" / "random_oversampler" / "results.parquet")
    f1 = res[res["metric"] == "macro_f1"].groupby("arm")["value"].mean()
    text = bench.report(tmp_path, ["toy"], ["none", "random_oversampler"])
    row = next(line for line in text.splitlines() if line.startswith("| toy | random_over"))
    shown = float(re.search(r"\| ([+−]\d\.\d{3}) \[", row).group(1).replace("−", "-"))
    assert shown == pytest.approx(f1["real+synthetic"] - f1["none"], abs=6e-4)
    assert f"| {f1['none']:.3f} |" in row


def test_one_feature_row_in_train_is_not_measurable(bench, tmp_path: Path):
    train, test = table(300, 3), table(100, 4)
    train["x"], train["z"] = 1.0, 2.0  # every training row the same: nothing to learn
    data = bench.Prepared(train, test, ["x", "z"], [], "stratified", "constructed")
    facts = data.facts()
    assert facts["distinct_train"] == 1 and facts["distinct_test"] == 100
    assert facts["not_measurable"] == "1 distinct feature row(s) in train for 3 classes"
    settings = {"seeds": 1, "n_boot": 20, "classifier": "random_forest"}
    bench.run_arm(bench.arms()[0], data, tmp_path / "flat" / "none", [0], settings)
    (tmp_path / "flat" / "dataset.json").write_text(json.dumps(facts))
    text = bench.report(tmp_path, ["flat"], ["none", "smote"])
    assert "| flat | every arm | – |" in text and "| flat | smote |" not in text
