"""Predefined splits (the dataset's own test files or a test column) and split targets."""

from __future__ import annotations

import json
import posixpath
from fnmatch import fnmatchcase
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import run_cli
from iotforge.curation.contracts.validate import read_canonical
from iotforge.curation.curate import curate
from iotforge.curation.errors import TooLittleDataError, UsageError
from iotforge.curation.leakage.split import split
from iotforge.curation.schema import TableMeta, read_meta, write_frame_atomic
from iotforge.curation.targets import TARGETS, target_values
from iotforge.curation.taxonomy import Taxonomy

FEATURES = ["x", "proto"]
ROLES = {"source": "provenance", "source_file": "provenance", "source_row": "provenance",
         "x": "numeric", "proto": "categorical", "label": "label", "label_raw": "label",
         "is_attack": "label", "attack_family": "label", "split": "id"}
META = TableMeta(stage="curate", roles=ROLES)
FAMILY = {"normal": None, "kdd_dos_neptune": "dos", "kdd_dos_smurf": "dos", "kdd_probe": "probe",
          "kdd_r2l": "r2l", "kdd_u2r": "u2r"}
FILES = {"data/nsl/KDDTrain+.txt": 300, "data/nsl/KDDTest+.txt": 120,
         "data/nsl/KDDTest-21.txt": 60}


def nsl_like(seed: int = 0, distinct: int = 40) -> pd.DataFrame:
    """Three NSL-KDD-like files; 40 x 2 distinct feature rows, so train repeats test rows."""
    rng = np.random.default_rng(seed)
    parts = []
    for path, n in FILES.items():
        label = rng.choice(list(FAMILY), n, p=[0.4, 0.2, 0.1, 0.15, 0.1, 0.05])
        parts.append(pd.DataFrame({
            "source": "kdd", "source_file": path, "source_row": np.arange(1, n + 1),
            "x": rng.integers(0, distinct, n).astype(float),
            "proto": rng.choice(["tcp", "udp"], n),
            "label": label,
            "is_attack": label != "normal",
            "attack_family": [FAMILY[c] for c in label],
            "split": "test" if "Test" in path else "train",
        }))
    return pd.concat(parts, ignore_index=True)


def by_glob(df: pd.DataFrame, *patterns: str) -> pd.Series:
    """Independent selection: fnmatch over the stored path and its base name."""
    return df["source_file"].map(lambda p: any(
        fnmatchcase(p, pat) or fnmatchcase(posixpath.basename(p), pat) for pat in patterns))


def sort_rows(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["source_file", "source_row"]).reset_index(drop=True)


def expected_removed(df: pd.DataFrame, test_mask: pd.Series, features: list[str]) -> pd.Series:
    """Which non-test rows equal some test row on the features (pandas merge, not hashes)."""
    candidates = df[~test_mask].reset_index(drop=True)
    merged = candidates.merge(df.loc[test_mask, features].drop_duplicates(), on=features,
                              how="left", indicator=True)
    assert len(merged) == len(candidates)
    return pd.Series((merged["_merge"] == "both").to_numpy())


# ----------------------------------------------------------------- the split


@pytest.mark.parametrize("patterns", [["KDDTest*"], ["*/nsl/KDDTest+.txt", "KDDTest-21.txt"]])
def test_every_test_row_kept_and_train_copies_of_test_rows_removed(patterns: list[str]) -> None:
    df = nsl_like()
    r = split(df, META, mode="predefined", test_files=patterns)
    mask = by_glob(df, *patterns)
    assert 0 < mask.sum() < len(df)
    # every test row, unaltered, and nothing else
    pd.testing.assert_frame_equal(sort_rows(r.test), sort_rows(df[mask]))
    # train: the other rows minus those identical to a test row
    removed = expected_removed(df, mask, FEATURES)
    candidates = df[~mask].reset_index(drop=True)
    assert removed.sum() > 0
    pd.testing.assert_frame_equal(sort_rows(r.train), sort_rows(candidates[~removed]))
    report = r.report["train_rows_removed_as_test_duplicates"]
    assert report["rows"] == int(removed.sum())
    assert report["classes"] == candidates.loc[removed, "label"].value_counts().to_dict()
    assert r.report["rows"] == {"train": int((~removed).sum()), "test": int(mask.sum()),
                                "dropped": int(removed.sum())}
    assert r.report["source_files"] == {"train": ["data/nsl/KDDTrain+.txt"],
                                        "test": ["data/nsl/KDDTest+.txt",
                                                 "data/nsl/KDDTest-21.txt"]}
    assert r.report["feature_overlap_rows"] == 0


def test_full_path_and_base_name_both_match() -> None:
    df = nsl_like()
    full = split(df, META, mode="predefined", test_files="data/nsl/KDDTest+.txt")
    base = split(df, META, mode="predefined", test_files="KDDTest+.txt")
    assert len(full.test) == len(base.test) == FILES["data/nsl/KDDTest+.txt"]
    # a pattern is anchored: a partial directory prefix matches neither form
    with pytest.raises(UsageError, match="matches none"):
        split(df, META, mode="predefined", test_files="nsl/KDDTest*")


def test_test_where_column_value() -> None:
    df = nsl_like()
    r = split(df, META, mode="predefined", test_column="split", test_value="test")
    mask = df["split"] == "test"
    pd.testing.assert_frame_equal(sort_rows(r.test), sort_rows(df[mask]))
    removed = expected_removed(df, mask, FEATURES)
    assert r.report["train_rows_removed_as_test_duplicates"]["rows"] == int(removed.sum())
    assert r.report["test_where"] == {"column": "split", "values": ["test"]}
    meta = r.meta_for("test", META)
    assert meta.extra["split"]["mode"] == "predefined"
    assert meta.extra["split"]["test_where"] == {"column": "split", "values": ["test"]}


def test_test_rows_with_conflicting_copies_stay_and_identical_train_rows_go() -> None:
    # Two test rows identical to each other but labelled differently are both kept,
    # even though another mode would keep them together on one side.
    df = pd.DataFrame({
        "source_file": ["tr.csv"] * 4 + ["te.csv"] * 3, "source_row": [1, 2, 3, 4, 1, 2, 3],
        "x": [1.0, 1.0, 2.0, 3.0, 1.0, 1.0, 9.0], "proto": "tcp",
        "label": ["a", "b", "a", "b", "a", "b", "a"]})
    r = split(df, META, mode="predefined", test_files="te.csv")
    assert r.test["x"].tolist() == [1.0, 1.0, 9.0]
    assert r.test["label"].tolist() == ["a", "b", "a"]
    assert r.train["x"].tolist() == [2.0, 3.0]
    assert r.report["train_rows_removed_as_test_duplicates"] == {
        "rows": 2, "classes": {"a": 1, "b": 1}}


@pytest.mark.parametrize("kwargs,needle", [
    ({"test_files": "KDDVal*"}, "matches none of the 3 source files"),
    ({"test_files": ["KDDTest*", "nope*"]}, "'nope*' matches none"),
    ({"test_files": "KDD*"}, "match all 3 source files"),
    ({"test_column": "split", "test_value": "holdout"}, "no row has 'split'"),
    ({"test_column": "source", "test_value": "kdd"}, "every row has 'source'"),
    ({"test_column": "fold", "test_value": "1"}, "no column 'fold'"),
    ({}, "expected test_files or test_column"),
    ({"test_files": "KDDTest*", "test_column": "split", "test_value": "test"}, "not both"),
])
def test_bad_test_side_is_a_usage_error(kwargs: dict, needle: str) -> None:
    with pytest.raises(UsageError) as info:
        split(nsl_like(), META, mode="predefined", **kwargs)
    assert needle in str(info.value)
    if "source files" in needle:  # the message lists the files to choose from
        for path in FILES:
            assert path in str(info.value)


def test_test_side_options_need_predefined_mode() -> None:
    with pytest.raises(UsageError, match="predefined"):
        split(nsl_like(), META, mode="stratified", test_files="KDDTest*")


def test_all_train_rows_copies_of_test_rows_is_too_little_data() -> None:
    df = nsl_like()
    df.loc[df["source_file"] == "data/nsl/KDDTrain+.txt", ["x", "proto"]] = (1.0, "tcp")
    df.loc[df.index[-1], ["x", "proto"]] = (1.0, "tcp")
    with pytest.raises(TooLittleDataError, match="0 train"):
        split(df, META, mode="predefined", test_files="KDDTest*")


# ----------------------------------------------------------------- targets


def test_target_values() -> None:
    df = pd.DataFrame({"label": ["normal", "kdd_u2r", "attack", "kdd_probe"],
                       "is_attack": pd.array([False, True, True, True], dtype="boolean"),
                       "attack_family": [None, "u2r", None, "probe"]})
    assert TARGETS == ("label", "attack_family", "is_attack")
    assert target_values(df, "label").tolist() == ["normal", "kdd_u2r", "attack", "kdd_probe"]
    assert target_values(df, "attack_family").tolist() == ["normal", "u2r", "unknown", "probe"]
    assert target_values(df, "is_attack").tolist() == ["normal", "attack", "attack", "attack"]


@pytest.mark.parametrize("target,frame,needle", [
    ("attack_family", pd.DataFrame({"label": ["a", "b"]}), "no column 'attack_family'"),
    ("is_attack", pd.DataFrame({"label": ["a", "b"], "is_attack": [True, True]}),
     "found only 'attack'"),
    ("label", pd.DataFrame({"label": ["a", "a"]}), "found only 'a'"),
    ("family", pd.DataFrame({"label": ["a", "b"]}), "expected a target in"),
])
def test_missing_or_constant_target_is_a_usage_error(target: str, frame: pd.DataFrame,
                                                     needle: str) -> None:
    with pytest.raises(UsageError) as info:
        target_values(frame, target)  # type: ignore[arg-type]
    assert needle in str(info.value)


def test_stratified_on_attack_family() -> None:
    # u2r is six classes of one row each: too small per class, enough as a family
    rng = np.random.default_rng(0)
    labels = (["normal"] * 300 + ["kdd_dos_neptune"] * 100 + ["kdd_dos_smurf"] * 60
              + [f"u2r_{i}" for i in range(6)] + ["kdd_probe"] * 40)
    df = pd.DataFrame({"x": rng.permutation(len(labels)).astype(float), "proto": "tcp",
                       "label": labels})
    df["attack_family"] = [FAMILY.get(c, "u2r") for c in labels]
    df["is_attack"] = df["label"] != "normal"
    by_label = split(df, META, mode="stratified", test_size=0.25)
    assert not (by_label.test["attack_family"] == "u2r").any()  # each u2r class too small
    r = split(df, META, mode="stratified", test_size=0.25, target="attack_family")
    fam_test = r.test["attack_family"].fillna("normal").value_counts()
    fam_all = df["attack_family"].fillna("normal").value_counts()
    assert set(r.report["classes"]) == {"normal", "dos", "probe", "u2r"}
    for fam in ("normal", "dos", "probe"):
        assert abs(fam_test[fam] / fam_all[fam] - 0.25) < 0.03, fam
        assert r.report["classes"][fam]["test"] == fam_test[fam]
    assert 1 <= fam_test["u2r"] <= 2 and (r.train["attack_family"] == "u2r").sum() >= 4
    assert r.report["target"] == "attack_family"
    meta = r.meta_for("train", META)
    assert meta.extra["target"] == "attack_family"
    assert meta.extra["split"]["target"] == "attack_family"
    binary = split(df, META, mode="stratified", test_size=0.25, target="is_attack")
    assert set(binary.report["classes"]) == {"attack", "normal"}


def test_predefined_reports_classes_of_the_target() -> None:
    df = nsl_like()
    r = split(df, META, mode="predefined", test_files="KDDTest*", target="attack_family")
    mask = by_glob(df, "KDDTest*")
    fams = df["attack_family"].fillna("normal")
    removed = expected_removed(df, mask, FEATURES)
    assert r.report["train_rows_removed_as_test_duplicates"]["classes"] == (
        fams[~mask].reset_index(drop=True)[removed].value_counts().to_dict())
    for fam in ("normal", "dos", "probe", "r2l", "u2r"):
        assert r.report["classes"][fam]["test"] == int((fams[mask] == fam).sum())


# ----------------------------------------------------------------- taxonomy

NSL_KDD = {
    "dos": "apache2 back land mailbomb neptune pod processtable smurf teardrop udpstorm",
    "probe": "ipsweep mscan nmap portsweep saint satan",
    "r2l": "ftp_write guess_passwd httptunnel imap multihop named phf sendmail snmpgetattack "
           "snmpguess spy warezclient warezmaster worm xlock xsnoop",
    "u2r": "buffer_overflow loadmodule perl ps rootkit sqlattack xterm",
}
# attack names as the published files spell them, with their families' existence checked
OTHER_DATASETS = {
    "UNSW-NB15": ["Normal", "Fuzzers", "Analysis", "Backdoors", "Backdoor", "DoS", "Exploits",
                  "Generic", "Reconnaissance", "Shellcode", "Worms"],
    "CIC-IDS2017": ["BENIGN", "Bot", "DDoS", "DoS GoldenEye", "DoS Hulk", "DoS Slowhttptest",
                    "DoS slowloris", "FTP-Patator", "SSH-Patator", "Heartbleed", "Infiltration",
                    "PortScan", "Web Attack \u2013 Brute Force", "Web Attack \u2013 XSS",
                    "Web Attack \u2013 Sql Injection", "Infiltration - Portscan",
                    "DoS Hulk - Attempted"],
    "TON_IoT": ["normal", "ddos", "dos", "backdoor", "injection", "password", "ransomware",
                "xss", "scanning", "mitm"],
    "IoT-23": ["Benign", "Malicious", "Attack", "C&C", "C&C-FileDownload", "C&C-HeartBeat",
               "C&C-HeartBeat-Attack", "C&C-HeartBeat-FileDownload", "C&C-Mirai",
               "C&C-PartOfAHorizontalPortScan", "C&C-Torii", "DDoS", "FileDownload", "Okiru",
               "Okiru-Attack", "PartOfAHorizontalPortScan", "PartOfAHorizontalPortScan-Attack",
               "Torii"],
    "MQTTset": ["benign", "bruteforce", "flood", "malariaDoS", "malformed", "slowite"],
}


def test_every_nsl_kdd_attack_has_its_standard_family() -> None:
    tax = Taxonomy.default()
    names = [(fam, name) for fam, text in NSL_KDD.items() for name in text.split()]
    assert len(names) == 39
    for fam, name in names:
        info = tax.lookup(name)
        assert info is not None, name
        assert (info.family, info.is_attack) == (fam, True), name
        assert tax.lookup(f"{name}.") == info  # KDD Cup 99 writes 'smurf.'
    assert tax.lookup("normal").family is None  # type: ignore[union-attr]


def test_every_attack_class_has_a_family() -> None:
    tax = Taxonomy.default()
    no_family = [c for c, info in tax.classes.items() if info.is_attack and not info.family]
    assert no_family == []
    assert [c for c, info in tax.classes.items() if not info.is_attack] == ["normal"]
    for dataset, names in OTHER_DATASETS.items():
        for name in names:
            info = tax.lookup(name)
            assert info is not None, (dataset, name)
            assert info.is_attack == (name.lower() not in ("normal", "benign")), name
            assert info.family or not info.is_attack, (dataset, name)


# ----------------------------------------------------------------- command line


@pytest.fixture()
def curated(tmp_path: Path) -> Path:
    path = tmp_path / "curated.parquet"
    write_frame_atomic(nsl_like(), path, META)
    return path


def test_cli_predefined_split(curated: Path, tmp_path: Path) -> None:
    out = tmp_path / "split"
    r = run_cli("split", str(curated), "--out", str(out), "--mode", "predefined",
                "--test-files", "KDDTest+.txt", "--test-files", "KDDTest-21*",
                "--target", "attack_family")
    assert r.returncode == 0, r.stderr
    df = nsl_like()
    mask = by_glob(df, "KDDTest*")
    test = pq.read_table(out / "test.parquet").to_pandas()
    assert len(test) == int(mask.sum())
    report = json.loads((out / "split.json").read_text())
    removed = expected_removed(df, mask, FEATURES)
    assert report["train_rows_removed_as_test_duplicates"]["rows"] == int(removed.sum())
    assert report["test_files"] == ["KDDTest+.txt", "KDDTest-21*"]
    meta = read_meta(out / "train.parquet")
    assert (meta.split, meta.extra["target"]) == ("train", "attack_family")
    assert "removed from train" in r.stdout


@pytest.mark.parametrize("args,needles", [
    (["--test-files", "KDDVal*"], ["matches none", *FILES]),
    (["--test-files", "*.txt"], ["match all", *FILES]),
    (["--test-where", "split"], ["COLUMN=VALUE"]),
    (["--test-where", "split=test", "--test-files", "KDDTest*"], ["not both"]),
    (["--test-files", "KDDTest*", "--target", "attack_family", "--mode", "stratified"],
     ["--mode predefined"]),
])
def test_cli_bad_pattern_exit_2(curated: Path, tmp_path: Path, args: list[str],
                                needles: list[str]) -> None:
    mode = [] if "--mode" in args else ["--mode", "predefined"]
    r = run_cli("split", str(curated), "--out", str(tmp_path / "s"), *mode, *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    for needle in needles:
        assert needle in r.stderr
    assert not (tmp_path / "s" / "train.parquet").exists()


def test_cli_missing_or_constant_target_exit_2(tmp_path: Path) -> None:
    df = nsl_like().drop(columns=["attack_family"])
    path = tmp_path / "c.parquet"
    write_frame_atomic(df, path, META)
    r = run_cli("split", str(path), "--out", str(tmp_path / "s"), "--target", "attack_family")
    assert r.returncode == 2 and "no column 'attack_family'" in r.stderr, r.stderr
    write_frame_atomic(nsl_like().assign(is_attack=True), path, META)
    r = run_cli("split", str(path), "--out", str(tmp_path / "s"), "--target", "is_attack")
    assert r.returncode == 2 and "found only 'attack'" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


# ----------------------------------------------------------------- real data


def test_ton_iot_split_by_file(datasets: Path, tmp_path: Path) -> None:
    """Two captures of the TON_IoT Modbus device (test: the second) and a thermostat.

    Modbus has 8,865 distinct feature rows in 31,106, so some training rows repeat
    a test row: each is removed from train and counted.
    """
    src = datasets / "ton_iot_telemetry"
    inputs = []
    for sub, name, start, step, n in [("a", "Modbus", 0, 6, 1500), ("b", "Modbus", 1, 6, 1500),
                                      ("a", "Thermostat", 0, 20, 800)]:
        lines = (src / f"Train_Test_IoT_{name}.csv").read_bytes().splitlines(keepends=True)
        dst = tmp_path / "raw" / sub / f"Train_Test_IoT_{name}.csv"
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(b"".join(lines[:1] + lines[1 + start::step][:n]))
        inputs.append(dst)
    curate(inputs, tmp_path / "cur")
    df = read_canonical(tmp_path / "cur" / "curated.parquet")[0]
    meta = read_meta(tmp_path / "cur" / "curated.parquet")
    features = meta.feature_columns(df.columns)
    pattern = "*/b/Train_Test_IoT_Modbus.csv"
    r = split(df, meta, mode="predefined", test_files=pattern)
    mask = by_glob(df, pattern)
    assert int(mask.sum()) > 1000
    pd.testing.assert_frame_equal(sort_rows(r.test), sort_rows(df[mask]))
    removed = expected_removed(df, mask, features)
    other_modbus = by_glob(df, "*/a/Train_Test_IoT_Modbus.csv")
    assert 0 < int(removed.sum()) < int(other_modbus.sum())  # some, not all
    assert r.report["train_rows_removed_as_test_duplicates"]["rows"] == int(removed.sum())
    assert len(r.train) == int((~mask).sum() - removed.sum())
    assert len(r.report["source_files"]["train"]) == 2
    # the same split by family: TON_IoT's classes are their own families, except normal
    fam = split(df, meta, mode="predefined", test_files=pattern, target="attack_family")
    assert set(fam.report["classes"]) == set(df["attack_family"].fillna("normal"))
    assert "normal" in fam.report["classes"]
