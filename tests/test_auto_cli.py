"""The command line around auto: ``evaluate --augment auto``, one default strategy,
progress lines off a terminal, auto's cost printed before it starts, the candidates
quoted from one list."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from iotforge.augment import resolve_sampling_strategy
from iotforge.augment._registry import AUTO_CANDIDATES, DEFAULT_STRATEGY

ROOT = Path(__file__).resolve().parents[1]


def _write(path: Path, side: str, n_scale: int = 1, seed: int = 0) -> pd.DataFrame:
    from iotforge.curation.schema import TableMeta, write_frame_atomic

    rng = np.random.default_rng(seed)
    sizes = {"normal": 200 * n_scale, "dos_hulk": 30 * n_scale, "portscan": 12 * n_scale}
    centre = {"normal": 0.0, "dos_hulk": 3.0, "portscan": -3.0}
    parts = [pd.DataFrame({
        "source": "flows", "source_file": f"{side}.csv", "source_row": np.arange(n),
        "is_synthetic": False, "augmenter": pd.Series([None] * n, dtype="string"),
        "label": label, "label_raw": label, "is_attack": label != "normal",
        "attack_family": {"normal": None, "portscan": "probe"}.get(label, "dos"),
        "bytes": rng.normal(centre[label], 1, n), "pkts": rng.normal(centre[label], 1, n)})
        for label, n in sizes.items()]
    df = pd.concat(parts, ignore_index=True)
    roles = {c: "provenance" for c in ("source", "source_file", "source_row", "is_synthetic",
                                       "augmenter")}
    roles.update({c: "label" for c in ("label", "label_raw", "is_attack", "attack_family")})
    roles.update(bytes="numeric", pkts="numeric")
    meta = TableMeta(stage="split", roles=roles, sources=["flows"], split=side, seed=0,
                     extra={"target": "label", "split": {"mode": "stratified"}})
    write_frame_atomic(df, path, meta)
    return df


@pytest.mark.slow
def test_evaluate_runs_auto_and_prints_progress_lines(cli, tmp_path):
    _write(tmp_path / "train.parquet", "train")
    _write(tmp_path / "test.parquet", "test", seed=1)
    res = cli("evaluate", "--train", str(tmp_path / "train.parquet"), "--test",
              str(tmp_path / "test.parquet"), "--augment", "auto", "--classifiers",
              "decision_tree", "--seeds", "0", "--arms", "none,real+synthetic",
              "--no-rules", "--out", str(tmp_path / "eval"))
    assert res.returncode == 0, res.stderr
    comparison = pd.read_csv(tmp_path / "eval" / "comparison.csv")
    assert set(comparison["augmenter"]) == {"auto"}
    # stderr is a pipe here, not a terminal: one timestamped line per step
    assert re.search(r"^\[\s*\d+ s\] auto augment seed 0$", res.stderr, re.M), res.stderr


def test_evaluate_help_lists_auto_and_the_default_strategy(cli):
    res = cli("evaluate", "--help")
    assert res.returncode == 0
    text = " ".join(res.stdout.split())
    assert "ctgan, tvae, gaussian_copula, copulagan, auto" in text
    assert f"STRATEGY defaults to {DEFAULT_STRATEGY}" in text


def test_evaluate_augment_without_strategy_uses_the_default(tmp_path):
    from iotforge.commands.evaluate import _augmenters

    y = np.array(["normal"] * 400 + ["rare"] * 16, dtype=object)
    X = pd.DataFrame({"v": np.random.default_rng(0).normal(size=len(y))})
    sampler = _augmenters(["smote"])["smote"](0)
    _, y_res = sampler.fit_resample(X, y)
    added = int((y_res == "rare").sum()) - 16
    # power:0.5 computed here: 16 * sqrt(400 / 16) = 80 rows, so 64 added
    assert added == 64 == resolve_sampling_strategy("power:0.5", y)["rare"]


def test_augment_prints_auto_budget_before_it_starts(cli, tmp_path):
    _write(tmp_path / "train.parquet", "train")
    res = cli("augment", str(tmp_path / "train.parquet"), "--method", "auto",
              "--candidates", "random_oversampler", "--param", "n_repeats=1",
              "--time-limit", "120", "--out", str(tmp_path / "auto.parquet"))
    assert res.returncode == 0, res.stderr
    first = res.stderr.strip().splitlines()[0]
    assert first == "auto: 1 candidates on 242 rows; at most 120 s per source (1 sources)"
    report = json.loads((tmp_path / "auto.json").read_text())
    selection = report["sources"]["flows"]["selection"]
    assert selection["repeats"] == 1 and selection["stop"]
    assert selection["fold_scheme"] == "stratified"


def test_default_candidates_are_quoted_from_one_list(cli):
    help_text = " ".join(cli("augment", "--help").stdout.split())
    assert ", ".join(AUTO_CANDIDATES) in help_text
    docs = " ".join((ROOT / "docs" / "augment.md").read_text().split())
    assert ", ".join(f"`{c}`" for c in AUTO_CANDIDATES) in docs
    params = (ROOT / "params.yaml").read_text()
    assert ",".join(AUTO_CANDIDATES) in params
