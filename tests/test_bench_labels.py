"""benchmarks/bench_labels.py's noise planting and its ranked baseline, on constructed
labels (the benchmark itself runs on the shared datasets, outside the test suite)."""

from __future__ import annotations

import importlib.util
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import ROOT


@pytest.fixture(scope="module")
def bench():
    path = ROOT / "benchmarks" / "bench_labels.py"
    spec = importlib.util.spec_from_file_location("bench_labels", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_labels"] = module
    spec.loader.exec_module(module)
    return module


def labels() -> np.ndarray:
    return np.array(["normal"] * 600 + ["dos"] * 300 + ["scan"] * 80 + ["xss"] * 20)


@pytest.mark.parametrize("scenario,count", [("uniform5", 50), ("uniform10", 100)])
def test_uniform_noise_flips_exactly_the_share(bench, scenario: str, count: int) -> None:
    y = labels()
    noisy, mask, _ = bench.plant(y, scenario, np.random.default_rng(0))
    assert mask.sum() == count == (noisy != y).sum()
    assert set(noisy) <= set(y)


def test_class_conditional_noise(bench) -> None:
    y = labels()
    noisy, mask, what = bench.plant(y, "rare_to_majority", np.random.default_rng(0))
    # the rarest class with at least 20 rows is xss: 20 % of it, 4 rows, become normal
    assert mask.sum() == 4 and set(y[mask]) == {"xss"} and set(noisy[mask]) == {"normal"}
    assert what.endswith("[focus xss]")
    noisy, mask, what = bench.plant(y, "majority_to_attack", np.random.default_rng(0))
    assert mask.sum() == 30 and set(y[mask]) == {"normal"} and set(noisy[mask]) == {"dos"}


def test_ranked_baseline_at_equal_recall(bench) -> None:
    # rows 0, 2, 3, 4, 5 disagree with their labels; ranked by the predicted class's
    # probability (ties by row): 2 (0.9, planted), 4 (0.8), 0 (0.7, planted), 3 (0.6),
    # 5 (0.6, planted)
    probs = np.array([[0.3, 0.7], [0.9, 0.1], [0.1, 0.9], [0.6, 0.4], [0.2, 0.8],
                      [0.4, 0.6], [0.45, 0.55]])
    given = np.array([0, 0, 0, 1, 0, 0, 1])
    planted = np.array([True, False, True, False, False, True, False])
    audit = SimpleNamespace(probs_=probs, issues_=SimpleNamespace(
        disagrees=probs.argmax(axis=1) != given))
    assert bench.baseline_at(1, audit, planted) == 1.0
    assert bench.baseline_at(2, audit, planted) == pytest.approx(2 / 3)
    assert bench.baseline_at(3, audit, planted) == pytest.approx(3 / 5)
    assert np.isnan(bench.baseline_at(4, audit, planted))


def test_verdicts(bench) -> None:
    found = {"flagged": 10, "found": 9, "precision": 0.9}
    none = {"flagged": 0, "found": 0, "precision": float("nan")}
    assert bench.verdict_of(True, found, 0.5) == "abstains"
    assert bench.verdict_of(False, none, float("nan"), withheld=5) == "abstains (cannot tell)"
    assert bench.verdict_of(False, none, float("nan")) == "does not beat (finds none)"
    assert bench.verdict_of(False, found, 0.895) == "ties"
    assert bench.verdict_of(False, found, 0.8) == "beats"
    assert bench.verdict_of(False, found, 0.95) == "does not beat"


def test_verdict_table_per_seed(bench, tmp_path) -> None:
    import json

    def write(seed: int, abstained: bool, flagged: int, found: int, at: float,
              plain: float) -> None:
        d = tmp_path / f"seed{seed}" / "toy"
        d.mkdir(parents=True)
        a = {"flagged": flagged, "found": found,
             "precision": found / flagged if flagged else float("nan"), "recall": 0.5}
        (d / "uniform5.json").write_text(json.dumps({
            "audit": a, "abstain": {"abstained": abstained}, "baseline": {"precision": plain},
            "baseline_precision_at_recall": at, "withheld": 0}))

    write(0, False, 10, 9, 0.6, 0.4)   # beats both baselines: one word
    write(1, True, 0, 0, float("nan"), 0.3)
    write(2, False, 10, 9, 0.95, 0.5)  # beats the plain one, not the ranked one
    table = bench.verdicts(tmp_path, ["toy"], [0, 1, 2, 3]).splitlines()
    assert table[0] == "| dataset | scenario | seed 0 | seed 1 | seed 2 | seed 3 |"
    assert table[2] == ("| toy | uniform5 | beats (0.90 / 0.50 vs 0.40 / 0.60) | abstains | "
                        "beats / does not beat (0.90 / 0.50 vs 0.50 / 0.95) | – |")
    assert len(table) == 2 + len(bench.SCENARIOS)
