"""AutoAugmenter's decision (pooled out-of-fold predictions, the evaluation's paired
bootstrap, adaptive repeats), its fold schemes and its small classes, each checked against
an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from iotforge.augment import AutoAugmenter, SMOTEAugmenter, augment_table
from iotforge.augment._inner_cv import plan_folds
from iotforge.curation.schema import TableMeta
from scipy.stats import t as student_t
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.tree import DecisionTreeClassifier
from spy_estimator import Spy
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(1):
        yield


def planted(seed: int, centre_u2r: float = 3.5):
    """1,500 normal, 300 dos and 12 u2r rows: a tree whose leaves need 25 rows cannot give
    u2r a leaf, one trained on SMOTE's power:0.5 rows (about 130 u2r rows) can."""
    rng = np.random.default_rng(seed)
    n = {"normal": 1500, "dos": 300, "u2r": 12}
    centre = {"normal": (0, 0), "dos": (5, 0), "u2r": (0, centre_u2r)}
    X = pd.concat([pd.DataFrame(rng.normal(centre[c], 1, size=(k, 2)), columns=["a", "b"])
                   for c, k in n.items()], ignore_index=True)
    y = np.concatenate([[c] * k for c, k in n.items()]).astype(object)
    return X, y


TREE = DecisionTreeClassifier(min_samples_leaf=25, random_state=0)


def test_planted_rare_class_effect_the_old_rule_could_not_resolve_is_chosen():
    X, y = planted(0)
    # the old rule, computed here from scratch: 5 folds x 1 repeat, per-fold macro-F1,
    # Nadeau-Bengio corrected t with 4 degrees of freedom, Bonferroni over 6 candidates
    gains = []
    for tr, va in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        def score(X_tr, y_tr, va=va):
            model = clone(TREE).fit(X_tr, y_tr)
            return f1_score(y[va], model.predict(X.iloc[va]), average="macro")
        X_aug, y_aug = SMOTEAugmenter(sampling_strategy="power:0.5",
                                      random_state=0).fit_resample(X.iloc[tr], y[tr])
        gains.append(score(X_aug, y_aug) - score(X.iloc[tr], y[tr]))
    d = np.array(gains)
    old = d.mean() - student_t.ppf(1 - 0.05 / 6, 4) * math.sqrt((1 / 5 + 1 / 4) * d.var(ddof=1))
    assert d.mean() > 0.1 and old < 0  # a large gain the old rule could not resolve
    auto = AutoAugmenter(estimator=TREE, random_state=0)
    X_res, y_res = auto.fit_resample(X, y)
    assert auto.choice_.startswith("smote") and auto.selection_["stop"] == "resolved: chosen"
    assert auto.selection_["candidates"][auto.choice_]["lower_bound"] > 0
    assert int((y_res == "u2r").sum()) > 12


class Shuffle(BaseEstimator):
    """A candidate with no effect in expectation: the same rows in another order (the
    forest then draws other bootstrap samples)."""

    def __init__(self, random_state: int = 0):
        self.random_state = random_state

    def fit_resample(self, X, y):
        order = np.random.default_rng(self.random_state).permutation(len(y))
        return X.iloc[order], np.asarray(y)[order]


def _null_data(seed: int):
    rng = np.random.default_rng(seed)
    n = {"normal": 200, "dos": 60, "u2r": 15}
    centre = {"normal": (0, 0), "dos": (1.5, 0), "u2r": (0, 1.5)}
    X = pd.concat([pd.DataFrame(rng.normal(centre[c], 1, size=(k, 2)), columns=["a", "b"])
                   for c, k in n.items()], ignore_index=True)
    return X, np.concatenate([[c] * k for c, k in n.items()]).astype(object)


def _null_choices(replicates: int, **params) -> int:
    chosen = 0
    for seed in range(replicates):
        X, y = _null_data(seed)
        forest = RandomForestClassifier(n_estimators=5, max_depth=4, random_state=seed)
        auto = AutoAugmenter(estimator=forest, random_state=seed, **params)
        auto.fit_resample(X, y)
        chosen += auto.choice_ != "none"
    return chosen


@pytest.mark.slow
def test_null_effect_chosen_at_most_at_the_nominal_rate():
    # one candidate, one look: the bootstrap alone; at 5 % nominal, 200 replicates choose
    # 10 on average (measured: 11); more than 19 is beyond three standard deviations
    one = _null_choices(200, candidates=[("shuffle", Shuffle(1))], n_repeats=2)
    assert one <= 19
    # the defaults' shape: three null candidates, looks after 2, 4 and 6 repeats; the
    # Bonferroni over candidates and looks keeps the familywise rate at most 5 %
    many = _null_choices(100, candidates=[(f"shuffle{i}", Shuffle(i)) for i in range(3)])
    assert many <= 10


def test_null_effect_fast_check_abstains():
    assert _null_choices(4, candidates=[(f"shuffle{i}", Shuffle(i)) for i in range(3)],
                         n_repeats=2) == 0


# -- fold schemes ------------------------------------------------------------------

def _families(seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = ["normal"] * 120 + ["neptune"] * 30 + ["smurf"] * 25 + ["back"] * 15 + \
        ["portsweep"] * 20 + ["satan"] * 20
    family = {"normal": "normal", "neptune": "dos", "smurf": "dos", "back": "dos",
              "portsweep": "probe", "satan": "probe"}
    X = pd.DataFrame({"a": rng.normal(size=len(labels)), "b": rng.normal(size=len(labels))})
    return X, np.array([family[v] for v in labels], dtype=object), np.array(labels, object)


def test_label_holdout_folds_never_train_on_the_subtype_they_validate():
    _, y, sub = _families()
    plan = plan_folds(y, 0, cv=5, subtypes=sub)
    assert plan.scheme == "label-holdout"
    for repeat in range(3):
        folds = plan.folds(repeat, y)
        seen = np.concatenate([va for _, va in folds])
        assert sorted(seen) == list(range(len(y)))  # every row validated once
        for tr, va in folds:
            held = set(sub[va]) - {"normal"}
            assert not held & set(sub[tr])  # brute force: sets of subtypes
        # 5 subtypes of the two families over 5 folds: each fold holds one out
        assert all(len(set(sub[va]) - {"normal"}) == 1 for _, va in folds)


def _table(mode: str | None, target: str):
    X, family, label = _families()
    n = len(label)
    df = pd.DataFrame({
        "source": "flows", "source_file": [f"cap{i % 3}.csv" for i in range(n)],
        "time": pd.date_range("2024-01-01", periods=n, freq="min", tz="UTC"),
        "host": [f"h{i % 6}" for i in range(n)], "a": X["a"], "b": X["b"],
        "label": label, "is_attack": label != "normal",
        "attack_family": np.where(label == "normal", None, family)})
    roles = {"source": "provenance", "source_file": "provenance", "time": "time",
             "host": "categorical", "a": "numeric", "b": "numeric", "label": "label",
             "is_attack": "label", "attack_family": "label"}
    split = {} if mode is None else {"mode": mode, "by": "host" if mode == "group" else None}
    meta = TableMeta(stage="split", roles=roles, split="train", extra={"split": split,
                                                                      "target": target})
    return df, meta


@pytest.mark.parametrize("mode,target,scheme", [
    ("stratified", "label", "stratified"),
    ("stratified", "attack_family", "label-holdout"),
    ("group", "attack_family", "grouped"),
    ("time", "label", "grouped"),
    ("predefined", "attack_family", "grouped"),
])
def test_fold_scheme_follows_the_split_mode_and_target(mode, target, scheme):
    from iotforge.augment import split_groups

    df, meta = _table(mode, target)
    result = augment_table(df, meta, method="auto", target=target,
                           groups=split_groups(df, meta),
                           params={"candidates": ["random_oversampler"], "n_repeats": 1,
                                   "estimator": DecisionTreeClassifier(random_state=0)})
    selection = result.report["sources"]["flows"]["selection"]
    assert selection["fold_scheme"] == scheme, selection["fold_scheme_reason"]
    assert selection["fold_scheme_reason"]


# -- small classes -----------------------------------------------------------------



def test_classes_smaller_than_the_folds_train_in_every_fold_and_are_never_validated():
    rng = np.random.default_rng(0)
    y = np.array(["normal"] * 100 + ["dos"] * 40 + ["tiny"] * 3, dtype=object)
    X = pd.DataFrame({"a": rng.normal(size=len(y)), "id": np.arange(len(y)) + 0.5})
    Spy.log = []
    auto = AutoAugmenter(candidates=[("shuffle", Shuffle(0))], cv=5, n_repeats=2,
                         estimator=Spy(), random_state=0)
    auto.fit_resample(X, y)
    tiny = set(X["id"][y == "tiny"])
    fits = [ids for kind, ids in Spy.log if kind == "fit"]
    predicts = [ids for kind, ids in Spy.log if kind == "predict"]
    assert len(fits) == 2 * 5 * 2  # 5 folds, not 3: the 3-row class does not cut them
    assert all(tiny <= set(ids) for ids in fits)
    assert not any(tiny & set(ids) for ids in predicts)
    assert auto.selection_["not_validated"] == ["tiny"] and auto.selection_["folds"] == 5


def test_groups_nested_in_classes_fall_back_to_stratified():
    # one training file per class (MQTTset's predefined split): grouping by file would
    # validate each class on a model that never saw it
    y = np.array(["benign"] * 50 + ["flood"] * 30 + ["slowite"] * 20, dtype=object)
    files = np.array([f"{c}-train.pcap" for c in y], dtype=object)
    plan = plan_folds(y, 0, cv=5, groups=files)
    assert plan.scheme == "stratified" and "single group" in plan.reason
    for tr, va in plan.folds(0, y):
        assert set(y[va]) <= set(y[tr])  # every validated class is also trained on


def test_identical_feature_rows_share_a_fold():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(60, 2)).round(1)
    X = pd.DataFrame(np.repeat(base, rng.integers(1, 6, size=60), axis=0), columns=["a", "b"])
    y = np.where(X["a"] > 0.5, "attack", "normal").astype(object)
    keys = X.astype(str).agg("|".join, axis=1).to_numpy()  # an independent row key
    from iotforge.augment._base import row_keys

    plan = plan_folds(y, 0, cv=5, same=row_keys(X))
    assert "identical feature rows kept in one fold" in plan.reason
    for repeat in range(3):
        folds = plan.folds(repeat, y)
        assert sorted(np.concatenate([va for _, va in folds])) == list(range(len(y)))
        for tr, va in folds:
            assert not set(keys[va]) & set(keys[tr])


def test_a_class_of_identical_rows_is_trained_in_every_fold_and_never_validated():
    # IoT-23's ddos and portscan: thousands of rows, one distinct feature row. Kept in one
    # fold, that row's fold would validate the class on a model that never saw it.
    rng = np.random.default_rng(0)
    X = pd.DataFrame(np.r_[rng.normal(size=(100, 2)), rng.normal(3, 1, size=(40, 2)),
                           np.tile([[9.0, 9.0]], (30, 1))], columns=["a", "b"])
    y = np.array(["normal"] * 100 + ["dos"] * 40 + ["flood"] * 30, dtype=object)
    keys = X.astype(str).agg("|".join, axis=1).to_numpy()  # an independent row key
    from iotforge.augment._base import row_keys

    plan = plan_folds(y, 0, cv=5, same=row_keys(X))
    assert plan.not_validated == ["flood"] and plan.units["flood"] == 1
    flood = set(np.flatnonzero(y == "flood"))
    for repeat in range(3):
        folds = plan.folds(repeat, y)
        assert sorted(np.concatenate([va for _, va in folds])) == sorted(
            set(range(len(y))) - flood)
        for tr, va in folds:
            assert set(y[va]) <= set(y[tr])  # every validated class is trained on
            assert flood <= set(tr)
            assert not set(keys[va]) & set(keys[tr])


def test_a_class_in_one_group_is_trained_in_every_fold_and_never_validated():
    rng = np.random.default_rng(1)
    y = np.array(["normal"] * 120 + ["dos"] * 60 + ["burst"] * 20, dtype=object)
    groups = np.r_[rng.integers(0, 6, 180), np.full(20, 3)].astype(str)
    plan = plan_folds(y, 0, cv=5, groups=groups)
    assert plan.scheme == "grouped" and plan.not_validated == ["burst"]
    for tr, va in plan.folds(0, y):
        assert set(y[va]) <= set(y[tr])
        assert not set(groups[va]) & set(groups[tr][y[tr] != "burst"])


def test_auto_names_a_class_of_identical_rows_as_not_validated():
    X, y = planted(0)
    X = pd.concat([X, pd.DataFrame({"a": [20.0] * 40, "b": [20.0] * 40})],
                  ignore_index=True)
    y = np.r_[y, ["scan"] * 40].astype(object)
    auto = AutoAugmenter(candidates=[("shuffle", Shuffle(0))], cv=5, n_repeats=2,
                         estimator=TREE, random_state=0)
    auto.fit_resample(X, y)
    assert auto.selection_["not_validated"] == ["scan"]
    assert any("one unit of the folds" in n and "'scan' (40 rows)" in n
               for n in auto.selection_["notes"])


# -- identical rows are one observation ----------------------------------------------


def test_unit_bootstrap_of_copies_is_the_row_bootstrap_of_the_rows():
    from iotforge.curation.bootstrap import paired_bootstrap

    rng = np.random.default_rng(0)
    n, m = 400, 10
    y = rng.integers(0, 3, n)
    base = np.where(rng.random((3, n)) < 0.7, y, rng.integers(0, 3, (3, n)))
    treated = np.where(rng.random((3, n)) < 0.75, y, rng.integers(0, 3, (3, n)))
    rows = paired_bootstrap(y, base[None], treated[None], n_labels=3, classes=[2],
                            n_boot=4000, random_state=1)
    want = np.quantile(rows.draws[:, 0, :], [0.025, 0.975], axis=0)
    copy = np.repeat(np.arange(n), m)  # every row m times, each copy in its row's unit
    units = paired_bootstrap(y[copy], base[None][:, :, copy], treated[None][:, :, copy],
                             n_labels=3, classes=[2], n_boot=4000, random_state=2, units=copy)
    draws, observed = units.draws[:, 0, :], (units.treated - units.base)[0].mean(axis=0)
    np.testing.assert_allclose(observed, (rows.treated - rows.base)[0].mean(axis=0))
    np.testing.assert_allclose(np.quantile(draws, [0.025, 0.975], axis=0), want, atol=0.012)
    # the row bootstrap of the copies: an interval about sqrt(m) times too narrow
    copies = paired_bootstrap(y[copy], base[None][:, :, copy], treated[None][:, :, copy],
                              n_labels=3, classes=[2], n_boot=4000, random_state=1)
    narrow = np.quantile(copies.draws[:, 0, 0], [0.025, 0.975])
    assert want[0, 0] < 0 < narrow[0]


class OneNormalRow(BaseEstimator):
    """Adds one normal row beside IoT-23-like copies: its nearest neighbour flips them."""

    def __init__(self, random_state: int = 0):
        self.random_state = random_state

    def fit_resample(self, X, y):
        extra = pd.DataFrame({"a": [4.0], "b": [0.001]})
        return pd.concat([X, extra], ignore_index=True), np.r_[np.asarray(y), ["normal"]]


def copies_data():
    """300 distinct normal rows near (0, 0), 300 distinct attack rows near (5, 0), and one
    normal flow copied 300 times at (4, 0): a 1-nearest-neighbour model calls it attack
    unless it is given a normal row beside it."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(np.r_[rng.normal(0, 0.5, (300, 2)), rng.normal((5, 0), 0.1, (300, 2)),
                           np.tile([[4.0, 0.0]], (300, 1))], columns=["a", "b"])
    y = np.array(["normal"] * 300 + ["attack"] * 300 + ["normal"] * 300, dtype=object)
    return X, y


@pytest.mark.parametrize("rows_alone", [False, True])
def test_a_gain_carried_by_one_distinct_row_is_not_chosen(monkeypatch, rows_alone):
    from iotforge.augment._inner_cv import FoldPlan
    from sklearn.neighbors import KNeighborsClassifier

    X, y = copies_data()
    if rows_alone:  # the bootstrap over rows (as before): the 300 copies read as 300 flows
        monkeypatch.setattr(FoldPlan, "row_units", property(lambda self: None))
    auto = AutoAugmenter(candidates=[("one_row", OneNormalRow())], cv=5, n_repeats=2,
                         estimator=KNeighborsClassifier(1), random_state=0)
    auto.fit_resample(X, y)
    s = auto.selection_["candidates"]["one_row"]
    # the copies' unit is left out of a resample with chance (1 - 1/301)^301 = 0.37, far
    # above the bound's level: a resample without it shows no gain at all
    assert (1 - 1 / 301) ** 301 > auto.selection_["bootstrap"]["level"]
    assert s["gain"] > 0.1
    if rows_alone:
        assert auto.choice_ == "one_row" and s["lower_bound"] > 0.1
    else:
        assert auto.choice_ == "none" and s["lower_bound"] <= 0
