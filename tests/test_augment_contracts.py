"""Every augmenter on real rare classes: exact counts, rows that meet the data contract,
no copies of training rows, class rank order kept (TON_IoT thermostat, CIC-IDS2017)."""

from __future__ import annotations

import pandas as pd
import pytest
from iotforge.augment import augment_table
from iotforge.augment._factory import METHODS
from iotforge.curation.contracts.contract import valid_rows
from iotforge.curation.contracts.suites import load_suite
from iotforge.curation.curate import curate
from iotforge.curation.leakage.split import split
from iotforge.curation.schema import read_meta

TINY = {
    "ctgan": {"epochs": 2, "batch_size": 50, "generator_dim": [16], "discriminator_dim": [16],
              "embedding_dim": 8, "pac": 5},
    "copulagan": {"epochs": 2, "batch_size": 50, "generator_dim": [16],
                  "discriminator_dim": [16], "embedding_dim": 8, "pac": 5},
    "tvae": {"epochs": 2, "batch_size": 50, "compress_dims": [16], "decompress_dims": [16],
             "embedding_dim": 8},
}
CIC_FILES = ["BENIGN_2500.csv", "Botnet_736.csv", "Heartbleed_11.csv",
             "Web_Attack_-_SQL_Injection_13.csv", "Web_Attack_-_XSS_18.csv"]


def _train(paths, out, cap=600):
    curate(paths, out)
    meta = read_meta(out / "curated.parquet")
    df = pd.read_parquet(out / "curated.parquet")
    result = split(df, meta, mode="stratified", test_size=0.2, random_state=0)
    train = result.train
    # at most 600 rows of a class keeps SVM-SMOTE and the generators quick; the rare
    # classes, the point of the test, are kept whole
    train = (train.groupby("label", group_keys=False)[train.columns]
             .apply(lambda g: g.sample(min(len(g), cap), random_state=0))
             .reset_index(drop=True))
    return train, result.meta_for("train", meta)


@pytest.fixture(scope="module")
def thermostat(datasets, tmp_path_factory):
    return _train([datasets / "ton_iot_telemetry" / "Train_Test_IoT_Thermostat.csv"],
                  tmp_path_factory.mktemp("thermo"))


@pytest.fixture(scope="module")
def cic(datasets, tmp_path_factory):
    return _train([datasets / "cicids2017_improved_sample" / f for f in CIC_FILES],
                  tmp_path_factory.mktemp("cic"), cap=300)


def _check(train, meta, method, strategy, suite):
    result = augment_table(train, meta, method=method, strategy=strategy, random_state=0,
                           params=TINY.get(method), suites=[suite])
    synth = result.synthetic
    (source, entry), = result.report["sources"].items()
    # exact counts: what the strategy asked for is what came out, class by class
    assert synth["label"].value_counts().to_dict() == entry["n_synthetic"]
    before = pd.Series(entry["before"])
    after = pd.Series(entry["after"])
    order = before.sort_values(ascending=False, kind="stable").index
    assert (after[order].diff().dropna() <= 0).all(), (before.to_dict(), after.to_dict())
    features = [c for c in meta.feature_columns(train.columns) if train[c].notna().any()]
    assert valid_rows(synth[features + ["label"]], suite).all()
    real = set(map(tuple, train[features].astype(str).to_numpy()))
    assert not any(tuple(r) in real for r in synth[features].astype(str).to_numpy())
    return entry


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_augmenter_on_thermostat_scanning(thermostat, method):
    train, meta = thermostat
    assert (train["label"] == "scanning").sum() < 61  # 61 in the file, some held out
    entry = _check(train, meta, method, "power:0.5", load_suite("ton_iot_thermostat"))
    if method not in ("smote_tomek", "smote_enn"):  # hybrids clean rows afterwards
        assert entry["n_synthetic"]["scanning"] > 0


# The generators fit all 84 CIC columns (TVAE and CopulaGAN 1-2 minutes each, CTGAN and
# the Gaussian copula several seconds): training tier. Of the other samplers smote and
# random_oversampler run on CIC in the fast tier (every one runs on the thermostat above),
# the rest in the realdata tier; all with `make test-all`.
_TRAINING_ON_CIC = {"tvae", "copulagan", "ctgan", "gaussian_copula"}
_FAST_ON_CIC = {"smote", "random_oversampler"}


def _cic_tier(method: str) -> list[pytest.MarkDecorator]:
    if method in _TRAINING_ON_CIC:
        return [pytest.mark.training]
    return [] if method in _FAST_ON_CIC else [pytest.mark.realdata]


@pytest.mark.parametrize("method, strategy", [
    *(pytest.param(m, "power:0.3", marks=_cic_tier(m)) for m in sorted(METHODS)),
    ("smote", "floor:0.05"), ("smote", "scale:3"),
    pytest.param("gaussian_copula", "scale:3", marks=_cic_tier("gaussian_copula"))])
def test_rare_cic_classes_under_skew_preserving_strategies(cic, method, strategy):
    train, meta = cic
    counts = train["label"].value_counts()
    assert counts["heartbleed"] <= 11 and counts["sql_injection"] <= 13
    _check(train, meta, method, strategy, load_suite("cicflowmeter"))
