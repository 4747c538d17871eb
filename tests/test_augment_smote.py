"""The SMOTE-family augmenters: exact counts, mixed types, tiny classes, validity,
pipelines, and real captures from ../shared/datasets."""

from __future__ import annotations

import os
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import ADASYN, SMOTE
from imblearn.pipeline import Pipeline
from iotforge.augment import (
    ADASYNAugmenter,
    BorderlineSMOTEAugmenter,
    Floor,
    KMeansSMOTEAugmenter,
    Power,
    RandomOverSamplerAugmenter,
    Scale,
    SMOTEAugmenter,
    SMOTEENNAugmenter,
    SMOTETomekAugmenter,
    SVMSMOTEAugmenter,
    resolve_sampling_strategy,
    row_keys,
)
from iotforge.curation.errors import TooLittleDataError
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, cross_validate
from threadpoolctl import threadpool_limits

SIZES = {"normal": 120, "ddos": 40, "scan": 12, "xss": 6}


@pytest.fixture(autouse=True)
def _one_thread():
    # kneighbors/KMeans use OpenMP; on a shared 2-core machine threads only contend
    with threadpool_limits(1):
        yield


def mixed_frame(seed: int = 0, sizes: dict[str, int] = SIZES) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.RandomState(seed)
    y = np.concatenate([np.full(n, c, dtype=object) for c, n in sizes.items()])
    shift = pd.Series(y).map({c: i for i, c in enumerate(sizes)}).to_numpy()
    n = len(y)
    X = pd.DataFrame(
        {
            "dst_port": rng.choice([22, 80, 443, 8080], n).astype("int64"),
            "bytes": np.round(rng.gamma(2.0, 500.0, n) * (1 + shift)),  # whole-number floats
            "duration": rng.exponential(1.0, n) + shift,
            "proto": pd.Categorical(rng.choice(["tcp", "udp", "icmp"], n)),
            "flag": rng.choice(["S0", "SF", "REJ"], n).astype(object),
            "syn": rng.rand(n) < 0.3,
        }
    )
    return X, y


def numeric_frame(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    X, y = mixed_frame(seed)
    return X[["dst_port", "bytes", "duration"]], y


ALL = [
    SMOTEAugmenter,
    BorderlineSMOTEAugmenter,
    SVMSMOTEAugmenter,
    ADASYNAugmenter,
    KMeansSMOTEAugmenter,
    RandomOverSamplerAugmenter,
]
ROS_NEW_ROWS = {"shrinkage": 0.5, "reject_duplicates": True}


def make(cls, **params):
    if cls is RandomOverSamplerAugmenter:
        params = {**ROS_NEW_ROWS, **params}
    if cls is KMeansSMOTEAugmenter:
        params = {"kmeans_estimator": 4, "cluster_balance_threshold": 0.05, **params}
    return cls(random_state=0, **params)


def synthetic_part(aug, X_res, y_res):
    mask = aug.synthetic_mask_
    return X_res[mask], np.asarray(y_res)[mask]


# -- exact counts -------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "strategy",
    ["auto", {"scan": 30, "xss": 25}, "floor:0.25", Power(0.5), Scale(3)],
    ids=["auto", "dict", "floor", "power", "scale"],
)
def test_exact_counts_mixed_types(cls, strategy):
    X, y = mixed_frame()
    aug = make(cls, sampling_strategy=strategy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        X_res, y_res = aug.fit_resample(X, y)
    expected = resolve_sampling_strategy(strategy, y)
    got = Counter(y_res)
    assert {c: got[c] - SIZES[c] for c in SIZES} == expected == aug.n_synthetic_
    assert aug.synthetic_mask_.sum() == sum(expected.values())
    assert not aug.synthetic_mask_[: len(X)].any()
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X)  # originals first, untouched
    assert X_res.dtypes.equals(X.dtypes)
    assert list(X_res.columns) == list(X.columns)
    X_syn, _ = synthetic_part(aug, X_res, y_res)
    assert set(X_syn["flag"]) <= set(X["flag"])
    assert list(X_res["proto"].cat.categories) == list(X["proto"].cat.categories)
    assert not np.isin(row_keys(X_syn), row_keys(X)).any()


def test_variant_follows_column_types():
    X, y = mixed_frame()
    assert _fitted(SMOTEAugmenter(random_state=0), X[["bytes", "duration"]], y).variant_ == "SMOTE"
    assert _fitted(SMOTEAugmenter(random_state=0), X, y).variant_ == "SMOTENC"
    X_cat = X[["proto", "flag"]].assign(bucket=pd.cut(X["bytes"], 12, labels=False).astype(str))
    assert _fitted(SMOTEAugmenter(random_state=0), X_cat, y).variant_ == "SMOTEN"
    numeric_but_categorical = SMOTEAugmenter(random_state=0, categorical_features=["dst_port"])
    aug = _fitted(numeric_but_categorical, X[["dst_port", "duration"]], y)
    assert aug.variant_ == "SMOTENC" and aug.categorical_features_ == ["dst_port"]


def _fitted(aug, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        aug.fit_resample(X, y)
    return aug


# -- tiny classes -------------------------------------------------------------------
def test_raw_imblearn_raises_on_tiny_class_where_wrapper_adapts_k():
    X, y = numeric_frame()
    y = y.copy()
    y[np.flatnonzero(y == "xss")[:2]] = "normal"  # xss: 4 rows <= k_neighbors=5
    with pytest.raises(ValueError, match="n_neighbors"):
        SMOTE(k_neighbors=5, random_state=0).fit_resample(X, y)
    aug = SMOTEAugmenter(k_neighbors=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # adapting k is silent: 4 rows can interpolate
        _, y_res = aug.fit_resample(X, y)
    assert Counter(y_res)["xss"] == Counter(y_res)["scan"] == Counter(y_res)["normal"] == 122


@pytest.mark.parametrize("cls", ALL[:5], ids=lambda c: c.__name__)
@pytest.mark.parametrize("n_rows", [1, 2])
def test_one_or_two_rows_fall_back_to_jitter_with_warning(cls, n_rows):
    X, y = numeric_frame()
    y = y.copy()
    xss = np.flatnonzero(y == "xss")
    y[xss[n_rows:]] = "scan"
    aug = make(cls, sampling_strategy={"xss": 10})
    with pytest.warns(UserWarning, match=f"class 'xss' has {n_rows} row"):
        X_res, y_res = aug.fit_resample(X, y)
    X_syn, y_syn = synthetic_part(aug, X_res, y_res)
    assert len(X_syn) == 10 - n_rows and set(y_syn) == {"xss"}
    assert aug.fallbacks_ == {"xss": "jitter"}
    originals = X[y == "xss"]
    assert X_syn["duration"].between(X["duration"].min(), X["duration"].max()).all()
    assert not np.isin(row_keys(X_syn), row_keys(originals)).any()


def test_duplicates_kept_with_warning_when_no_new_row_exists():
    # one categorical column with two values: every possible row already exists
    X = pd.DataFrame({"proto": ["tcp", "udp"] * 10})
    y = ["a"] * 16 + ["b"] * 4
    aug = SMOTEAugmenter(random_state=0, max_retries=2)
    with pytest.warns(UserWarning, match="kept 12 synthetic rows identical"):
        _, y_res = aug.fit_resample(X, y)
    assert Counter(y_res)["b"] == 16 and aug.n_duplicates_kept_ == 12
    assert aug.reject_rate_ == 1.0


def test_too_little_data_error_when_generator_yields_nothing_valid():
    X, y = numeric_frame()

    class Broken(SMOTEAugmenter):
        def _generate(self, X, y, n_per_class, random_state):
            return {c: X.iloc[:0] for c in n_per_class}

    with pytest.raises(
        TooLittleDataError,
        match="expected 80 synthetic rows of class 'ddos'.*; "
        "expected 114 synthetic rows of class 'xss', found only 0 after 1 retries",
    ):
        Broken(random_state=0, max_retries=1).fit_resample(X, y)


# -- exact counts where imbalanced-learn is approximate --------------------------------
def test_adasyn_exact_where_raw_library_is_approximate():
    X, y = make_classification(
        n_samples=400, weights=[0.85], n_features=4, flip_y=0.1, random_state=3
    )
    target = {1: 200}
    _, y_raw = ADASYN(sampling_strategy=target, random_state=0).fit_resample(X, y)
    assert Counter(y_raw)[1] != 200  # per-row rounding misses the target
    _, y_res = ADASYNAugmenter(sampling_strategy=target, random_state=0).fit_resample(X, y)
    assert Counter(y_res)[1] == 200


def test_borderline_tops_up_when_nothing_is_in_danger():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(50, 1, (10, 2))])
    y = np.r_[np.zeros(100, int), np.ones(10, int)]
    aug = BorderlineSMOTEAugmenter(random_state=0)
    _, y_res = aug.fit_resample(X, y)
    assert Counter(y_res.tolist()) == {0: 100, 1: 100}
    assert aug.n_topped_up_ == 91  # nothing in danger: all from plain SMOTE (90 + 1 spare)


# -- validity -------------------------------------------------------------------------
def test_validity_rules_on_synthetic_rows():
    X, y = mixed_frame()
    aug = SMOTEAugmenter(random_state=1, sampling_strategy="floor:0.5")
    X_res, y_res = aug.fit_resample(X, y)
    X_syn, _ = synthetic_part(aug, X_res, y_res)
    assert X_syn["dst_port"].between(0, 65535).all() and X_syn["dst_port"].dtype == "int64"
    assert (X_syn["bytes"] == X_syn["bytes"].round()).all()  # whole numbers stay whole
    for col in ["bytes", "duration", "dst_port"]:
        assert X_syn[col].between(X[col].min(), X[col].max()).all()
    assert X_syn["syn"].dtype == bool


def test_same_seed_same_rows_other_seed_other_rows():
    X, y = mixed_frame()
    a = SMOTEAugmenter(random_state=7).fit_resample(X, y)[0]
    b = SMOTEAugmenter(random_state=7).fit_resample(X, y)[0]
    c = SMOTEAugmenter(random_state=8).fit_resample(X, y)[0]
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_clear_errors_for_missing_values_and_bad_strategy():
    X, y = numeric_frame()
    with pytest.raises(
        ValueError, match=r"expected no missing values in X, found \{'duration': 1\}"
    ):
        SMOTEAugmenter().fit_resample(X.assign(duration=X["duration"].where(X.index != 3)), y)
    with pytest.raises(ValueError, match="expected finite numeric values"):
        SMOTEAugmenter().fit_resample(X.assign(bytes=np.inf), y)
    with pytest.raises(ValueError, match="Got 'balanced' instead"):
        SMOTEAugmenter(sampling_strategy="balanced").fit_resample(X, y)


def test_array_and_series_round_trip():
    X, y = numeric_frame()
    X32 = X.to_numpy(dtype=np.float32)
    X_res, y_res = SMOTEAugmenter(random_state=0).fit_resample(X32, pd.Series(y, name="type"))
    assert X_res.dtype == np.float32 and isinstance(y_res, pd.Series) and y_res.name == "type"


# -- hybrids --------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [SMOTETomekAugmenter, SMOTEENNAugmenter], ids=lambda c: c.__name__)
def test_hybrid_oversampling_exact_then_cleaning_reported(cls):
    X, y = mixed_frame()
    aug = cls(random_state=0, sampling_strategy="power:0.5")
    X_res, y_res = aug.fit_resample(X, y)
    assert aug.n_oversampled_ == resolve_sampling_strategy("power:0.5", y)
    got = Counter(y_res)
    for c, n in SIZES.items():
        assert got[c] == n + aug.n_oversampled_[c] - aug.n_removed_[c]
    assert len(aug.synthetic_mask_) == len(X_res)
    assert aug.synthetic_mask_.sum() == sum(aug.n_synthetic_.values())
    assert sum(aug.n_removed_.values()) > 0


# -- pipelines -------------------------------------------------------------------------
FIT_SIZES: list[int] = []
PREDICT_SIZES: list[int] = []


class SpyForest(RandomForestClassifier):
    """Records how many rows it is fitted on and asked to predict."""

    def fit(self, X, y, sample_weight=None):
        FIT_SIZES.append(len(X))
        return super().fit(X, y, sample_weight=sample_weight)

    def predict(self, X):
        PREDICT_SIZES.append(len(X))
        return super().predict(X)


def test_pipeline_augments_training_folds_only():
    X, y = numeric_frame()
    FIT_SIZES.clear()
    PREDICT_SIZES.clear()
    pipe = Pipeline(
        [
            ("augment", SMOTEAugmenter(sampling_strategy="power:0.5", random_state=0)),
            ("model", SpyForest(n_estimators=20, random_state=0)),
        ]
    )
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    scores = cross_validate(pipe, X, y, cv=cv, scoring="balanced_accuracy")
    folds = list(cv.split(X, y))
    expected_fit = [
        len(tr) + sum(resolve_sampling_strategy("power:0.5", y[tr]).values()) for tr, _ in folds
    ]
    assert FIT_SIZES == expected_fit
    assert all(f > len(tr) for f, (tr, _) in zip(FIT_SIZES, folds, strict=True))
    assert PREDICT_SIZES == [len(te) for _, te in folds]  # test folds never augmented
    assert np.all(scores["test_score"] > 0.3)  # four classes: chance is 0.25


# -- real captures ----------------------------------------------------------------------
def datasets_dir() -> Path:
    root = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("IOTFORGE_DATASETS", root.parent / "shared" / "datasets"))


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(
            f"real-data test: {path} not found (set IOTFORGE_DATASETS to the datasets folder)"
        )
    return path


def _subsample(df: pd.DataFrame, label: str, cap: int, seed: int = 0) -> pd.DataFrame:
    parts = [g.sample(min(len(g), cap), random_state=seed) for _, g in df.groupby(label)]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def thermostat() -> tuple[pd.DataFrame, np.ndarray]:
    path = _need(datasets_dir() / "ton_iot_telemetry" / "Train_Test_IoT_Thermostat.csv")
    df = pd.read_csv(path, encoding="utf-8-sig", skipinitialspace=True)
    df.columns = df.columns.str.strip()
    df["type"] = df["type"].str.strip()
    assert (df["type"] == "scanning").sum() == 61
    df = _subsample(df, "type", 400)
    X = df[["current_temperature", "thermostat_status"]].astype({"thermostat_status": "category"})
    return X, df["type"].to_numpy()


CICIDS_FILES = [
    "BENIGN_2500.csv", "DDoS_2500.csv", "Portscan_2500.csv", "Botnet_736.csv",
    "Infiltration_36.csv", "Web_Attack_-_XSS_18.csv", "Web_Attack_-_SQL_Injection_13.csv",
    "Heartbleed_11.csv",
]  # fmt: skip
CICIDS_COLUMNS = [
    "Dst Port", "Protocol", "Flow Duration", "Total Fwd Packet", "Total Bwd packets",
    "Total Length of Fwd Packet", "Fwd Packet Length Max", "Flow IAT Mean",
]  # fmt: skip


@pytest.fixture(scope="module")
def cicids() -> tuple[pd.DataFrame, np.ndarray]:
    folder = _need(datasets_dir() / "cicids2017_improved_sample")
    frames = [pd.read_csv(folder / f, usecols=[*CICIDS_COLUMNS, "Label"]) for f in CICIDS_FILES]
    df = _subsample(pd.concat(frames, ignore_index=True), "Label", 250)
    counts = df["Label"].value_counts()
    assert counts["Heartbleed"] == 11 and counts["Web Attack - SQL Injection"] == 13
    X = df[CICIDS_COLUMNS].astype({"Protocol": "category"})
    return X, df["Label"].to_numpy()


def _check_real(aug, X, y, strategy):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        X_res, y_res = aug.fit_resample(X, y)
    expected = resolve_sampling_strategy(strategy, y)
    before, after = Counter(y), Counter(y_res)
    assert {c: after[c] - before[c] for c in before} == expected
    X_syn = X_res[aug.synthetic_mask_]
    assert len(X_syn) == sum(expected.values())
    assert not np.isin(row_keys(X_syn), row_keys(X)).any()
    assert X_res.dtypes.equals(X.dtypes)
    order = sorted(before, key=before.get)
    for small, large in zip(order, order[1:], strict=False):
        if before[small] < before[large]:
            assert after[small] <= after[large], (small, large)
    return X_syn


@pytest.mark.parametrize("strategy", [Floor(fraction=0.2), Power(0.5), Scale(4)], ids=repr)
def test_thermostat_smotenc_rank_order_and_exact_counts(thermostat, strategy):
    X, y = thermostat
    _check_real(SMOTEAugmenter(sampling_strategy=strategy, random_state=0), X, y, strategy)


@pytest.mark.parametrize("strategy", ["floor:0.2", "power:0.5", "scale:4"])
def test_cicids_rank_order_under_skew_preserving_strategies(cicids, strategy):
    X, y = cicids
    X_syn = _check_real(SMOTEAugmenter(sampling_strategy=strategy, random_state=0), X, y, strategy)
    assert X_syn["Dst Port"].between(0, 65535).all()
    assert (X_syn["Total Fwd Packet"] >= 0).all()


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_cicids_every_augmenter_exact_and_new(cicids, cls):
    X, y = cicids
    _check_real(make(cls, sampling_strategy="power:0.5"), X, y, "power:0.5")
