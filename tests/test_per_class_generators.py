"""Per-class generators (``per_class=True`` on CTGAN and CopulaGAN) and torch threads.

Tiny networks, one or two epochs, one torch thread: these test the contract (exact
counts, one model per grown class trained on that class only, determinism, save/load),
not the quality of the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from iotforge.augment import CopulaGANAugmenter, CTGANAugmenter, TVAEAugmenter  # noqa: E402

TINY = dict(epochs=2, batch_size=20, generator_dim=(8,), discriminator_dim=(8,),
            embedding_dim=4, pac=2)
STRATEGY = {"scan": 30, "ddos": 20}


@pytest.fixture(scope="module")
def data():
    # each class has its own protocols: a model trained on one class only knows its own
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"bytes": rng.gamma(2, 50, 100).round(), "dur": rng.random(100),
                      "proto": ["tcp"] * 80 + ["udp", "gre"] * 6 + ["icmp"] * 8})
    y = np.array(["normal"] * 80 + ["scan"] * 12 + ["ddos"] * 8, dtype=object)
    return X, y


def _fit(cls, X, y, seed=0, **kw):
    aug = cls(sampling_strategy=STRATEGY, random_state=seed, per_class=True, **TINY, **kw)
    X_res, y_res = aug.fit_resample(X, y)
    return aug, X_res, y_res


@pytest.mark.parametrize("cls", [CTGANAugmenter, CopulaGANAugmenter])
def test_one_model_per_grown_class_exact_counts_and_deterministic(cls, data):
    X, y = data
    aug, X_res, y_res = _fit(cls, X, y)
    assert pd.Series(y_res).value_counts().to_dict() == {"normal": 80, "scan": 30, "ddos": 20}
    models = aug.generators_ if cls is CTGANAugmenter else aug.synthesizers_
    assert sorted(models) == ["ddos", "scan"]  # not 'normal': it is not grown
    assert len({id(m) for m in models.values()}) == 2
    assert aug.hit_rate_ == {"scan": 1.0, "ddos": 1.0}
    # each model saw its class only: its rows carry only that class's protocols
    synth = X_res[aug.synthetic_mask_]
    ys = y_res[aug.synthetic_mask_]
    for c in ("scan", "ddos"):
        seen = set(X.loc[y == c, "proto"])
        assert set(synth.loc[ys == c, "proto"]) <= seen
        if cls is CTGANAugmenter:
            discrete = [col for col in aug.specs_[c] if col["kind"] == "discrete"]
            assert [set(col["categories"]) for col in discrete] == [seen]
    again, X_again, _ = _fit(cls, X, y)
    pd.testing.assert_frame_equal(X_res, X_again)
    _, X_other, _ = _fit(cls, X, y, seed=1)
    assert not X_other[aug.synthetic_mask_].reset_index(drop=True).equals(
        synth.reset_index(drop=True))


def test_conditional_model_is_still_the_default(data):
    X, y = data
    aug = CTGANAugmenter(sampling_strategy=STRATEGY, random_state=0, **TINY)
    aug.fit_resample(X, y)
    assert aug.per_class is False and not hasattr(aug, "generators_")
    # one conditional model knows every class's protocols
    discrete = [col for col in aug.spec_ if col["kind"] == "discrete"]
    assert {"tcp", "udp", "gre", "icmp"} <= set(discrete[0]["categories"])


def test_per_class_ctgan_save_load_samples_the_same(data, tmp_path):
    X, y = data
    aug, _, _ = _fit(CTGANAugmenter, X, y)
    aug.save(tmp_path / "gen")
    loaded = CTGANAugmenter.load(tmp_path / "gen")
    assert loaded.per_class and sorted(loaded.generators_) == ["ddos", "scan"]
    a, ya = aug.sample({"scan": 7, "ddos": 3}, random_state=5)
    b, yb = loaded.sample({"scan": 7, "ddos": 3}, random_state=5)
    pd.testing.assert_frame_equal(a, b)
    assert list(ya) == list(yb) == ["scan"] * 7 + ["ddos"] * 3
    with pytest.raises(ValueError, match="expected a class this augmenter has a model for"):
        loaded.sample({"normal": 1})


def test_threads_are_set_while_fitting_and_sampling_then_restored(data):
    X, y = data
    seen: list[int] = []

    def contract(rows):  # called while drawing, inside fit_resample and sample
        seen.append(torch.get_num_threads())
        return np.ones(len(rows), dtype=bool)

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        aug = TVAEAugmenter(sampling_strategy={"scan": 20}, random_state=0, epochs=1,
                            min_steps=2, embedding_dim=4, compress_dims=(8,),
                            decompress_dims=(8,), contract=contract)
        assert aug.threads == 1
        aug.fit_resample(X, y)
        aug.sample({"scan": 3}, random_state=0)
        assert seen and set(seen) == {1}
        assert torch.get_num_threads() == 2
        seen.clear()
        aug.set_params(threads=None).fit_resample(X, y)  # None: torch's setting as it is
        assert set(seen) == {2}
    finally:
        torch.set_num_threads(before)


def _class_local_generators():
    """Every registered generator that fits one model per class, found by discovery:
    those with ``per_class`` (set True) and those without it (always per class)."""
    from iotforge.augment._gen_base import _GenerativeAugmenter

    from iotforge import augment

    out = []
    for name, cls in sorted(augment.registry().items()):
        if not issubclass(cls, _GenerativeAugmenter):
            continue
        params = cls().get_params()
        kw = {k: v for k, v in {**TINY, "compress_dims": (8,), "decompress_dims": (8,)}.items()
              if k in params}
        if "per_class" in params:
            kw["per_class"] = True
        out.append(pytest.param(cls, kw, id=name))
    return out


@pytest.mark.parametrize(("cls", "kw"), _class_local_generators())
def test_a_class_of_one_row_gets_new_rows_without_a_model(cls, kw, data):
    """A per-class model cannot be fitted on one row (CTGAN's per-column mixture needs
    two): MQTTset's training side has a one-row class. The class still gets exactly the
    rows asked, none identical to a training row, and no model."""
    X, y = data
    X = pd.concat([X, pd.DataFrame({"bytes": [900.0], "dur": [0.5], "proto": ["tcp"]})],
                  ignore_index=True)
    y = np.r_[y, ["flood"]]
    aug = cls(sampling_strategy={"flood": 6, "ddos": 12}, random_state=0, **kw)
    with pytest.warns(UserWarning, match="'flood': 1 training row"):
        X_res, y_res = aug.fit_resample(X, y)
    counts = pd.Series(y_res).value_counts()
    assert counts["flood"] == 6 and counts["ddos"] == 12
    assert aug.unfitted_classes_ == ["flood"]
    assert "flood" not in aug._drawable_classes()
    synth = X_res[aug.synthetic_mask_]
    train = set(map(tuple, X.astype(str).to_numpy()))
    assert not any(tuple(r) in train for r in synth.astype(str).to_numpy())
