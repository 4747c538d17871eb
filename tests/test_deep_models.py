"""Deep-learning classifiers and the autoencoder detector: estimator contract, determinism,
small-class fallback, real-data skill, and that the detector never learns from attacks."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any
from unittest import SkipTest

import numpy as np
import pandas as pd
import pytest
from evaluation_fixtures import CATEGORICAL, NUMERIC, split_tables
from iotforge.curation.errors import TooLittleDataError
from iotforge.evaluation.anomaly import ANOMALY, AutoencoderDetector, detection_metrics
from iotforge.evaluation.classifiers import CLASSIFIERS, make_classifier
from iotforge.evaluation.deep import DeepMLPClassifier, validation_split
from iotforge.evaluation.evaluate import evaluate, prepare_features
from iotforge.evaluation.metrics import classification_metrics
from iotforge.evaluation.report import build_report
from sklearn.base import clone
from sklearn.utils.estimator_checks import estimator_checks_generator

DEEP = ["deep_mlp", "cnn", "rnn", "dbn", "deep_ensemble"]
# cheap settings for the API checks, which fit dozens of times; the accuracy check
# (check_classifiers_train: > 83 % on blobs) gets enough epochs to learn
FAST = {"hidden": 8, "max_epochs": 2, "batch_size": 64, "rbm_epochs": 1}
LEARN = {"hidden": 16, "max_epochs": 40, "batch_size": 64, "learning_rate": 0.05,
         "patience": 10}
# the autoencoder predicts "normal"/"anomaly", not classes: it is no scikit-learn
# classifier, and the generic checks that apply to it are those below
DETECTOR_FAILURES = {
    "check_estimators_dtypes": "its labels lack the normal class: the detector refuses "
                               "(TooLittleDataError), as documented",
    "check_estimators_nan_inf": "its labels lack the normal class (refused first)",
    "check_fit2d_1sample": "its labels lack the normal class (refused first)",
    "check_fit2d_1feature": "its labels lack the normal class (refused first)",
    "check_estimators_pickle": "compares predictions numerically; they are labels",
    "check_methods_sample_order_invariance": "compares predictions numerically",
    "check_methods_subset_invariance": "compares predictions numerically",
    "check_fit_idempotent": "compares predictions numerically",
}


def _own_estimators() -> list[tuple[str, Any]]:
    """Every registered classifier whose model this project defines (by discovery)."""
    out = []
    for name, spec in CLASSIFIERS.items():
        model = spec.build(0)
        if type(model).__module__.startswith("evaluation."):
            out.append((name, model))
    return out


def _small(model: Any, settings: dict[str, Any]) -> Any:
    params = model.get_params()
    return clone(model).set_params(**{k: v for k, v in settings.items() if k in params})


@pytest.mark.parametrize("name,model", _own_estimators(), ids=[n for n, _ in _own_estimators()])
def test_estimator_checks_over_every_own_classifier(name: str, model: Any) -> None:
    detector = getattr(model, "is_anomaly_detector", False)
    base = _small(model, FAST)
    if detector:
        base = base.set_params(normal_label=0)
    expected = DETECTOR_FAILURES if detector else {}
    failed = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for estimator, check in estimator_checks_generator(base,
                                                           expected_failed_checks=expected):
            check_name = getattr(check, "func", check).__name__
            if check_name in expected:
                continue
            if check_name == "check_classifiers_train":
                estimator = _small(estimator, LEARN)
            try:
                check(estimator)
            except SkipTest:
                continue
            except Exception as exc:  # collect every failure, not the first
                failed.append(f"{check_name}: {str(exc)[:200]}")
    assert not failed, f"{name}: " + "; ".join(failed)


@pytest.mark.parametrize("name", DEEP)
def test_deep_model_on_mixed_data_is_deterministic_per_seed(name: str) -> None:
    import torch

    train, test = split_tables()
    X, Xt = (prepare_features(f, NUMERIC, CATEGORICAL) for f in (train, test))
    y = train["label"].to_numpy()
    state, threads = torch.random.get_rng_state(), torch.get_num_threads()

    def fit(seed: int) -> Any:
        return make_classifier(name, seed).set_params(model__max_epochs=8).fit(X, y)

    a, b, c = fit(3), fit(3), fit(4)
    pa, pb, pc = (m.predict_proba(Xt) for m in (a, b, c))
    np.testing.assert_array_equal(pa, pb)
    assert not np.allclose(pa, pc)  # the seed is what changed
    # no global side effects: torch's RNG state and thread count are restored
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.get_num_threads() == threads
    assert set(a.predict(Xt)) <= set(y)
    np.testing.assert_allclose(pa.sum(axis=1), 1.0)


def test_validation_slice_counts_and_small_class_fallback() -> None:
    codes = np.repeat([0, 1, 2, 3], [200, 35, 9, 1])
    train, val = validation_split(codes, 0.1, np.random.default_rng(0))
    # floor(0.1 * n) rows of a class that can give one and keep one: 20, 3, 0, 0
    assert np.bincount(codes[val], minlength=4).tolist() == [20, 3, 0, 0]
    assert len(np.intersect1d(train, val)) == 0 and len(train) + len(val) == len(codes)

    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(0, 1, (60, 3)), rng.normal(4, 1, (3, 3))]
    y = np.array(["normal"] * 60 + ["heartbleed"] * 3)
    model = DeepMLPClassifier(max_epochs=30, random_state=0).fit(X, y)
    assert model.early_stopping_ and "heartbleed" in model.predict(X[60:])
    tiny = DeepMLPClassifier(max_epochs=7, random_state=0).fit(X[[0, 1, 60, 61]],
                                                                y[[0, 1, 60, 61]])
    # no class can spare a validation row: every row trains, for all max_epochs
    assert not tiny.early_stopping_ and tiny.n_epochs_ == 7
    one = DeepMLPClassifier().fit(X[:5], y[:5])
    assert one.predict(X).tolist() == ["normal"] * len(X)


def _planted(seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Normal rows on a 2-D plane inside 6-D space, plus a block of rows off it."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(400, 2))
    normal = latent @ rng.normal(size=(2, 6)) + rng.normal(0, 0.05, (400, 6))
    attack = rng.normal(0, 1.5, (40, 6))  # same scale, off the plane
    X = pd.DataFrame(np.r_[normal, attack], columns=[f"f{i}" for i in range(6)])
    X["proto"] = np.where(np.arange(440) % 2, "tcp", "udp")
    return X, np.array(["normal"] * 400 + ["planted"] * 40)


def test_autoencoder_detects_a_planted_block_and_never_sees_attacks(monkeypatch) -> None:
    X, y = _planted(0)
    seen: list[np.ndarray] = []
    original = AutoencoderDetector._train

    def spy(self: AutoencoderDetector, rows: np.ndarray) -> None:
        seen.append(rows.copy())
        original(self, rows)

    monkeypatch.setattr(AutoencoderDetector, "_train", spy)
    train = np.r_[np.arange(300), np.arange(400, 420)]
    det = make_classifier("autoencoder", 0).fit(X.iloc[train], y[train])
    normal_rows = det.prepare_.transform(X.iloc[:300])
    np.testing.assert_array_equal(seen[0], normal_rows)  # exactly the normal rows
    assert det.n_fit_rows_ == 300
    # attack rows change nothing: replace them with anything, the detector is the same
    other = X.iloc[train].copy()
    other.iloc[300:, :6] = 1e6
    other.iloc[300:, 6] = "icmp"
    det2 = make_classifier("autoencoder", 0).fit(other, y[train])
    assert det2.threshold_ == pytest.approx(det.threshold_, rel=1e-12)  # up to rounding
    np.testing.assert_allclose(det2.score_samples(X), det.score_samples(X), rtol=1e-12)

    held_out = X.iloc[300:]
    m = detection_metrics(y[300:], det.predict(held_out), "normal")
    flagged = det.predict(held_out) == ANOMALY
    assert m["per_class"]["planted"]["recall"] == flagged[100:].mean() >= 0.9
    assert m["false_positive_rate"] == flagged[:100].mean() <= 0.05
    with pytest.raises(TooLittleDataError, match="normal class"):
        make_classifier("autoencoder", 0).fit(X.iloc[400:], y[400:])


def test_evaluation_scores_the_detector_by_detection_rate() -> None:
    train, test = split_tables()
    syn = train[train["label"] != "normal"].assign(is_synthetic=True)
    r = evaluate(train, test, numeric=NUMERIC, categorical=CATEGORICAL,
                 synthetic={"copies": syn}, classifiers=["autoencoder", "deep_mlp"],
                 seeds=[0])
    res = r.results
    ae = res[res["classifier"] == "autoencoder"]
    assert set(ae.loc[ae["class"] == "", "metric"]) == {"detection_rate",
                                                         "false_positive_rate",
                                                         "balanced_accuracy"}
    # independent count: the share of the test split's heartbleed rows it flags
    X = prepare_features(train, NUMERIC, CATEGORICAL)
    Xt = prepare_features(test, NUMERIC, CATEGORICAL)
    from iotforge.evaluation.evaluate import derive_seed

    det = make_classifier("autoencoder", derive_seed(0, "classifier", "autoencoder"))
    flagged = det.fit(X, train["label"]).predict(Xt) == ANOMALY
    hb = test["label"].to_numpy() == "heartbleed"
    got = ae[(ae["arm"] == "none") & (ae["class"] == "heartbleed") & (ae["metric"] == "recall")]
    assert got["value"].item() == pytest.approx(flagged[hb].mean())
    # synthetic rows only hold an attack class: no normal rows, the detector is skipped
    assert any("synthetic-only / autoencoder: skipped" in n for n in r.notes)
    report = build_report(r)
    assert "<h2>Anomaly detection</h2>" in report.html
    assert "| none | autoencoder |" in report.markdown
    assert "### none" in report.markdown and "deep_mlp" in report.markdown


@pytest.fixture(scope="module")
def cic_split(datasets: Path, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """Every 20th flow of each CIC-IDS2017 sample file (all 16 classes), curated, split."""
    from iotforge.curation.curate import curate
    from iotforge.curation.leakage.split import split
    from iotforge.curation.schema import read_meta

    work = tmp_path_factory.mktemp("cic")
    for src in sorted((datasets / "cicids2017_improved_sample").glob("*.csv")):
        lines = src.read_bytes().splitlines(keepends=True)
        step = 20 if len(lines) > 600 else 1
        (work / src.name).write_bytes(b"".join(lines[:1] + lines[1:][::step]))
    curate(sorted(work.glob("*.csv")), work / "out")
    path = work / "out" / "curated.parquet"
    meta = read_meta(path)
    parts = split(pd.read_parquet(path), meta, test_size=0.3, random_state=0)
    return parts.train, parts.test, meta


@pytest.mark.training
@pytest.mark.realdata
def test_deep_models_beat_the_majority_class_on_cic_ids2017(cic_split) -> None:
    from iotforge.evaluation.evaluate import feature_columns
    from sklearn.dummy import DummyClassifier

    train, test, meta = cic_split
    numeric, categorical = feature_columns(meta.roles, list(train.columns))
    X, Xt = (prepare_features(f, numeric, categorical) for f in (train, test))
    y, yt = train["label"].to_numpy(), test["label"].to_numpy()
    assert len(set(yt)) >= 12
    majority = DummyClassifier(strategy="most_frequent").fit(X, y).predict(Xt)
    base = classification_metrics(yt, majority)["macro_f1"]
    for name in DEEP:
        score = classification_metrics(yt, make_classifier(name, 0).fit(X, y).predict(Xt))
        assert score["macro_f1"] > base + 0.5, (name, score["macro_f1"], base)
    det = make_classifier("autoencoder", 0).fit(X, y)
    m = detection_metrics(yt, det.predict(Xt), "normal")
    # better than chance: a random flagger's detection rate equals its false-positive rate
    assert m["detection_rate"] > m["false_positive_rate"] + 0.2
