"""Augmenter trust: no state leaks between fits, a hybrid never wipes out the class it
grows, and no silent fallback (object arrays, ADASYN's plain-SMOTE fallback).

Every count is checked against an independent ``collections.Counter`` of the output,
and every augmenter is found through the package's ``__all__``, not a hand list.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import time
import warnings
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest
from iotforge.augment import (
    ADASYNAugmenter,
    BaseAugmenter,
    SMOTEAugmenter,
    SMOTEENNAugmenter,
    SMOTETomekAugmenter,
    augment_table,
)
from iotforge.augment._factory import METHODS
from iotforge.augment._units import child_seed
from iotforge.curation.schema import TableMeta

from iotforge import augment

# -- discovery ------------------------------------------------------------------------
AUGMENTER_CLASSES = sorted(
    (
        obj
        for name in augment.__all__
        if inspect.isclass(obj := getattr(augment, name))
        and issubclass(obj, BaseAugmenter)
        and not inspect.isabstract(obj)
    ),
    key=lambda c: c.__name__,
)
_TINY_GAN = dict(epochs=1, batch_size=20, generator_dim=(8,), discriminator_dim=(8,),
                 embedding_dim=4, pac=2)
# Cheap settings by class name; a class missing here still runs, with its defaults.
CHEAP: dict[str, dict[str, Any]] = {
    "CTGANAugmenter": _TINY_GAN,
    "CopulaGANAugmenter": _TINY_GAN,
    "TVAEAugmenter": dict(epochs=1, min_steps=5, batch_size=20, embedding_dim=4,
                          compress_dims=(8,), decompress_dims=(8,)),
    "KMeansSMOTEAugmenter": dict(kmeans_estimator=3, cluster_balance_threshold=0.05),
}


def test_discovery_finds_every_registered_method():
    # the command's method registry is a second, independent list of the augmenters
    assert {c.__name__ for c in AUGMENTER_CLASSES} == set(METHODS.values())


@pytest.fixture(autouse=True)
def _one_thread():
    # as in test_augment_generative: on shared cores torch's threads only contend
    from threadpoolctl import threadpool_limits

    try:
        import torch
    except ImportError:  # the SMOTE family needs no torch
        torch = None
    threads = torch.get_num_threads() if torch else 0
    if torch:
        torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        if torch:
            torch.set_num_threads(threads)


def flows() -> tuple[pd.DataFrame, np.ndarray]:
    """Mixed types; ``dup`` is six identical rows (interpolation lands on training
    rows, so the copies get jittered), ``scan`` and ``normal`` are spread out."""
    rng = np.random.default_rng(3)
    n = 80 + 20
    X = pd.DataFrame({
        "duration": rng.gamma(2.0, 1.5, n).round(6),
        "packets": rng.poisson(20, n).astype("int64"),
        "proto": rng.choice(["tcp", "udp"], n).astype(object),
    })
    dup = pd.DataFrame({"duration": [0.5] * 6, "packets": [3] * 6, "proto": ["tcp"] * 6})
    X = pd.concat([X, dup], ignore_index=True)
    y = np.array(["normal"] * 80 + ["scan"] * 20 + ["dup"] * 6, dtype=object)
    return X, y


# -- 7: fitted state that leaks between fits -------------------------------------------
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def assert_same(a: Any, b: Any, where: str) -> None:
    """Equal by value where equality is defined; type and repr (addresses stripped)
    for third-party objects that do not define it; our own objects field by field."""
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, np.ndarray):
        assert a.shape == b.shape and np.array_equal(
            a, b, equal_nan=a.dtype.kind in "fc"), where
    elif isinstance(a, pd.DataFrame | pd.Series | pd.Index):
        assert a.equals(b), where
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, z) in enumerate(zip(a, b, strict=True)):
            assert_same(x, z, f"{where}[{i}]")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif type(a).__module__.startswith("augment"):
        assert_same(vars(a), vars(b), where)
    elif _torch_module(a):
        sa, sb = a.state_dict(), b.state_dict()
        assert list(sa) == list(sb), where
        for k in sa:
            assert sa[k].equal(sb[k]), f"{where}.{k}"
    elif type(a).__eq__ is object.__eq__:
        assert _ADDRESS.sub("", repr(a)) == _ADDRESS.sub("", repr(b)), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _torch_module(obj: Any) -> bool:
    return any(t.__module__.startswith("torch.nn") and t.__name__ == "Module"
               for t in type(obj).__mro__)


def fitted(est: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(est).items() if k.endswith("_")}


@pytest.mark.parametrize("cls", AUGMENTER_CLASSES, ids=lambda c: c.__name__)
def test_refit_leaves_no_state_behind(cls):
    X, y = flows()
    est = cls(random_state=0, max_retries=2, sampling_strategy={"scan": 30, "dup": 10},
              **CHEAP.get(cls.__name__, {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # jitter/duplicate warnings: expected
        X1, y1 = est.fit_resample(X, y)
        first = fitted(est)
        X2, y2 = est.fit_resample(X, y)
    second = fitted(est)
    assert sorted(first) == sorted(second)
    for name in first:
        assert_same(first[name], second[name], name)
    pd.testing.assert_frame_equal(X1, X2)
    assert np.array_equal(y1, y2)


def test_jittered_copies_are_counted_per_fit_not_accumulated():
    X, y = flows()
    est = SMOTEAugmenter(random_state=0, max_retries=1, sampling_strategy={"dup": 12})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        seen = []
        for _ in range(3):
            est.fit_resample(X, y)
            seen.append(est.n_jittered_)
    assert seen[0] > 0 and seen == [seen[0]] * 3


def test_fit_drops_what_an_earlier_fit_resample_left():
    X, y = flows()
    est = SMOTEENNAugmenter(random_state=0, sampling_strategy={"scan": 30})
    est.fit_resample(X, y)
    assert hasattr(est, "synthetic_mask_")
    small = X.iloc[:100]
    est.fit(small, y[:100])
    fresh = SMOTEENNAugmenter(random_state=0, sampling_strategy={"scan": 30}).fit(small, y[:100])
    assert sorted(fitted(est)) == sorted(fitted(fresh))
    assert est.sampling_strategy_ == fresh.sampling_strategy_ == {"normal": 0, "scan": 10}


# -- 11: a hybrid must not wipe out the class it grows ---------------------------------
HYBRIDS = [SMOTEENNAugmenter, SMOTETomekAugmenter]


def thermostat_capped(datasets) -> tuple[pd.DataFrame, np.ndarray]:
    """The TON_IoT thermostat capture, every class capped at its first 2,000 rows."""
    files = sorted(datasets.glob("ton_iot_telemetry/*Thermostat*.csv"))
    if not files:
        pytest.skip("TON_IoT thermostat capture not in the shared datasets")
    df = pd.read_csv(files[0], encoding="utf-8-sig")
    df = df.groupby("type", sort=False, group_keys=False).head(2000)
    return df[["current_temperature", "thermostat_status"]].reset_index(drop=True), \
        df["type"].to_numpy(dtype=object)


def _check_hybrid_counts(aug, y_in, y_out, target):
    before, after = Counter(y_in), Counter(y_out)
    removed = {c: before[c] + aug.n_oversampled_[c] - after[c] for c in before}
    assert aug.cleaning_removed_ == removed
    synth = Counter(np.asarray(y_out)[aug.synthetic_mask_])
    assert {c: synth[c] for c in before} == aug.n_synthetic_
    for c, n in target.items():  # the grown classes end exactly at their target
        assert after[c] == n and removed[c] == 0
    return removed


@pytest.mark.parametrize("cls", HYBRIDS, ids=lambda c: c.__name__)
def test_hybrid_grows_thermostat_scanning_to_its_target(datasets, cls):
    X, y = thermostat_capped(datasets)
    assert Counter(y)["scanning"] == 61 and max(Counter(y).values()) == 2000
    aug = cls(sampling_strategy={"scanning": 300}, random_state=0)
    _, y_res = aug.fit_resample(X, y)
    removed = _check_hybrid_counts(aug, y, y_res, {"scanning": 300})
    assert sum(removed.values()) > 0  # it still cleans: the classes it did not grow


def test_smoteenn_imblearn_cleaning_is_an_option_and_is_reported(datasets):
    X, y = thermostat_capped(datasets)
    aug = SMOTEENNAugmenter(sampling_strategy={"scanning": 300}, random_state=0, clean="imblearn")
    _, y_res = aug.fit_resample(X, y)
    after = Counter(y_res)
    # imbalanced-learn's behaviour: ENN removes the whole grown class on this capture
    assert after["scanning"] == 0
    assert aug.cleaning_removed_["scanning"] == 300 == 61 + aug.n_oversampled_["scanning"]
    assert aug.cleaning_removed_ == {c: n + aug.n_oversampled_[c] - after[c]
                                     for c, n in Counter(y).items()}


def islands() -> tuple[pd.DataFrame, np.ndarray]:
    """``rare`` sits inside ``normal``'s cloud; ``other`` is a separate cluster."""
    rng = np.random.default_rng(5)
    X = pd.DataFrame(np.r_[rng.normal(0, 1, (200, 2)), rng.normal(0, 1, (12, 2)),
                           rng.normal(6, 1, (40, 2))], columns=["a", "b"])
    y = np.array(["normal"] * 200 + ["rare"] * 12 + ["other"] * 40, dtype=object)
    return X, y


@pytest.mark.parametrize("cls", HYBRIDS, ids=lambda c: c.__name__)
def test_hybrid_on_constructed_overlap(cls):
    X, y = islands()
    target = {"rare": 60, "other": 50}
    default = cls(sampling_strategy=target, random_state=0)
    _, y_res = default.fit_resample(X, y)
    removed = _check_hybrid_counts(default, y, y_res, target)
    assert removed["normal"] > 0
    # the same fit with imbalanced-learn's cleaning eats into the grown class
    raw = cls(sampling_strategy=target, random_state=0, clean="imblearn")
    _, y_raw = raw.fit_resample(X, y)
    assert Counter(y_raw)["rare"] < 60
    assert raw.cleaning_removed_["rare"] == 60 - Counter(y_raw)["rare"] > 0


def _table(X: pd.DataFrame, y: np.ndarray) -> tuple[pd.DataFrame, TableMeta]:
    df = X.copy()
    df["label"] = y
    df["source"] = "lab"
    df["source_file"] = "lab.csv"
    df["source_row"] = np.arange(len(df))
    df["label_raw"] = y
    df["is_attack"] = y != "normal"
    df["attack_family"] = None
    df["is_synthetic"] = False
    df["augmenter"] = None
    meta = TableMeta(stage="split", roles={c: "numeric" for c in X.columns}, split="train")
    return df, meta


def test_augment_report_says_what_cleaning_removed():
    X, y = islands()
    df, meta = _table(X, y)
    result = augment_table(df, meta, method="smote_enn", strategy={"rare": 60, "other": 50},
                           random_state=0)
    entry = result.report["sources"]["lab"]
    # independent: run the same augmenter with the seed the table derived for the source
    seed = child_seed(0, "lab")
    aug = SMOTEENNAugmenter(sampling_strategy={"rare": 60, "other": 50}, random_state=seed)
    _, y_res = aug.fit_resample(X, y)
    after = Counter(y_res)
    assert entry["cleaning_removed"] == {c: n + aug.n_oversampled_[c] - after[c]
                                         for c, n in Counter(y).items()}
    assert entry["cleaning_removed"]["normal"] > 0 and entry["cleaning_removed"]["rare"] == 0
    synth = Counter(result.synthetic["label"])
    assert synth == Counter({"rare": 48, "other": 10}) == Counter(entry["n_synthetic"])


# -- 9: silent fallbacks ----------------------------------------------------------------
def mixed(n_cols: int = 41) -> tuple[pd.DataFrame, np.ndarray]:
    """A flow-like mixed frame: 38 float columns, one int count, two string columns."""
    rng = np.random.default_rng(0)
    n = 600
    cols = {f"f{i}": rng.gamma(2.0, 10.0, n) for i in range(n_cols - 3)}
    cols["packets"] = rng.poisson(30, n).astype("int64")
    cols["proto"] = rng.choice(["tcp", "udp", "icmp"], n).astype(object)
    cols["state"] = rng.choice(["S0", "SF", "REJ", "RSTO"], n).astype(object)
    y = np.array(["normal"] * 560 + ["scan"] * 40, dtype=object)
    return pd.DataFrame(cols), y


def test_object_array_numeric_columns_are_interpolated_with_a_warning():
    X, y = mixed()
    arr = X.to_numpy()
    assert arr.dtype == object
    aug = SMOTEAugmenter(sampling_strategy={"scan": 200}, random_state=0)
    start = time.perf_counter()
    with pytest.warns(UserWarning, match=r"2 of 41 columns .*categorical"):
        X_res, y_res = aug.fit_resample(arr, y)
    assert time.perf_counter() - start < 10  # SMOTEN on 41 columns took minutes
    assert aug.variant_ == "SMOTENC"
    syn = X_res[aug.synthetic_mask_]
    assert syn.shape == (160, 41) and Counter(y_res)["scan"] == 200
    # interpolated: most synthetic values of a continuous column are new
    f0 = syn[:, 0].astype(float)
    assert np.mean(~np.isin(f0, X["f0"].to_numpy())) > 0.9
    assert np.array_equal(syn[:, 38].astype(float), np.round(syn[:, 38].astype(float)))
    assert set(syn[:, 39]) <= {"tcp", "udp", "icmp"}
    # a second route: the same table as a DataFrame with its dtypes gives the same rows
    ref = SMOTEAugmenter(sampling_strategy={"scan": 200}, random_state=0)
    X_ref, _ = ref.fit_resample(X, y)
    pd.testing.assert_frame_equal(pd.DataFrame(X_res, columns=X.columns).astype(X.dtypes),
                                  X_ref)
    # real rows come back as they went in
    assert (X_res[: len(arr)] == arr).all()


def test_all_numeric_object_array_is_plain_smote_without_warning():
    X, y = mixed()
    arr = X.drop(columns=["proto", "state"]).to_numpy(dtype=object)
    aug = SMOTEAugmenter(sampling_strategy={"scan": 60}, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        aug.fit_resample(arr, y)
    assert aug.variant_ == "SMOTE"


def far_class() -> tuple[pd.DataFrame, np.ndarray]:
    """``far`` has no neighbour of another class (ADASYN raises for it); ``mixed`` does."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(np.r_[rng.normal(0, 1, (100, 2)), rng.normal(50, 1, (10, 2)),
                           rng.normal(0, 1, (10, 2))], columns=["a", "b"])
    y = np.array(["n"] * 100 + ["far"] * 10 + ["mixed"] * 10, dtype=object)
    return X, y


def test_adasyn_fallback_and_top_up_recorded_per_class():
    X, y = far_class()
    aug = ADASYNAugmenter(sampling_strategy={"far": 30, "mixed": 30}, random_state=0)
    with pytest.warns(UserWarning, match="'far'.*plain SMOTE"):
        _, y_res = aug.fit_resample(X, y)
    assert Counter(y_res) == Counter({"n": 100, "far": 30, "mixed": 30})
    assert list(aug.fallbacks_) == ["far"]
    assert aug.fallbacks_["far"].startswith("plain SMOTE") and "ADASYN" in aug.fallbacks_["far"]
    # independent: imbalanced-learn's ADASYN alone makes no rows for 'far' (it raises)
    from imblearn.over_sampling import ADASYN

    with pytest.raises(RuntimeError):
        ADASYN(sampling_strategy={"far": 30}, random_state=0).fit_resample(X, y)
    assert set(aug.topped_up_) <= {"mixed"}
    assert sum(aug.topped_up_.values()) == aug.n_topped_up_


def test_augment_report_lists_adasyn_fallbacks_also_after_contract_rounds():
    X, y = far_class()
    df, meta = _table(X, y)
    # a contract that rejects some synthetic rows, so the table re-runs the augmenter
    suite = {"name": "lab", "expectations": [
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "a", "min_value": -100, "max_value": 50.5}}]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        # a seed whose rows break the contract (per-source seeds are SeedSequence-derived)
        result = augment_table(df, meta, method="adasyn", strategy={"far": 30, "mixed": 30},
                               random_state=2, suites=[suite])
    entry = result.report["sources"]["lab"]
    assert entry["contract_rejected"] > 0  # the re-run happened
    assert list(entry["fallbacks"]) == ["far"]
    assert "plain SMOTE" in entry["fallbacks"]["far"]
    assert Counter(result.synthetic["label"]) == Counter({"far": 20, "mixed": 20})
    assert entry["n_synthetic"] == {"far": 20, "mixed": 20}
    assert set(entry["topped_up"]) <= {"mixed"}



def test_augment_command_reports_and_prints_the_fallback(cli, tmp_path):
    import json

    from iotforge.curation.schema import write_frame_atomic

    X, y = far_class()
    df, meta = _table(X, y)
    for col in ("attack_family", "augmenter"):
        df[col] = pd.Series([None] * len(df), dtype="string")
    write_frame_atomic(df, tmp_path / "train.parquet", meta)
    out = tmp_path / "adasyn.parquet"
    res = cli("augment", str(tmp_path / "train.parquet"), "--method", "adasyn",
              "--strategy", "floor:30", "--out", str(out))
    assert res.returncode == 0, res.stderr
    entry = json.loads(out.with_suffix(".json").read_text())["sources"]["lab"]
    assert list(entry["fallbacks"]) == ["far"] and "plain SMOTE" in entry["fallbacks"]["far"]
    assert "lab: class 'far' made by plain SMOTE" in res.stderr
    written = pd.read_parquet(out)
    assert Counter(written.loc[written["is_synthetic"], "label"]) == Counter(
        {"far": 20, "mixed": 20}) == Counter(entry["n_synthetic"])
