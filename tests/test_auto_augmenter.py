"""AutoAugmenter: abstains where augmentation cannot help, chooses where it clearly does,
augments training folds only, handles tiny classes and budgets, and ``iotforge augment
--method auto`` / ``--target`` on a small split."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import Pipeline
from imblearn.utils.estimator_checks import check_param_validation, parametrize_with_checks
from iotforge.augment import AutoAugmenter, RandomOverSamplerAugmenter, resolve_sampling_strategy
from iotforge.augment._auto import DEFAULT_CANDIDATES
from iotforge.curation.errors import UsageError
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)
from spy_estimator import Spy
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(1):
        yield


def _two_clusters(sep: float, n_major: int, n_rare: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": np.r_[rng.normal(0, 1, n_major), rng.normal(sep, 1, n_rare)],
                      "b": np.r_[rng.normal(0, 1, n_major), rng.normal(sep, 1, n_rare)],
                      "proto": rng.choice(["tcp", "udp"], n_major + n_rare)})
    return X, np.array(["normal"] * n_major + ["rare"] * n_rare, dtype=object)


# A tree whose leaves need 40 rows cannot give 12 training rows of a class their own
# leaf; grown to ~120 rows (power:0.5 of 1000 vs 15) they get one.
_COARSE_TREE = make_pipeline(
    ColumnTransformer([("proto", OneHotEncoder(), ["proto"])], remainder="passthrough"),
    DecisionTreeClassifier(min_samples_leaf=40, random_state=0))




def _with_ids(X: pd.DataFrame) -> pd.DataFrame:
    # x.5 ids: never whole numbers, so the validity rules do not round them, and an
    # interpolated synthetic id is (almost surely) no real row's id
    return X.assign(id=np.arange(len(X)) + 0.5)


def test_abstains_on_a_perfectly_separable_rare_class():
    X, y = _two_clusters(sep=12, n_major=600, n_rare=25)
    auto = AutoAugmenter(cv=5, random_state=0)
    X_res, y_res = auto.fit_resample(X, y)
    assert auto.choice_ == "none" and auto.chosen_ is None
    assert auto.reason_.startswith("abstained")
    pd.testing.assert_frame_equal(X_res, X)
    assert list(y_res) == list(y) and not auto.synthetic_mask_.any()
    # every arm scores 1.0 on every repeat, so no gain can be shown, and none is
    # possible: the decision is resolved at the first look (2 repeats)
    table = auto.cv_results_
    assert set(table["candidate"]) == {"none", *DEFAULT_CANDIDATES}
    assert (table["score"] == 1.0).all() and len(table) == (1 + len(DEFAULT_CANDIDATES)) * 2
    assert auto.selection_["repeats"] == 2 and auto.selection_["stop"].startswith("resolved")


def test_chooses_an_augmenter_where_one_clearly_helps():
    X, y = _two_clusters(sep=4, n_major=1000, n_rare=15)
    auto = AutoAugmenter(cv=5, estimator=_COARSE_TREE, random_state=0)
    X_res, y_res = auto.fit_resample(X, y)
    assert auto.choice_ != "none" and auto.chosen_ is not None
    assert auto.reason_.startswith(f"chose {auto.choice_!r}")
    # the choice's rows are added: as many as power:0.5 asks for, all of the rare class
    expected = resolve_sampling_strategy("power:0.5", y)
    added = pd.Series(y_res[auto.synthetic_mask_]).value_counts().to_dict()
    assert added == {c: n for c, n in expected.items() if n}
    assert auto.n_synthetic_ == expected and len(X_res) == len(X) + expected["rare"]
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X)
    # the choice has the best mean gain over the repeats (per-repeat macro-F1 from
    # scikit-learn; the bootstrap counts confusion cells: the two agree)
    table = auto.cv_results_
    scores = table.pivot(index="repeat", columns="candidate", values="score")
    gains = scores.drop(columns="none").sub(scores["none"], axis=0)
    assert gains.mean()[auto.choice_] == pytest.approx(gains.mean().max(), abs=1e-12)
    summary = auto.selection_["candidates"][auto.choice_]
    assert summary["gain"] == pytest.approx(gains[auto.choice_].mean(), abs=1e-9)
    assert summary["lower_bound"] > 0 and auto.selection_["stop"] == "resolved: chosen"


def test_validation_folds_are_never_augmented_and_each_row_is_validated_once():
    X, y = _two_clusters(sep=1, n_major=200, n_rare=20)
    X = _with_ids(X)
    Spy.log = []
    auto = AutoAugmenter(candidates=["smote"], cv=4, n_repeats=2, estimator=Spy(),
                         random_state=0)  # repeat by repeat: none's 4 folds, smote's 4
    auto.fit_resample(X, y)
    real = set(X["id"])
    fits = [ids for kind, ids in Spy.log if kind == "fit"]
    predicts = [ids for kind, ids in Spy.log if kind == "predict"]
    assert len(fits) == len(predicts) == 2 * 4 * 2  # (none + smote) x 4 folds x 2 repeats
    for ids in predicts:
        assert set(ids) <= real  # only real rows are predicted
    # each arm validates every row exactly once per repeat
    for start in (0, 4, 8, 12):
        seen = np.concatenate(predicts[start: start + 4])
        assert sorted(seen) == sorted(X["id"])
    # the smote arm trained on its fold's real rows plus new ones, none of them validated
    smote = [i for start in (4, 12) for i in range(start, start + 4)]
    for i in smote:
        synthetic = set(fits[i]) - real
        assert synthetic and not set(fits[i]) & set(predicts[i])


def test_classes_too_small_for_the_folds_are_named_and_handled():
    X, y = _two_clusters(sep=4, n_major=1000, n_rare=15)
    rng = np.random.default_rng(1)
    tiny = pd.DataFrame({"a": rng.normal(-6, 1, 4), "b": rng.normal(-6, 1, 4),
                         "proto": ["tcp"] * 4})
    X = pd.concat([X, tiny], ignore_index=True)
    y = np.r_[y, ["three"] * 3, ["single"]].astype(object)
    auto = AutoAugmenter(cv=5, estimator=_COARSE_TREE, random_state=0)
    X_res, y_res = auto.fit_resample(X, y)
    notes = " ".join(auto.selection_["notes"])
    # classes smaller than the folds no longer cut every class's folds: they are in every
    # training side and not validated
    assert "'three' (3 rows)" in notes and "not validated" in notes
    assert auto.selection_["left_as_is"] == ["single"] and "'single'" in notes
    assert sorted(auto.selection_["not_validated"]) == ["single", "three"]
    assert auto.selection_["folds"] == 5
    # the one-row class is not augmented, whatever was chosen
    assert int((y_res == "single").sum()) == 1 and auto.n_synthetic_["single"] == 0


def test_groups_never_straddle_a_fold():
    X, y = _two_clusters(sep=1, n_major=240, n_rare=40)
    X = _with_ids(X)
    groups = np.arange(len(X)) % 8  # 8 "capture files", every class in each
    Spy.log = []
    auto = AutoAugmenter(candidates=["random_oversampler"], cv=4, estimator=Spy(),
                         groups=groups, random_state=0)
    auto.fit_resample(X, y)
    assert auto.selection_["fold_scheme"] == "grouped"
    group_of = dict(zip(X["id"], groups, strict=True))
    pairs = zip([i for k, i in Spy.log if k == "fit"], [i for k, i in Spy.log if k == "predict"],
                strict=True)
    for fit_ids, val_ids in pairs:
        train_groups = {group_of[i] for i in fit_ids if i in group_of}
        assert not train_groups & {group_of[i] for i in val_ids}


def test_time_limit_skips_the_remaining_candidates():
    X, y = _two_clusters(sep=1, n_major=200, n_rare=20)
    auto = AutoAugmenter(time_limit=1e-9, random_state=0)
    X_res, _ = auto.fit_resample(X, y)
    assert auto.choice_ == "none" and len(X_res) == len(X)
    assert set(auto.cv_results_["candidate"]) == {"none"}
    assert auto.selection_["skipped"] == list(DEFAULT_CANDIDATES)
    assert "time limit" in auto.reason_


def test_recall_objective_and_bad_parameters():
    X, y = _two_clusters(sep=4, n_major=1000, n_rare=15)
    auto = AutoAugmenter(candidates=[("ros", RandomOverSamplerAugmenter(
        sampling_strategy="power:0.5", shrinkage=0.1, random_state=0))],
        scoring={"recall": ["rare"]}, estimator=_COARSE_TREE, random_state=0)
    auto.fit_resample(X, y)
    base = auto.cv_results_.query("candidate == 'none'")["score"]
    assert (base == 0.0).all()  # the coarse tree never finds the rare class unaided
    assert auto.choice_ == "ros" and "recall of ['rare']" in auto.reason_
    with pytest.raises(ValueError, match="expected classes of y"):
        AutoAugmenter(scoring={"recall": ["ddos"]}).fit_resample(X, y)
    with pytest.raises(UsageError, match="expected a method in"):
        AutoAugmenter(candidates=["magic"]).fit_resample(X, y)
    with pytest.raises(ValueError, match="unique names"):
        AutoAugmenter(candidates=["smote", "smote"]).fit_resample(X, y)


def test_deterministic_and_usable_in_an_imblearn_pipeline():
    X, y = _two_clusters(sep=4, n_major=1000, n_rare=15)
    runs = []
    for _ in range(2):
        auto = AutoAugmenter(candidates=["smote", "random_oversampler"], cv=3,
                             estimator=_COARSE_TREE, random_state=3)
        X_res, _ = auto.fit_resample(X, y)
        runs.append((auto.choice_, X_res, auto.cv_results_.drop(columns="seconds")))
    assert runs[0][0] == runs[1][0]
    pd.testing.assert_frame_equal(runs[0][1], runs[1][1])
    pd.testing.assert_frame_equal(runs[0][2], runs[1][2])
    pipe = Pipeline([("augment", AutoAugmenter(candidates=["smote", "random_oversampler"],
                                               cv=3, estimator=_COARSE_TREE, random_state=3)),
                     ("tree", _COARSE_TREE)])
    pipe.fit(X, y)
    assert pipe.named_steps["augment"].choice_ == runs[0][0]
    assert (pipe.predict(X) == "rare").sum() > 0


_ABSTAINS = ("AutoAugmenter adds no row when no candidate beats no augmentation beyond "
             "its inner-CV noise, so the check's 'every class grows to the majority' "
             "does not apply")


@parametrize_with_checks(
    [AutoAugmenter(candidates=["random_oversampler"], cv=2,
                   estimator=DecisionTreeClassifier(random_state=0), random_state=0)],
    expected_failed_checks=lambda e: {"check_samplers_fit_resample": _ABSTAINS},
)
def test_imblearn_estimator_checks(estimator, check):
    check(estimator)


# -- the command line ----------------------------------------------------------------

def _write_train(path, *, sep: float, extra: dict | None = None):
    from iotforge.curation.schema import TableMeta, write_frame_atomic

    rng = np.random.default_rng(0)
    sizes = {"normal": 300, "dos_hulk": 30, "dos_slowloris": 20, "portscan": 25}
    centre = {"normal": 0.0, "dos_hulk": sep, "dos_slowloris": -sep, "portscan": 2 * sep}
    parts = []
    for i, (label, n) in enumerate(sizes.items()):
        parts.append(pd.DataFrame({
            "source": "flows", "source_file": [f"cap{j % 4}.csv" for j in range(n)],
            "source_row": np.arange(n) + 1000 * i, "is_synthetic": False,
            "augmenter": pd.Series([None] * n, dtype="string"),
            "label": label, "label_raw": label, "is_attack": label != "normal",
            "attack_family": {"normal": None, "portscan": "probe"}.get(label, "dos"),
            "bytes": rng.normal(centre[label], 1, n), "pkts": rng.normal(centre[label], 1, n),
            "proto": rng.choice(["tcp", "udp"], n)}))
    df = pd.concat(parts, ignore_index=True)
    roles = {c: "provenance" for c in ("source", "source_file", "source_row", "is_synthetic",
                                       "augmenter")}
    roles.update({c: "label" for c in ("label", "label_raw", "is_attack", "attack_family")})
    roles.update(bytes="numeric", pkts="numeric", proto="categorical")
    meta = TableMeta(stage="split", roles=roles, sources=["flows"], split="train", seed=0,
                     extra=extra or {})
    write_frame_atomic(df, path, meta)
    return df


def test_cli_auto_abstains_and_reports_its_table(cli, tmp_path):
    train = _write_train(tmp_path / "train.parquet", sep=15,
                         extra={"target": "label", "split": {"mode": "group",
                                                             "by": "source_file"}})
    out = tmp_path / "auto.parquet"
    res = cli("augment", str(tmp_path / "train.parquet"), "--method", "auto",
              "--candidates", "smote:power:0.5,random_oversampler", "--param", "cv=3",
              "--time-limit", "300", "--threads", "1", "--out", str(out))
    assert res.returncode == 0, res.stderr
    report = json.loads(out.with_suffix(".json").read_text())
    selection = report["sources"]["flows"]["selection"]
    assert selection["choice"] == "none" and selection["fold_scheme"] == "grouped"
    assert "abstained" in res.stderr and selection["reason"] in res.stderr.replace("\n", " ")
    names = {r["candidate"] for r in selection["cv_results"]}
    assert names == {"none", "smote:power:0.5", "random_oversampler:power:0.5"}
    assert len(selection["cv_results"]) == 3 * selection["repeats"]
    assert len(pd.read_parquet(out)) == len(train)  # abstained: the training rows only


def test_cli_target_attack_family_grows_families_with_consistent_labels(cli, tmp_path):
    from iotforge.curation.schema import read_meta

    train = _write_train(tmp_path / "train.parquet", sep=3,
                         extra={"target": "attack_family"})
    out = tmp_path / "smote.parquet"
    res = cli("augment", str(tmp_path / "train.parquet"), "--method", "smote",
              "--strategy", "power:0.5", "--out", str(out))
    assert res.returncode == 0, res.stderr
    aug = pd.read_parquet(out)
    synth = aug[aug["is_synthetic"]]
    # the families' sizes are 300 normal, 50 dos, 25 probe: power:0.5 grows dos and probe
    families = np.where(train["is_attack"], train["attack_family"], "normal")
    expected = {c: n for c, n in resolve_sampling_strategy("power:0.5", families).items() if n}
    assert synth["attack_family"].value_counts().to_dict() == expected
    # every synthetic row's label is a real label of its family
    family_of = dict(zip(train["label"], families, strict=True))
    assert (synth["label"].map(family_of) == synth["attack_family"]).all()
    assert synth["is_attack"].all()
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["target"] == "attack_family"
    assert read_meta(out).extra["target"] == "attack_family"


def test_cli_auto_flags_are_checked(cli, tmp_path):
    _write_train(tmp_path / "train.parquet", sep=3)
    path = str(tmp_path / "train.parquet")
    for args, message in [
        (["--method", "auto", "--candidates", "smote,magic"], "expected methods in"),
        (["--method", "auto", "--candidates", "smote:power:x"], "expected a number"),
        (["--method", "smote", "--time-limit", "5"], "--method auto only"),
        (["--method", "auto", "--time-limit", "0"], "expected seconds > 0"),
    ]:
        res = cli("augment", path, *args, "--out", str(tmp_path / "x.parquet"))
        assert res.returncode == 2, (args, res.stderr)
        assert message in res.stderr and "Traceback" not in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("check", [check_param_validation, check_no_attributes_set_in_init,
                                   check_parameters_default_constructible,
                                   check_get_params_invariance, check_set_params],
                         ids=lambda c: c.__name__)
def test_sklearn_api_checks(check):
    check("AutoAugmenter", AutoAugmenter(candidates=["random_oversampler"], cv=2,
                                         estimator=DecisionTreeClassifier(random_state=0),
                                         random_state=0))


def test_inner_cv_groups_follow_the_split_mode():
    from iotforge.augment._table import split_groups as _inner_cv_groups
    from iotforge.curation.schema import TableMeta

    df = pd.DataFrame({"host": ["a", "b", "a", "c"], "source_file": ["x", "x", "y", "y"],
                       "ts": pd.to_datetime(["2024-01-04", "2024-01-01", "2024-01-03",
                                             "2024-01-02"])})
    def meta(split):
        return TableMeta(stage="split", roles={"ts": "time"}, extra={"split": split})

    assert _inner_cv_groups(df, meta({"mode": "group", "by": "host"})).tolist() == [
        "a", "b", "a", "c"]
    assert _inner_cv_groups(df, meta({"mode": "predefined"})).tolist() == ["x", "x", "y", "y"]
    # time: consecutive blocks in time order (2 blocks of 2 rows), the time column found
    # by its role when the split recorded none
    assert _inner_cv_groups(df, meta({"mode": "time", "by": None}), blocks=2).tolist() == [
        1, 0, 1, 0]
    assert _inner_cv_groups(df, meta({"mode": "stratified"})) is None
