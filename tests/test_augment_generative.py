"""Generative augmenters: exact counts, valid and new rows, conditioning, reproducibility.

Networks here are tiny and train for a few epochs: the tests check the machinery (counts,
validity, conditioning, persistence), not sample quality. The real-data tests that check
the >= 99 % hit rate on a class under 1 % of the rows are marked ``slow``.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from iotforge.augment import (
    CopulaGANAugmenter,
    CTGANAugmenter,
    GaussianCopulaAugmenter,
    TVAEAugmenter,
    add_provenance,
    distance_to_closest_record,
    row_keys,
    sample_ctgan_conditional,
)
from iotforge.augment._gen_base import _LABEL

DATASETS = Path(
    os.environ.get("IOTFORGE_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets")
)
TINY_GAN = dict(epochs=2, batch_size=40, embedding_dim=8, generator_dim=(16,),
                discriminator_dim=(16,))


def _tiny(cls, **kw):
    if cls in (CTGANAugmenter, CopulaGANAugmenter):
        kw = {**TINY_GAN, **kw}
    elif cls is TVAEAugmenter:
        kw = {"epochs": 2, "min_steps": 10, "embedding_dim": 4, "compress_dims": (8,),
              "decompress_dims": (8,), **kw}
    return cls(random_state=0, **kw)


@pytest.fixture(scope="module")
def flows():
    """Mixed-type flows: float, integer count, port, categorical; classes 160/30/10."""
    rng = np.random.default_rng(7)
    n = 200
    X = pd.DataFrame({
        "duration": rng.gamma(2.0, 1.5, n),
        "packets": rng.poisson(20, n).astype("int64"),
        "dst_port": rng.choice([22, 80, 443, 8080], n).astype("int64"),
        "proto": pd.Categorical(rng.choice(["tcp", "udp"], n)),
    })
    y = np.array(["normal"] * 160 + ["scan"] * 30 + ["brute"] * 10)
    return X, y


ALL = [CTGANAugmenter, TVAEAugmenter, GaussianCopulaAugmenter, CopulaGANAugmenter]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_exact_counts_valid_and_new_rows(cls, flows):
    X, y = flows
    aug = _tiny(cls, sampling_strategy={"scan": 60, "brute": 45})
    X_res, y_res = aug.fit_resample(X, y)
    counts = pd.Series(y_res).value_counts().to_dict()
    assert counts == {"normal": 160, "scan": 60, "brute": 45}
    syn = X_res[aug.synthetic_mask_]
    assert len(syn) == 65 and (y_res[aug.synthetic_mask_] != "normal").all()
    assert (X_res.dtypes == X.dtypes).all()
    assert list(syn["proto"].cat.categories) == ["tcp", "udp"]
    assert set(syn["dst_port"]) <= set(X["dst_port"]) | set(range(22, 8081))
    assert syn["dst_port"].between(0, 65535).all() and (syn["packets"] >= 0).all()
    for col in ["duration", "packets", "dst_port"]:
        assert syn[col].between(X[col].min(), X[col].max()).all(), col
    assert not np.isin(row_keys(syn), row_keys(X)).any()
    assert set(aug.hit_rate_) == {"scan", "brute"}
    assert 0.0 <= aug.reject_rate_ < 1.0


def test_condition_offset_fixes_ctgan_wrong_column(flows):
    """With a discrete feature before the label, ctgan's own condition vector points into
    the feature's span; ours points at the label's category."""
    import torch
    from ctgan import CTGAN
    from iotforge.augment._ctgan_core import (
        condition_offset,
        scoped_global_seed,
        spec_from_transformer,
    )

    X, y = flows
    data = X.assign(proto=X["proto"].astype(object), **{_LABEL: y})
    model = CTGAN(epochs=1, batch_size=40, embedding_dim=8, generator_dim=(8,),
                  discriminator_dim=(8,), enable_gpu=False)
    with scoped_global_seed(0, torch.device("cpu")):
        model.fit(data, discrete_columns=["proto", _LABEL])
    info = model._transformer.convert_column_name_value_to_id(_LABEL, "scan")
    theirs = model._data_sampler.generate_cond_from_condition_column_info(info, 1)[0].argmax()
    ours = condition_offset(spec_from_transformer(model._transformer), _LABEL, "scan")
    assert ours == model._data_sampler._discrete_column_cond_st[1] + info["value_id"]
    assert theirs == info["value_id"] != ours  # ctgan indexes from the first column's span


def test_global_rng_untouched_and_seed_reproducible(flows):
    import torch

    X, y = flows
    np_before, torch_before = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    a = _tiny(CTGANAugmenter, sampling_strategy={"brute": 30}).fit_resample(X, y)[0]
    b = _tiny(CTGANAugmenter, sampling_strategy={"brute": 30}).fit_resample(X, y)[0]
    pd.testing.assert_frame_equal(a, b)
    assert (np.random.get_state()[1] == np_before).all()
    assert torch.equal(torch.get_rng_state(), torch_before)


@pytest.mark.parametrize("cls", [CTGANAugmenter, TVAEAugmenter], ids=lambda c: c.__name__)
def test_save_load_round_trip_same_samples(cls, flows, tmp_path):
    X, y = flows
    aug = _tiny(cls, sampling_strategy={"brute": 30})
    aug.fit_resample(X, y)
    before = aug.sample({"brute": 50}, random_state=3)
    aug.save(tmp_path / "gen")
    assert sorted(p.name for p in (tmp_path / "gen").iterdir()) == ["meta.json", "weights.pt"]
    loaded = cls.load(tmp_path / "gen")
    after = loaded.sample({"brute": 50}, random_state=3)
    pd.testing.assert_frame_equal(before[0], after[0])
    assert list(after[1]) == ["brute"] * 50
    if cls is TVAEAugmenter:  # one model per class: only "brute" has one
        with pytest.raises(ValueError, match="has a model for"):
            loaded.sample({"scan": 5})
    assert not np.isin(row_keys(after[0]), row_keys(X)).any()  # novelty survives loading


def test_sdv_load_needs_explicit_pickle_trust(flows, tmp_path):
    X, y = flows
    aug = _tiny(GaussianCopulaAugmenter, sampling_strategy={"brute": 30})
    aug.fit_resample(X, y)
    before = aug.sample({"brute": 40}, random_state=1)[0]
    aug.save(tmp_path / "gc")
    with pytest.raises(ValueError, match="allow_pickle=True"):
        GaussianCopulaAugmenter.load(tmp_path / "gc")
    loaded = GaussianCopulaAugmenter.load(tmp_path / "gc", allow_pickle=True)
    pd.testing.assert_frame_equal(before, loaded.sample({"brute": 40}, random_state=1)[0])


def test_contract_rejects_and_regenerates(flows):
    X, y = flows
    limit = float(X["duration"].median())
    aug = _tiny(GaussianCopulaAugmenter, sampling_strategy={"scan": 100},
                contract=lambda rows: rows["duration"] <= limit)
    X_res, y_res = aug.fit_resample(X, y)
    syn = X_res[aug.synthetic_mask_]
    assert len(syn) == 70 and (syn["duration"] <= limit).all()
    assert aug.n_contract_rejected_ > 0 and aug.reject_rate_ > 0


def test_bad_contract_is_reported(flows):
    X, y = flows
    aug = _tiny(GaussianCopulaAugmenter, contract=lambda rows: [True])
    with pytest.raises(ValueError, match="boolean mask"):
        aug.fit_resample(X, y)


def test_provenance_columns(flows):
    X, y = flows
    aug = _tiny(TVAEAugmenter, sampling_strategy={"brute": 25})
    X_res, _ = aug.fit_resample(X, y)
    out = add_provenance(X_res, aug)
    assert out["is_synthetic"].sum() == 15 and out["is_synthetic"].dtype == bool
    assert set(out.loc[out["is_synthetic"], "augmenter"]) == {"tvae"}
    assert set(out.loc[~out["is_synthetic"], "augmenter"]) == {""}
    with pytest.raises(ValueError, match="synthetic_mask_"):
        add_provenance(X, aug)


def test_distance_to_closest_record_flags_copies(flows):
    X, y = flows
    train, holdout = X.iloc[:100], X.iloc[100:]
    copies = distance_to_closest_record(train.iloc[:20], train, holdout)
    assert copies.exact_copies == 20 and copies.share_closer_to_train == 1.0
    fresh = distance_to_closest_record(holdout.iloc[:20], train, holdout)
    assert fresh.exact_copies == 0 and (fresh.to_holdout == 0).all()


def test_pipeline_cross_validate(flows):
    from imblearn.pipeline import Pipeline
    from sklearn.model_selection import cross_validate
    from sklearn.tree import DecisionTreeClassifier

    X, y = flows
    Xn = X.drop(columns="proto")
    pipe = Pipeline([
        ("augment", _tiny(CTGANAugmenter, sampling_strategy="power:0.5")),
        ("model", DecisionTreeClassifier(random_state=0)),
    ])
    scores = cross_validate(pipe, Xn, y, cv=2, scoring="recall_macro", error_score="raise")
    assert len(scores["test_score"]) == 2 and np.isfinite(scores["test_score"]).all()


def test_parameter_validation(flows):
    X, y = flows
    with pytest.raises(ValueError, match="device"):
        CTGANAugmenter(device="tpu").fit_resample(X, y)
    with pytest.raises(ValueError, match="multiple of pac"):
        _tiny(CTGANAugmenter, batch_size=45).fit_resample(X, y)


# -- real data -------------------------------------------------------------------------
def _thermostat():
    path = DATASETS / "ton_iot_telemetry" / "Train_Test_IoT_Thermostat.csv"
    if not path.is_file():
        pytest.skip(f"real data absent: {path} (set IOTFORGE_DATASETS)")
    frame = pd.read_csv(path, encoding="utf-8-sig")
    parts = [g.sample(20 if c == "scanning" else min(len(g), 400), random_state=0)
             for c, g in frame.groupby("type")]
    frame = pd.concat(parts, ignore_index=True)
    return frame[["current_temperature", "thermostat_status"]], frame["type"].to_numpy()


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """2 shared cores: one intra-op thread avoids oversubscription (restored after)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.training
def test_ctgan_hit_rate_on_rare_class_vs_ctgan_own_conditioning():
    """TON_IoT thermostat, 'scanning' = 20 of 2,420 rows (0.83 %)."""
    X, y = _thermostat()
    assert (y == "scanning").mean() < 0.01
    aug = CTGANAugmenter(sampling_strategy={"scanning": 420}, epochs=80, batch_size=100,
                         embedding_dim=32, generator_dim=(64, 64), discriminator_dim=(64, 64),
                         random_state=0)
    X_res, y_res = aug.fit_resample(X, y)
    assert (y_res == "scanning").sum() == 420
    assert aug.hit_rate_["scanning"] >= 0.99
    ours = sample_ctgan_conditional(aug.synthesizer_, 2000, _LABEL, "scanning", random_state=1)
    assert (ours[_LABEL] == "scanning").mean() >= 0.99
    # ctgan's own conditional sampling on the same fitted model (on a copy: it runs the
    # generator in training mode, which also overwrites the BatchNorm running statistics)
    theirs_model = copy.deepcopy(aug.synthesizer_)
    theirs_model.set_random_state(1)
    bn = [m for m in theirs_model._generator.modules() if hasattr(m, "running_mean")][0]
    stats = bn.running_mean.clone()
    theirs = theirs_model.sample(2000, condition_column=_LABEL, condition_value="scanning")
    assert (theirs[_LABEL] == "scanning").mean() < 0.5
    assert not np.allclose(stats.numpy(), bn.running_mean.numpy())


def _cic(classes):
    folder = DATASETS / "cicids2017_improved_sample"
    if not folder.is_dir():
        pytest.skip(f"real data absent: {folder} (set IOTFORGE_DATASETS)")
    cols = ["Dst Port", "Protocol", "Flow Duration", "Total Fwd Packet",
            "Total Length of Fwd Packet", "Flow IAT Mean"]
    frames = [pd.read_csv(f, usecols=[*cols, "Label"]) for f in sorted(folder.glob("*.csv"))]
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[frame["Label"].isin(classes)]
    parts = [g.sample(min(len(g), 300), random_state=0) for _, g in frame.groupby("Label")]
    frame = pd.concat(parts, ignore_index=True)
    return frame[cols], frame["Label"].to_numpy()


@pytest.mark.parametrize("cls", [GaussianCopulaAugmenter, TVAEAugmenter],
                         ids=lambda c: c.__name__)
def test_cic_tiny_classes_exact_and_valid(cls):
    """Heartbleed (11 rows) and SQL injection (13 rows) raised to 100 each."""
    X, y = _cic(["BENIGN", "Heartbleed", "Web Attack - SQL Injection"])
    aug = _tiny(cls, sampling_strategy={"Heartbleed": 100, "Web Attack - SQL Injection": 100})
    X_res, y_res = aug.fit_resample(X, y)
    assert pd.Series(y_res).value_counts().to_dict() == {
        "BENIGN": 300, "Heartbleed": 100, "Web Attack - SQL Injection": 100}
    syn = X_res[aug.synthetic_mask_]
    assert (X_res.dtypes == X.dtypes).all()
    assert syn["Dst Port"].between(0, 65535).all()
    counts = ["Flow Duration", "Total Fwd Packet", "Total Length of Fwd Packet"]
    assert (syn[counts] >= 0).all().all()
    assert not np.isin(row_keys(syn), row_keys(X)).any()
    if cls is GaussianCopulaAugmenter:  # one model per class, SDV clamps to its range
        for c in ["Heartbleed", "Web Attack - SQL Injection"]:
            real, rows = X[y == c], syn[y_res[aug.synthetic_mask_] == c]
            assert ((rows >= real.min()) & (rows <= real.max())).all().all()


# imbalanced-learn's full estimator checks pass for all four (tiny settings) but take
# about 8 minutes on 2 shared cores; the cheap API checks run here.
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_sklearn_api_checks(cls):
    from imblearn.utils.estimator_checks import check_param_validation
    from sklearn.utils.estimator_checks import (
        check_get_params_invariance,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_set_params,
    )

    for check in (check_param_validation, check_no_attributes_set_in_init,
                  check_parameters_default_constructible, check_get_params_invariance,
                  check_set_params):
        check(cls.__name__, _tiny(cls))
