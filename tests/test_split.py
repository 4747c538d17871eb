"""Leakage-safe split: no identical feature row on both sides, in every mode."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from iotforge.curation.contracts.validate import read_canonical
from iotforge.curation.errors import TooLittleDataError, UsageError
from iotforge.curation.leakage.split import split
from iotforge.curation.schema import TableMeta, read_meta
from real_samples import curated_pcaps, curated_sample

ROLES = {"t": "time", "host": "endpoint", "x": "numeric", "proto": "categorical",
         "label": "label"}
META = TableMeta(stage="curate", roles=ROLES)


def frame(n: int = 200, seed: int = 0, distinct: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "t": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.permutation(n), "s"),
        "host": rng.choice([f"10.0.0.{i}" for i in range(8)], n),
        "x": rng.integers(0, distinct, n).astype(float),
        "proto": rng.choice(["tcp", "udp"], n),
        "label": rng.choice(["normal", "normal", "normal", "ddos", "scan"], n),
    })


def grouped(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Duplicates within each host, and one row shared by hosts 0 and 1 (they must merge)."""
    df = frame(n, seed)
    host = df["host"].str.rsplit(".", n=1).str[1].astype(int)
    df["x"] = host * 1000 + df["x"] % 5
    df.loc[df.index[(host == 1).to_numpy()][0], ["x", "proto"]] = (
        df.loc[df.index[(host == 0).to_numpy()][0], ["x", "proto"]].to_numpy())
    return df


def overlap(train: pd.DataFrame, test: pd.DataFrame, cols: list[str] | None = None) -> int:
    cols = cols or ["x", "proto"]
    keys = set(map(tuple, train[cols].astype(str).to_numpy()))
    return sum(tuple(r) in keys for r in test[cols].astype(str).to_numpy())


@pytest.mark.parametrize("mode,by", [("stratified", None), ("time", None), ("group", "host")])
def test_no_feature_row_on_both_sides(mode: str, by: str | None) -> None:
    df = grouped() if mode == "group" else frame()
    r = split(df, META, mode=mode, by=by, test_size=0.25, random_state=1)
    assert overlap(r.train, r.test) == 0
    assert len(r.train) + len(r.test) + r.report["rows"]["dropped"] == len(df)
    assert r.report["classes"]["ddos"]["train"] > 0


def test_stratified_keeps_every_class_and_reports_too_small() -> None:
    df = frame(300, distinct=300)
    df.loc[0, "label"] = "heartbleed"  # one row: cannot be split
    r = split(df, META, mode="stratified", test_size=0.2)
    assert r.report["too_small"] == ["heartbleed"]
    assert r.report["classes"]["heartbleed"] == {"train": 1, "test": 0, "dropped": 0}
    for cls in ("normal", "ddos", "scan"):
        n = r.report["classes"][cls]
        assert n["train"] > 0 and n["test"] > 0
        assert abs(n["test"] / (n["train"] + n["test"]) - 0.2) < 0.05


def test_conflicting_duplicates_follow_the_rarer_class() -> None:
    df = pd.DataFrame({"x": [1.0] * 6 + list(range(2, 12)), "proto": "tcp",
                       "label": ["normal"] * 5 + ["rare"] + ["normal"] * 8 + ["rare"] * 2})
    r = split(df, META, mode="stratified", test_size=0.3, random_state=0)
    together = pd.concat([r.train.assign(side=0), r.test.assign(side=1)])
    assert together[together["x"] == 1.0]["side"].nunique() == 1
    assert overlap(r.train, r.test) == 0


def test_time_mode_train_strictly_before_test_and_drops_repeats() -> None:
    df = frame(100, distinct=10)
    r = split(df, META, mode="time", test_size=0.3)
    assert r.train["t"].max() < r.test["t"].min()
    assert r.report["dropped"]["identical_to_earlier_train_row"] > 0
    assert overlap(r.train, r.test) == 0


def test_group_mode_keeps_groups_whole() -> None:
    df = grouped()
    r = split(df, META, mode="group", by="host", test_size=0.25, random_state=3)
    assert not set(r.train["host"]) & set(r.test["host"])
    assert r.report["groups"] == {"values": 8, "merged_components": 7,
                                  "test_components": r.report["groups"]["test_components"]}
    assert {"10.0.0.0", "10.0.0.1"} <= set(r.train["host"]) or {
        "10.0.0.0", "10.0.0.1"} <= set(r.test["host"])


def test_meta_records_the_side_and_seed() -> None:
    r = split(frame(), META, mode="stratified", random_state=7)
    meta = r.meta_for("train", META)
    assert (meta.split, meta.stage, meta.seed) == ("train", "split", 7)
    assert meta.extra["split"]["mode"] == "stratified"
    assert meta.extra["target"] == meta.extra["split"]["target"] == "label"
    assert r.meta_for("test", META).split == "test"


def test_usage_errors() -> None:
    with pytest.raises(UsageError, match="mode"):
        split(frame(), META, mode="random")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="--by"):
        split(frame(), META, mode="group")
    with pytest.raises(UsageError, match="numeric or categorical"):
        split(frame(), TableMeta(stage="x", roles={"label": "label"}))
    one = frame().assign(x=1.0, proto="tcp")
    with pytest.raises(TooLittleDataError):
        split(one, META, mode="group", by="host")


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), distinct=st.integers(1, 30),
       mode=st.sampled_from(["stratified", "time", "group"]))
def test_property_never_overlaps(seed: int, distinct: int, mode: str) -> None:
    df = frame(60, seed=seed, distinct=distinct)
    try:
        r = split(grouped(60, seed) if mode == "group" else df, META, mode=mode,
                  by="host" if mode == "group" else None, random_state=seed)
    except TooLittleDataError:
        return  # too few distinct rows to split without sharing one: refused, not leaked
    assert overlap(r.train, r.test) == 0


# ------------------------------------------------------------------ real data



GROUP_BY = {"cicflowmeter": "src_ip", "zeek:conn": "id_resp_h", "pcap": "source_file"}


def datasets(path: Path) -> dict[str, pd.DataFrame]:
    """One frame per dataset: per TON_IoT device, CIC-IDS2017, per IoT-23 capture, MQTTset."""
    df = read_canonical(path)[0]
    key = df["source"].where(df["source"] != "zeek:conn", df["source_file"])
    return {k: part.dropna(axis=1, how="all") for k, part in df.groupby(key)}


def test_every_shared_dataset_every_mode_no_overlap(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    path = curated_sample(tmp_path_factory)
    meta = read_meta(path)
    parts = datasets(path)
    pcaps = curated_pcaps(tmp_path_factory)
    parts["mqttset"] = read_canonical(pcaps)[0]
    meta.roles.update(read_meta(pcaps).roles)
    assert len(parts) == 12
    done: dict[str, list[str]] = {"stratified": [], "time": [], "group": []}
    one_class = []
    for name, part in parts.items():
        features = meta.feature_columns(part.columns)
        if part["label"].nunique() < 2:  # nothing to stratify on or to learn: refused
            with pytest.raises(UsageError, match="at least 2 classes of target 'label'"):
                split(part, meta, random_state=0)
            one_class.append(name)
            continue
        for mode in done:
            by = GROUP_BY.get(part["source"].iloc[0], "date") if mode == "group" else None
            try:
                r = split(part, meta, mode=mode, by=by, random_state=0)
            except TooLittleDataError:
                assert mode != "stratified", name
                continue
            keys = pd.util.hash_pandas_object(r.train[features], index=False)
            shared = pd.util.hash_pandas_object(r.test[features], index=False).isin(set(keys))
            assert int(shared.sum()) == 0, (name, mode)
            done[mode].append(name)
    # IoT-23's honeypot capture is all benign
    assert [Path(n).parent.name for n in one_class] == ["CTU-Honeypot-Capture-4-1"]
    assert len(done["stratified"]) == 11
    # Fridge, garage door and motion light have 2 features and a few hundred distinct
    # rows: every later row repeats an earlier one, so time and group splits are refused.
    assert len(done["time"]) >= 8 and len(done["group"]) >= 7
