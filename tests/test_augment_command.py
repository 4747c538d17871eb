"""``iotforge augment`` on a real split: provenance, train-only, exact counts, contracts."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from iotforge.curation.schema import read_meta


@pytest.fixture(scope="module")
def split_dir(demo_dir, tmp_path_factory):
    from conftest import run_cli

    out = tmp_path_factory.mktemp("split")
    assert run_cli("curate", str(demo_dir), "--out", str(out / "cur")).returncode == 0
    res = run_cli("split", str(out / "cur" / "curated.parquet"), "--out", str(out / "split"),
                  "--test-size", "0.25")
    assert res.returncode == 0, res.stderr
    return out / "split"


def test_refuses_anything_but_a_train_split(cli, split_dir, tmp_path):
    res = cli("augment", str(split_dir / "test.parquet"), "--method", "smote",
              "--out", str(tmp_path / "a.parquet"))
    assert res.returncode == 2
    assert "expected a train split" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "a.parquet").exists()


def test_smote_power_strategy_exact_counts_and_provenance(cli, split_dir, tmp_path):
    out = tmp_path / "smote.parquet"
    res = cli("augment", str(split_dir / "train.parquet"), "--method", "smote",
              "--strategy", "power:0.5", "--suite", "demo_telemetry", "demo_zeek",
              "demo_flows", "--holdout", str(split_dir / "test.parquet"), "--out", str(out))
    assert res.returncode == 0, res.stderr
    train = pd.read_parquet(split_dir / "train.parquet")
    aug = pd.read_parquet(out)
    report = json.loads(out.with_suffix(".json").read_text())
    real, synth = aug[~aug["is_synthetic"]], aug[aug["is_synthetic"]]
    # real rows unchanged, in order
    pd.testing.assert_frame_equal(real.drop(columns=["is_synthetic"]).reset_index(drop=True),
                                  train.drop(columns=["is_synthetic"]), check_dtype=False)
    assert (synth["augmenter"] == "smote").all()
    assert synth["source_row"].isna().all() and synth["source_file"].isna().all()
    for source, entry in report["sources"].items():
        got = synth[synth["source"] == source]["label"].value_counts().to_dict()
        assert got == entry["n_synthetic"], source
        before = pd.Series(entry["before"]).sort_values(ascending=False)
        after = pd.Series(entry["after"])[before.index]
        # power strategy: class rank order unchanged, majority untouched
        assert list(after.rank(method="first", ascending=False)) == sorted(
            after.rank(method="first", ascending=False))
        assert after.iloc[0] == before.iloc[0]
    # synthetic rows copy no training row (on the features of their source)
    meta = read_meta(out)
    assert meta.stage == "augment" and meta.split == "train"
    for source, rows in synth.groupby("source"):
        feats = [c for c in meta.feature_columns(aug.columns)
                 if train.loc[train["source"] == source, c].notna().any()]
        def key(frame, feats=feats):
            return set(map(tuple, frame[feats].astype(str).to_numpy()))

        assert not key(rows) & key(train[train["source"] == source])
    assert set(report["dcr"]) == set(report["sources"])
    # and they meet the data contracts
    res = cli("validate", str(out), "--synthetic", "--suite", "demo_telemetry", "demo_zeek",
              "demo_flows")
    assert res.returncode == 0, res.stdout + res.stderr
    assert pq.read_schema(out).names == pq.read_schema(split_dir / "train.parquet").names


def test_unknown_method_and_parameter_are_usage_errors(cli, split_dir, tmp_path):
    res = cli("augment", str(split_dir / "train.parquet"), "--method", "magic",
              "--out", str(tmp_path / "x.parquet"))
    assert res.returncode == 2 and "expected a method in" in res.stderr
    res = cli("augment", str(split_dir / "train.parquet"), "--method", "smote",
              "--param", "epochs=3", "--out", str(tmp_path / "x.parquet"))
    assert res.returncode == 2 and "unknown parameters ['epochs']" in res.stderr


def test_validate_synthetic_with_no_synthetic_rows_passes(cli, split_dir, tmp_path):
    """An augmenter that abstains (auto chose none) writes the real rows only: nothing
    to check is no failure; a table that is no augmented data at all is exit 2."""
    train = pd.read_parquet(split_dir / "train.parquet")
    out = tmp_path / "none.parquet"
    pq.write_table(pq.read_table(split_dir / "train.parquet"), out)
    assert "is_synthetic" in train.columns and not train["is_synthetic"].any()
    res = cli("validate", str(out), "--synthetic", "--suite", "demo_telemetry")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "nothing to check" in res.stdout
    plain = tmp_path / "plain.parquet"
    pq.write_table(pq.read_table(split_dir / "train.parquet").drop(["is_synthetic"]), plain)
    res = cli("validate", str(plain), "--synthetic", "--suite", "demo_telemetry")
    assert res.returncode == 2 and "is_synthetic" in res.stderr
