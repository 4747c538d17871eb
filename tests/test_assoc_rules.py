"""Association-rule signatures: the miner, the rule-based classifier, rule fidelity of
synthetic rows, ``iotforge rules`` and the report's rules section."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from evaluation_fixtures import CATEGORICAL, NUMERIC, meta, split_tables
from iotforge.curation.errors import TooLittleDataError, UsageError
from iotforge.curation.schema import TableMeta, write_frame_atomic
from iotforge.evaluation.assoc_rules import ItemEncoder, mine_rules, rule_fidelity
from iotforge.evaluation.classifiers import make_classifier
from iotforge.evaluation.evaluate import evaluate, prepare_features
from iotforge.evaluation.report import build_report
from iotforge.evaluation.rule_classifier import AssociationRuleClassifier

MIRAI = ("dst_port=23", "proto=tcp")


def known_pattern(seed: int = 0) -> pd.DataFrame:
    """60 mirai flows to 23/tcp; 240 normal flows, 12 of them also to 23/tcp and 30 to
    23/udp; bytes is noise shared by both classes."""
    rng = np.random.default_rng(seed)
    port = np.r_[np.full(60, 23.0), np.full(12, 23.0), np.full(30, 23.0),
                 rng.choice([80.0, 443.0, 53.0], 198)]
    proto = np.r_[["tcp"] * 72, ["udp"] * 30, rng.choice(["tcp", "udp"], 198)]
    label = ["mirai"] * 60 + ["normal"] * 240
    return pd.DataFrame({"dst_port": port, "proto": proto,
                         "bytes": rng.lognormal(5, 1, 300), "label": label})


def test_miner_finds_the_planted_rule_with_exact_support_and_confidence() -> None:
    frame = known_pattern()
    rules = mine_rules(frame, numeric=["dst_port", "bytes"], categorical=["proto"],
                       min_support=0.5, min_confidence=0.5)
    mirai = rules.for_class("mirai")
    best = mirai.iloc[0]
    assert best["antecedent"] == MIRAI
    # an independent count with pandas
    has = (frame["dst_port"] == 23) & (frame["proto"] == "tcp")
    both = int((has & (frame["label"] == "mirai")).sum())
    assert (best["support_count"], best["antecedent_count"]) == (both, int(has.sum())) == (60, 72)
    assert best["confidence"] == pytest.approx(60 / 72)
    assert best["lift"] == pytest.approx((60 / 72) / (60 / 300))
    assert best["class_support"] == 1.0 and best["support"] == pytest.approx(60 / 300)
    # its single items are weaker (dst_port=23 alone: 60 of 102) and ranked below
    single = mirai[mirai["antecedent"] == ("dst_port=23",)]
    assert single.empty or single["confidence"].item() == pytest.approx(60 / 102)
    assert rules.to_dict()["classes"]["mirai"]["rules"][0]["if"] == list(MIRAI)


def test_items_bins_and_ports() -> None:
    frame = known_pattern()
    enc = ItemEncoder(n_bins=4).fit(frame, ["dst_port", "bytes"], ["proto"])
    bins = [i for i in enc.items_ if i.startswith("bytes")]
    assert len(bins) == 4 and "dst_port=23" in enc.items_  # a port is a category
    items = enc.transform(frame)
    # every row with bytes falls in exactly one bin; each quartile holds a quarter
    assert (items[bins].sum(axis=1) == 1).all()
    assert items[bins].sum().tolist() == [75, 75, 75, 75]
    missing = enc.transform(frame.assign(bytes=np.nan).head(3))
    assert not missing[bins].any().any()  # a missing value is no item


def test_rule_classifier_predicts_the_pattern_and_falls_back_to_majority() -> None:
    frame = known_pattern()
    X = frame[["dst_port", "proto", "bytes"]]
    clf = AssociationRuleClassifier(min_support=0.5).fit(X, frame["label"])
    new = pd.DataFrame({"dst_port": [23.0, 23.0, 80.0, np.nan],
                        "proto": ["tcp", "udp", "tcp", None], "bytes": [10.0] * 4})
    assert clf.predict(new).tolist() == ["mirai", "normal", "normal", "normal"]
    assert clf.rule_set is not None and clf.rule_set.for_class("mirai")["antecedent"][0] == MIRAI
    # through the evaluation registry: the prepared frame goes in untouched
    train, test = split_tables()
    model = make_classifier("association_rules", 0)
    assert isinstance(model, AssociationRuleClassifier)
    X_train = prepare_features(train, NUMERIC, CATEGORICAL)
    pred = model.fit(X_train, train["label"]).predict(prepare_features(test, NUMERIC,
                                                                       CATEGORICAL))
    majority = (test["label"] == "normal").mean()
    assert (pred == test["label"].to_numpy()).mean() > majority


def test_synthetic_rows_that_break_the_pattern_lower_rule_fidelity() -> None:
    frame = known_pattern()
    rules = mine_rules(frame, numeric=["dst_port", "bytes"], categorical=["proto"],
                       min_support=0.5)
    mirai = frame[frame["label"] == "mirai"]
    rng = np.random.default_rng(1)
    faithful = mirai.assign(bytes=rng.lognormal(5, 1, len(mirai)))
    broken = faithful.copy()
    broken.loc[broken.index[:30], "dst_port"] = 8080.0  # half of them leave port 23
    good = rule_fidelity(rules, faithful)["mirai"]
    bad = rule_fidelity(rules, broken)["mirai"]
    assert good["rule_fidelity"] == 1.0 and good["rules_checked"] == len(
        rules.for_class("mirai"))
    assert bad["rule_fidelity"] < good["rule_fidelity"]
    first = bad["rules"][0]
    assert first["if"] == list(MIRAI) and not first["holds"]
    assert first["synthetic_class_support"] == 0.5
    # confidence as if 60 rows at that support replaced the real mirai rows: 30 / (30 + 12)
    assert first["synthetic_confidence"] == pytest.approx(30 / 42)


def test_evaluation_reports_rule_fidelity_per_augmenter() -> None:
    train, test = split_tables()
    real = train[train["label"] == "heartbleed"]
    copies = real.assign(is_synthetic=True)
    shuffled = copies.assign(proto=np.where(copies["proto"] == "tcp", "udp", "tcp"),
                             duration=copies["duration"] - 6.0)
    r = evaluate(train, test, numeric=NUMERIC, categorical=CATEGORICAL,
                 synthetic={"copies": copies, "shuffled": shuffled},
                 classifiers=["association_rules"], seeds=[0])
    kept = {k: v["per_class"]["heartbleed"]["rule_fidelity"] for k, v in r.fidelity.items()}
    assert kept["copies"] == 1.0 and kept["shuffled"] < 0.5
    assert r.fidelity["copies"]["overall"]["rule_fidelity"] == 1.0
    report = build_report(r)
    assert "rules kept" in report.html and "<h2>Association rules</h2>" in report.html


def test_bad_input_is_one_clear_error_or_an_empty_result() -> None:
    frame = known_pattern()
    with pytest.raises(TooLittleDataError, match="at least two classes"):
        mine_rules(frame.assign(label="normal"), numeric=["dst_port"], categorical=[])
    with pytest.raises(UsageError, match="numeric or categorical columns with values"):
        mine_rules(frame.assign(bytes=np.nan), numeric=["bytes"], categorical=[])
    with pytest.raises(UsageError, match="min_support"):
        mine_rules(frame, numeric=["bytes"], categorical=[], min_support=0.0)
    # noise only and a high support: no itemset, an empty result with a note per class
    noise = frame[["bytes", "label"]]
    empty = mine_rules(noise, numeric=["bytes"], categorical=[], min_support=0.9)
    assert empty.rules.empty and len(empty.notes) == 2
    assert AssociationRuleClassifier(min_support=0.9).fit(
        noise[["bytes"]], noise["label"]).predict(noise[["bytes"]]).tolist() == ["normal"] * 300


def _write(frame: pd.DataFrame, path: Path) -> Path:
    roles = {"dst_port": "numeric", "bytes": "numeric", "proto": "categorical",
             "label": "label"}
    write_frame_atomic(frame, path, TableMeta(stage="split", roles=roles, split="train"))
    return path


def test_cli_rules_writes_json_and_says_so_in_one_line(cli, tmp_path: Path) -> None:
    data = _write(known_pattern(), tmp_path / "train.parquet")
    out = tmp_path / "rules.json"
    res = cli("rules", str(data), "--out", str(out), "--min-support", "0.5")
    assert res.returncode == 0, res.stderr
    rules = json.loads(out.read_text())
    first = rules["classes"]["mirai"]["rules"][0]
    assert first["if"] == list(MIRAI) and first["support_count"] == 60
    assert first["antecedent_count"] == 72 and rules["classes"]["mirai"]["rows"] == 60
    assert "dst_port=23 AND proto=tcp" in res.stdout
    # one class: exit 2, one line
    one = _write(known_pattern().assign(label="normal"), tmp_path / "one.parquet")
    res = cli("rules", str(one), "--out", str(tmp_path / "x.json"))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert re.search(r"at least (two|2) classes", res.stderr), res.stderr
    # no usable columns: exit 2
    blank = _write(known_pattern().assign(dst_port=np.nan, bytes=np.nan, proto=None),
                   tmp_path / "blank.parquet")
    res = cli("rules", str(blank), "--out", str(tmp_path / "x.json"))
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    # a threshold no itemset reaches: exit 0, empty rules, one line saying so
    noise = _write(known_pattern()[["bytes", "label"]], tmp_path / "noise.parquet")
    res = cli("rules", str(noise), "--out", str(out), "--min-support", "0.9")
    assert res.returncode == 0
    assert all(not c["rules"] for c in json.loads(out.read_text())["classes"].values())
    assert "no rule reached" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    res = cli("rules", str(data), "--out", str(out), "--min-support", "2")
    assert res.returncode == 2 and "expected a number in (0, 1]" in res.stderr


def test_report_shows_what_distinguishes_each_class(cli, tmp_path: Path) -> None:
    train, test = split_tables()
    for side, frame in (("train", train), ("test", test)):
        write_frame_atomic(frame, tmp_path / f"{side}.parquet", meta(side))
    rules = tmp_path / "rules.json"
    assert cli("rules", str(tmp_path / "train.parquet"), "--out", str(rules)).returncode == 0
    r = evaluate(train, test, numeric=NUMERIC, categorical=CATEGORICAL,
                 classifiers=["decision_tree"], seeds=[0])
    report = build_report(r, rules=[("rules.json", json.loads(rules.read_text()))])
    assert "What distinguishes <code>heartbleed</code> (12 rows)" in report.html
    assert "### What distinguishes `heartbleed` (12 rows)" in report.markdown
    assert "No rules file was given" in build_report(r).html
