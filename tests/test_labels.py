"""Label audit: confident learning and the pair judgement against brute-force loops,
planted flips found on a seeded fixture, a pair no model can tell apart withheld on a
seeded make_classification fixture, a class too small to learn not judged, abstention
without signal, both engines, and the accounting of each
policy through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from iotforge.curation.labels import (
    LabelAudit,
    calibrate,
    class_thresholds,
    confident_joint,
    decided,
    find_label_issues,
    fold_ids,
    noise_matrix,
    pair_judgement,
    prune_by_noise_rate,
)


def _blobs(n_per: int = 120, flips: int = 18, seed: int = 0) -> tuple[np.ndarray, np.ndarray,
                                                                       np.ndarray]:
    """Three well-separated Gaussian classes; ``flips`` rows given another class."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 3.0], [0.0, 6.0, -3.0]])
    X = np.vstack([rng.normal(c, 1.0, (n_per, 3)) for c in centres])
    y = np.repeat(np.array(["a", "b", "c"]), n_per).astype(object)
    planted = rng.choice(len(y), flips, replace=False)
    for i in planted:
        y[i] = rng.choice([c for c in ("a", "b", "c") if c != y[i]])
    mask = np.zeros(len(y), dtype=bool)
    mask[planted] = True
    return X, y.astype(str), mask


def test_thresholds_and_confident_joint_equal_a_loop() -> None:
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(4), 200)
    labels = rng.integers(0, 4, 200)
    t = class_thresholds(labels, probs)
    for j in range(4):
        assert t[j] == pytest.approx(np.mean([probs[i, j] for i in range(200)
                                              if labels[i] == j]))
    C, true = confident_joint(labels, probs, t)
    expected = np.zeros((4, 4), dtype=int)
    for i in range(200):
        above = [j for j in range(4) if probs[i, j] >= t[j]]
        if above:
            best = max(above, key=lambda j: probs[i, j])
            expected[labels[i], best] += 1
            assert true[i] == best
        else:
            assert true[i] == -1
    assert C.tolist() == expected.tolist()


def test_calibration_and_noise_matrix() -> None:
    C = np.array([[40, 5, 0], [3, 20, 2], [0, 0, 0]])
    counts = np.array([50, 30, 7])
    cal = calibrate(C, counts)
    assert cal.sum() == pytest.approx(87)
    assert cal.sum(axis=1) == pytest.approx(counts)  # rows sum to the given counts
    assert cal[2, 2] == 7  # an empty row keeps its count on the diagonal
    Q, noise, prior = noise_matrix(cal)
    assert noise.sum(axis=0) == pytest.approx(np.ones(3))
    assert prior == pytest.approx(cal.sum(axis=0) / 87)


def test_prune_by_noise_rate_equals_a_loop() -> None:
    rng = np.random.default_rng(2)
    probs = rng.dirichlet(np.ones(3) * 0.5, 150)
    labels = rng.integers(0, 3, 150)
    Q = np.array([[0.25, 0.04, 0.02], [0.03, 0.3, 0.01], [0.02, 0.03, 0.3]])
    mask, to = prune_by_noise_rate(labels, probs, Q)
    chosen: dict[int, tuple[float, int]] = {}
    for i in range(3):
        rows = [r for r in range(150) if labels[r] == i]
        for j in range(3):
            if i == j:
                continue
            n = int(round(150 * Q[i, j]))
            ranked = sorted(rows, key=lambda r: (-(probs[r, j] - probs[r, i]), r))[:n]
            for r in ranked:
                m = probs[r, j] - probs[r, i]
                if r not in chosen or m > chosen[r][0]:
                    chosen[r] = (m, j)
    expected = {r: j for r, (_, j) in chosen.items() if probs[r].argmax() != labels[r]}
    assert {int(r): int(to[r]) for r in np.flatnonzero(mask)} == expected


def test_fold_ids_keep_groups_together_and_time_in_blocks() -> None:
    codes = np.tile([0, 1], 30)
    groups = np.repeat(np.arange(12), 5)
    ids, mode = fold_ids(codes, n_folds=3, groups=groups)
    assert mode == "group"
    for g in range(12):
        assert len(set(ids[groups == g])) == 1
    time = np.random.default_rng(0).permutation(60).astype(float)
    ids, mode = fold_ids(codes, n_folds=3, time=time)
    order = np.argsort(time)
    assert mode == "time" and ids[order].tolist() == sorted(ids.tolist())


def test_planted_flips_found() -> None:
    X, y, planted = _blobs()
    issues = find_label_issues(X, y, random_state=0)
    flagged = issues.is_issue
    tp = int((flagged & planted).sum())
    assert not issues.abstained
    assert tp / flagged.sum() >= 0.9 and tp / planted.sum() >= 0.8
    # plain confident learning (prune_by_noise_rate alone) finds all; the audit only
    # removes flags from it, and withholds none here (the blobs are well separated)
    plain = LabelAudit(random_state=0).fit(X, y).pruned_
    assert (plain & planted).sum() == planted.sum() and (plain & ~planted).sum() <= 2
    assert not (flagged & ~plain).any()
    assert not issues.withheld.any() and issues.report["not_judged"] == {}
    assert all(p["verdict"] == "judged" for p in issues.report["pairs"])
    # the suggested class of a found flip is the class it came from: the blob it lies in
    blob = np.repeat(np.array(["a", "b", "c"]), 120)
    hit = flagged & planted
    assert (issues.suggested[hit] == blob[hit]).mean() >= 0.9
    table = issues.table()
    assert table["rank"].tolist() == list(range(1, int(flagged.sum()) + 1))
    assert (np.diff(table["score"].to_numpy()) >= 0).all()  # most suspicious first
    assert issues.report["issues"] == int(flagged.sum())


def test_abstains_without_signal() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 4))
    y = rng.choice(["normal", "ddos", "xss"], 400, p=[0.6, 0.3, 0.1])
    audit = LabelAudit(random_state=0).fit(X, y)
    assert audit.abstained_ and not audit.issues_.is_issue.any()
    plain = int(audit.issues_.disagrees.sum())
    assert plain > 50  # the plain baseline would have flagged these
    abstain = audit.issues_.report["abstain"]
    assert abstain["abstained"] and abstain["threshold"] == 0.0
    assert abstain["value"] <= 0.0 and "nothing is flagged" in abstain["reason"]


def test_pair_judgement_equals_a_loop() -> None:
    """The mutual-confusion test against a loop over the cells with scipy's Poisson pmf
    summed by hand, on random confident joints with one overlapping pair planted."""
    import math

    rng = np.random.default_rng(5)
    seen = set()
    for trial in range(20):
        k = int(rng.integers(3, 7))
        C = rng.poisson(4, (k, k))
        np.fill_diagonal(C, rng.integers(200, 800, k))
        a, b = rng.choice(k, 2, replace=False)
        C[a, b], C[b, a] = rng.integers(0, 90), rng.integers(0, 90)
        bad, rows = pair_judgement(C)
        col = C.sum(axis=0)
        shares = sorted(C[i, j] / col[j] for i in range(k) for j in range(k)
                        if i != j and col[j] > 0)
        m = len(shares)
        med = (shares[m // 2] if m % 2 else (shares[m // 2 - 1] + shares[m // 2]) / 2)
        base = max(med, 0.5 / col.sum())

        def tail(c: int, mean: float) -> float:  # P(X >= c), X ~ Poisson(mean)
            return 1.0 - sum(math.exp(-mean) * mean ** x / math.factorial(x)
                             for x in range(c))

        beyond = [[i != j and C[i, j] > 0 and
                   tail(int(C[i, j]), base * col[j]) < 0.01 / (k * (k - 1))
                   for j in range(k)] for i in range(k)]
        for i in range(k):
            for j in range(k):
                want = beyond[i][j] and beyond[j][i] and 2 * C[j, i] >= C[i, j]
                assert bad[i, j] == want, (trial, i, j)
        seen.add(bool(bad.any()))
        listed = {tuple(r["classes"]) for r in rows}
        assert listed == {(i, j) for i in range(k) for j in range(i + 1, k)
                          if C[i, j] or C[j, i]}
    assert seen == {True, False}  # both outcomes exercised


def test_decided_and_class_judgement_equal_a_loop() -> None:
    from iotforge.curation.labels import class_judgement

    rng = np.random.default_rng(8)
    probs = rng.dirichlet(np.ones(4) * 0.5, 400)
    codes = rng.integers(0, 4, 400)
    suggested = (codes + rng.integers(1, 4, 400)) % 4
    want = [probs[n, suggested[n]] >= 2 * probs[n, codes[n]] for n in range(400)]
    assert decided(codes, probs, suggested).tolist() == want
    import math

    codes[:390] = np.where(codes[:390] == 3, 0, codes[:390])  # class 3: ten rows
    probs[np.flatnonzero(codes == 1)[:60], 1] = 5.0  # class 1: confirmed more than chance
    outcomes = set()
    ok, why = class_judgement(codes, probs)
    for j in range(4):
        rows = [n for n in range(400) if codes[n] == j]
        hits = sum(1 for n in rows if probs[n].argmax() == j)
        m, share = len(rows), len(rows) / 400
        tail = sum(math.comb(m, x) * share ** x * (1 - share) ** (m - x)
                   for x in range(hits, m + 1)) if hits else 1.0
        expect = tail < 0.01 / 4
        assert ok[j] == expect and (why[j] == "") == expect, j
        outcomes.add(expect)
    assert outcomes == {True, False}


def test_keep_last_rows_equals_a_loop() -> None:
    from iotforge.curation.labels import keep_last_rows

    rng = np.random.default_rng(9)
    for _ in range(30):
        n = int(rng.integers(5, 60))
        codes = rng.integers(0, 3, n)
        p = rng.random(n).round(1)  # ties, broken by row order
        flagged = rng.random(n) < 0.7
        protected = rng.random(3) < 0.6
        keep = int(rng.integers(1, 12))
        out = keep_last_rows(codes, p, flagged, protected, keep)
        for c in range(3):
            rows = [i for i in range(n) if codes[i] == c]
            left = [i for i in rows if not flagged[i]]
            if not protected[c]:
                assert not out[rows].any()
                continue
            short = max(0, min(len(rows), keep) - len(left))
            best = sorted((i for i in rows if flagged[i]), key=lambda i: (-p[i], i))[:short]
            assert sorted(np.flatnonzero(out[rows]).tolist()) == \
                sorted(rows.index(i) for i in best)
            assert (~(flagged[rows] & ~out[rows])).sum() >= min(len(rows), keep)


def _overlapping(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The synthetic dataset of benchmarks/bench_labels_synthetic.py (docs/labels.md's
    check): a majority class, two classes drawn from one cloud (their names assigned at
    random: no model can tell them apart) and a rare class."""
    import importlib.util

    from conftest import ROOT

    path = ROOT / "benchmarks" / "bench_labels_synthetic.py"
    spec = importlib.util.spec_from_file_location("bench_labels_synthetic", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    X, y = module.overlapping(seed)
    return X, y


def test_a_pair_no_model_can_tell_apart_is_withheld_not_flagged() -> None:
    X, y = _overlapping(0)
    rng = np.random.default_rng(0)
    noisy = y.copy()
    pool = np.flatnonzero(y == "normal")
    planted = np.zeros(len(y), dtype=bool)
    planted[rng.choice(pool, len(pool) // 20, replace=False)] = True
    noisy[planted] = "rare"
    audit = LabelAudit(random_state=0).fit(X, noisy)
    issues = audit.issues_
    scans = np.isin(issues.given, ["scan_a", "scan_b"]) & np.isin(issues.suggested,
                                                                  ["scan_a", "scan_b"])
    # plain confident learning flags hundreds of rows between the two scan classes
    assert (audit.pruned_ & scans).sum() > 200
    assert not (issues.is_issue & scans).any() and (issues.withheld & scans).sum() > 200
    verdicts = {tuple(p["classes"]): p["verdict"] for p in issues.report["pairs"]}
    assert verdicts[("scan_a", "scan_b")] == "cannot tell"
    tp = int((issues.is_issue & planted).sum())
    plain_tp = int((audit.pruned_ & planted).sum())
    assert tp / issues.is_issue.sum() >= 0.6 > plain_tp / audit.pruned_.sum()
    assert tp / planted.sum() >= 0.5


def test_a_class_the_model_cannot_learn_is_not_judged() -> None:
    X, y, _ = _blobs(n_per=60, flips=0, seed=6)
    y = y.astype(object)
    y[[0, 1]] = "tiny"  # two rows of class a renamed: the model cannot learn "tiny"
    issues = find_label_issues(X, y.astype(str), random_state=0)
    assert "tiny" in issues.report["not_judged"]
    assert not issues.is_issue[[0, 1]].any()
    assert not (issues.is_issue & (issues.suggested == "tiny")).any()


@pytest.mark.dask
def test_same_result_for_the_same_seed_and_under_dask(dask_client) -> None:
    X, y, _ = _blobs(n_per=60, flips=9, seed=4)
    first = LabelAudit(random_state=7).fit(X, y)
    again = LabelAudit(random_state=7).fit(X, y)
    dask = LabelAudit(random_state=7, client=dask_client).fit(X, y)
    for other in (again, dask):
        assert np.array_equal(first.probs_, other.probs_)
        assert np.array_equal(first.issues_.is_issue, other.issues_.is_issue)
        assert np.array_equal(first.issues_.rank, other.issues_.rank)
        assert first.issues_.report == other.issues_.report


# -- the command line: accounting under each policy ---------------------------------------
@pytest.fixture(scope="module")
def curated_demo(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from iotforge.curation.curate import curate

    out = tmp_path_factory.mktemp("labels_curated")
    curate([demo_dir], out)
    return out


@pytest.mark.parametrize("policy", ["keep", "quarantine", "relabel"])
def test_policies_keep_the_accounting(cli, curated_demo: Path, tmp_path: Path,
                                      policy: str) -> None:
    out = tmp_path / policy
    r = cli("labels", str(curated_demo / "curated.parquet"), "--out", str(out),
            "--policy", policy, "--curate-report", str(curated_demo / "report.json"),
            "--classifier", "decision_tree", "--folds", "3", "--max-given-prob", "1",
            "--min-lift", "0")  # the demo's telemetry labels are weak: flag regardless
    assert r.returncode == 0, r.stderr
    before = pd.read_parquet(curated_demo / "curated.parquet")
    after = pd.read_parquet(out / "curated.parquet")
    review = pd.read_csv(out / "review.csv")
    report = json.loads((out / "report.json").read_text())
    curate_total = json.loads((curated_demo / "report.json").read_text())["total"]
    total = report["accounting"]["total"]
    flagged = len(review)
    assert flagged > 0 and flagged == report["issues"]
    assert total["rows_read"] == curate_total["rows_read"]
    assert total["rows_read"] == total["rows_out"] + total["rows_quarantined"] + \
        total["rows_duplicate"]
    assert total["rows_out"] == len(after)
    quarantine = pd.read_parquet(out / "quarantine.parquet")
    assert len(quarantine) == total["rows_quarantined"]
    mine = quarantine[quarantine["rule"] == "label_issue"]
    for f in report["accounting"]["files"]:
        assert f["rows_read"] == f["rows_out"] + f["rows_quarantined"] + f["rows_duplicate"]
    key = ["source_file", "source_row"]
    if policy == "quarantine":
        assert len(mine) == flagged == len(before) - len(after)
        gone = before.merge(after[key], on=key, how="left", indicator=True)
        gone = gone[gone["_merge"] == "left_only"]
        assert sorted(map(tuple, gone[key].to_numpy().tolist())) == \
            sorted(map(tuple, review[key].to_numpy().tolist()))
    else:
        assert mine.empty and len(after) == len(before)
    if policy == "quarantine":
        return
    changed = before["label"].to_numpy() != after["label"].to_numpy()
    if policy == "relabel":
        assert int(changed.sum()) == flagged == total["rows_relabelled"]
        assert (before["label_raw"].astype(str) == after["label_raw"].astype(str)).all()
        moved = after[changed].merge(review, on=key)
        assert (moved["label"] == moved["suggested_label"]).all()
    else:
        assert not changed.any() and total["rows_relabelled"] == 0


def test_bad_input_is_one_line(cli, curated_demo: Path, tmp_path: Path) -> None:
    r = cli("labels", str(curated_demo / "curated.parquet"), "--out", str(tmp_path / "x"),
            "--policy", "relabel", "--target", "is_attack")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "relabel" in r.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.realdata
def test_cic_ids2017_five_percent_uniform_noise(datasets: Path, tmp_path: Path) -> None:
    """The acceptance case: 5 % of the CIC-IDS2017 sample's labels flipped uniformly."""
    from iotforge.curation.curate import curate
    from iotforge.curation.schema import read_meta
    from iotforge.evaluation.classifiers import make_classifier
    from iotforge.evaluation.evaluate import feature_columns, prepare_features

    folder = datasets / "cicids2017_improved_sample"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    curate(sorted(folder.glob("*.csv")), tmp_path)
    df = pd.read_parquet(tmp_path / "curated.parquet")
    meta = read_meta(tmp_path / "curated.parquet")
    numeric, categorical = feature_columns(meta.roles, list(df.columns))
    X = prepare_features(df, numeric, categorical)
    y = df["label"].astype(str).to_numpy()
    rng = np.random.default_rng(0)
    classes = np.unique(y)
    noisy = y.copy()
    for i in rng.choice(len(y), round(0.05 * len(y)), replace=False):
        noisy[i] = rng.choice(classes[classes != y[i]])
    planted = noisy != y
    issues = find_label_issues(X, noisy, estimator=make_classifier("random_forest", 0))
    tp = int((issues.is_issue & planted).sum())
    assert tp / issues.is_issue.sum() >= 0.9 and tp / planted.sum() >= 0.8
    # the two portscan classes (one scan seen from two machines) are the overlap
    pairs = {tuple(p["classes"]): p["verdict"] for p in issues.report["pairs"]}
    assert pairs[("infiltration_portscan", "portscan")] == "cannot tell"


def test_folds_follow_a_group_split(cli, curated_demo: Path, tmp_path: Path) -> None:
    r = cli("split", str(curated_demo / "curated.parquet"), "--out", str(tmp_path / "split"),
            "--mode", "group", "--by", "source_file")
    assert r.returncode == 0, r.stderr
    train = pd.read_parquet(tmp_path / "split" / "train.parquet")
    r = cli("labels", str(tmp_path / "split" / "train.parquet"), "--out", str(tmp_path / "l"),
            "--classifier", "decision_tree", "--folds", "3")
    assert r.returncode == 0, r.stderr
    report = json.loads((tmp_path / "l" / "report.json").read_text())
    folds = report["folds"]
    assert folds["mode"] == "group" and folds["groups"] == "source_file"
    assert folds["n_folds"] == min(3, train["source_file"].nunique())
    total = report["accounting"]["total"]
    assert total["rows_read"] == len(train) == total["rows_out"]


def test_folds_follow_a_time_split(cli, curated_demo: Path, tmp_path: Path) -> None:
    r = cli("split", str(curated_demo / "curated.parquet"), "--out", str(tmp_path / "split"),
            "--mode", "time")
    assert r.returncode == 0, r.stderr
    split = json.loads((tmp_path / "split" / "split.json").read_text())
    r = cli("labels", str(tmp_path / "split" / "train.parquet"), "--out", str(tmp_path / "l"),
            "--classifier", "decision_tree", "--folds", "3")
    assert r.returncode == 0, r.stderr
    folds = json.loads((tmp_path / "l" / "report.json").read_text())["folds"]
    assert folds["mode"] == "time" and folds["by"] == split["by"] and folds["n_folds"] == 3


def test_report_is_the_same_for_two_equal_estimators() -> None:
    """report.json is a pipeline output: two runs with equal (not identical) estimators
    give the same report (the registry's pipeline's repr holds column selectors, whose
    default repr carries a memory address)."""
    from iotforge.evaluation.classifiers import make_classifier

    X, y, _ = _blobs(n_per=40, flips=6, seed=2)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    first = find_label_issues(frame, y, estimator=make_classifier("random_forest", 0),
                              n_folds=3).report
    second = find_label_issues(frame, y, estimator=make_classifier("random_forest", 0),
                               n_folds=3).report
    assert "RandomForestClassifier" in first["estimator"]
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
