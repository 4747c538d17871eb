"""KDD Cup 99 / NSL-KDD adapter on fixtures written from the published layouts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from iotforge.curation._typing import Policy
from iotforge.curation.clean import clean_batch
from iotforge.curation.errors import SchemaMismatchError
from iotforge.curation.sources import Probe, Source, SourceOptions, adapters, detect
from iotforge.curation.sources.kdd import ADAPTER, SPECS, parse_arff_header
from kdd_fixtures import ARFF, FEATURES, NEPTUNE, NORMAL, arff_attributes

# Records as published (kddcup.data_10_percent rows; NORMAL, NEPTUNE in kdd_fixtures).
SMURF = ("0,icmp,ecr_i,SF,1032,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,511,511,0.00,0.00,0.00,"
         "0.00,1.00,0.00,0.00,255,255,1.00,0.00,1.00,0.00,0.00,0.00,0.00,0.00")
HTTP = ("0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,"
        "1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00")
# U2R record with su_attempted = 2 (documented as 0/1; the files hold 2 as well).
ROOT = ("184,tcp,telnet,SF,1511,2957,0,0,0,3,0,1,2,1,2,4,1,0,0,0,0,0,1,1,0.00,0.00,0.00,"
        "0.00,1.00,0.00,0.00,1,3,1.00,0.00,1.00,0.67,0.00,0.00,0.00,0.00")


def _curate(path: Path, policies: dict[str, Policy] | None = None,
            ) -> tuple[pd.DataFrame, pd.DataFrame, Source]:
    source = detect(path).open(path, SourceOptions())
    frames, quarantine = [], []
    for batch in source.batches:
        res = clean_batch(batch.table, batch.source_row, source.specs,
                          label_columns=source.label_columns,
                          binary_label=source.binary_label, fixed_label=source.fixed_label,
                          source=source.name, source_file=str(path), invalid=batch.invalid,
                          policies=policies)
        frames.append(res.frame)
        quarantine.append(res.quarantine)
    return pd.concat(frames, ignore_index=True), pd.concat(quarantine, ignore_index=True), source


def test_kddcup99_headerless_trailing_period_labels(tmp_path: Path) -> None:
    path = tmp_path / "kddcup.data_10_percent"
    path.write_text(f"{HTTP},normal.\n{SMURF},smurf.\n{NEPTUNE},neptune.\n"
                    f"{ROOT},rootkit.\n{HTTP},warezclient.\n{NORMAL},nosuchattack.\n"
                    "0,tcp,http,SF,181,5450,0\n")
    assert detect(path).name == "kdd"
    frame, quarantine, source = _curate(path)
    assert frame["label_raw"].tolist() == ["normal.", "smurf.", "neptune.", "rootkit.",
                                           "warezclient."]
    assert frame["label"].tolist() == ["normal", "kdd_dos_smurf", "kdd_dos_neptune",
                                       "kdd_u2r", "kdd_r2l"]
    assert frame["attack_family"].tolist() == [None, "dos", "dos", "u2r", "r2l"]
    assert frame["is_attack"].tolist() == [False, True, True, True, True]
    assert frame["source_row"].tolist() == [1, 2, 3, 4, 5]
    assert set(frame["source"]) == {"kdd"}
    assert "difficulty" not in frame.columns and "difficulty" not in source.specs
    assert quarantine[["source_row", "rule"]].values.tolist() == [
        [7, "row_shape"], [6, "unknown_label"]]
    assert quarantine["reason"].iloc[0] == "expected 42 fields, found 7"
    # values typed by the declared specs
    assert frame["protocol_type"].tolist() == ["tcp", "icmp", "tcp", "tcp", "tcp"]
    assert frame["flag"].tolist() == ["SF", "SF", "S0", "SF", "SF"]
    assert frame["su_attempted"].tolist() == [0, 0, 0, 2, 0]
    assert frame["logged_in"].tolist() == [True, False, False, True, True]
    assert frame["dst_bytes"].tolist() == [5450, 0, 0, 2957, 5450]
    assert frame["serror_rate"].tolist() == [0.0, 0.0, 1.0, 0.0, 0.0]


def test_roles_kinds_domains() -> None:
    assert [n for n in SPECS if n != "difficulty"] == FEATURES
    by_role = {}
    for s in SPECS.values():
        by_role.setdefault((s.role, s.kind, s.domain), []).append(s.name)
    assert by_role[("categorical", "string", "none")] == ["protocol_type", "service", "flag"]
    assert by_role[("categorical", "bool", "none")] == [
        "land", "logged_in", "root_shell", "is_host_login", "is_guest_login"]
    assert by_role[("numeric", "float", "ratio")] == [n for n in FEATURES
                                                      if n.endswith("_rate")]
    assert by_role[("label", "int", "nonnegative")] == ["difficulty"]
    assert len(by_role[("numeric", "int", "nonnegative")]) == 41 - 3 - 5 - 15


def test_nsl_kdd_difficulty_column_is_never_a_feature(tmp_path: Path) -> None:
    path = tmp_path / "KDDTrain+.txt"
    path.write_text(f"{NORMAL},normal,20\n{NEPTUNE},neptune,19\n\n{SMURF},smurf,21\n"
                    f"{NORMAL},normal,-3\n{NORMAL},normal\n")
    frame, quarantine, source = _curate(path, {"range": "quarantine"})
    assert source.specs["difficulty"].role == "label"
    assert frame["difficulty"].tolist() == [20, 19, 21]
    assert frame["source_row"].tolist() == [1, 2, 4]  # line 3 is blank, no record
    assert frame["label"].tolist() == ["normal", "kdd_dos_neptune", "kdd_dos_smurf"]
    assert quarantine[["source_row", "rule"]].values.tolist() == [
        [6, "row_shape"], [5, "range"]]
    assert quarantine["column"].tolist() == ["", "difficulty"]
    assert quarantine["reason"].iloc[0] == "expected 43 fields, found 42"
    roles = {s.role for s in source.specs.values()}
    assert roles == {"numeric", "categorical", "label"}


def test_out_of_domain_values_are_quarantined(tmp_path: Path) -> None:
    bad_rate = NORMAL.split(",")
    bad_rate[FEATURES.index("same_srv_rate")] = "1.5"
    bad_count = NORMAL.split(",")
    bad_count[FEATURES.index("src_bytes")] = "-7"
    bad_bool = NORMAL.split(",")
    bad_bool[FEATURES.index("land")] = "?"
    path = tmp_path / "KDDTest+.txt"
    path.write_text(f"{NORMAL},normal,21\n{','.join(bad_rate)},normal,21\n"
                    f"{','.join(bad_count)},normal,21\n{','.join(bad_bool)},normal,21\n")
    frame, quarantine, _ = _curate(path, {"range": "quarantine"})
    assert quarantine[["source_row", "rule", "column"]].values.tolist() == [
        [2, "range", "same_srv_rate"], [3, "range", "src_bytes"]]
    assert frame["source_row"].tolist() == [1, 4]
    assert frame["land"].isna().tolist() == [False, True]  # '?' is missing
    frame, quarantine, _ = _curate(path, {"range": "set_missing"})
    assert quarantine.empty
    assert frame["same_srv_rate"].isna().tolist() == [False, True, False, False]
    assert frame["src_bytes"].isna().tolist() == [False, False, True, False]


def test_arff_header_comments_and_missing_marker(tmp_path: Path) -> None:
    unknown_service = NEPTUNE.replace(",private,", ",?,")
    rows = (f"{NORMAL},normal\n% a comment inside the data\n{NEPTUNE},anomaly\n"
            f"{unknown_service},'anomaly'\n\n{HTTP},?\n{SMURF}\n")
    path = tmp_path / "KDDTrain+.arff"
    path.write_text(ARFF.format(attributes=arff_attributes(), rows=rows))
    header = parse_arff_header(path)
    assert header.relation == "KDDTrain"
    assert [n for n, _ in header.attributes] == [*FEATURES, "class"]
    assert header.header_lines == 4 + 41 + 4
    data_line = header.header_lines + 1
    assert detect(path).name == "kdd"
    frame, quarantine, source = _curate(path)
    assert source.label_columns == ["class"]
    assert frame["source_row"].tolist() == [data_line, data_line + 2, data_line + 3]
    assert frame["label_raw"].tolist() == ["normal", "anomaly", "anomaly"]
    assert frame["label"].tolist() == ["normal", "attack", "attack"]
    assert frame["is_attack"].tolist() == [False, True, True]
    assert frame["service"].isna().tolist() == [False, False, True]
    assert quarantine[["source_row", "rule"]].values.tolist() == [
        [data_line + 6, "row_shape"], [data_line + 5, "missing_label"]]
    assert "ARFF relation 'KDDTrain'" in source.notes


def test_arff_crlf_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "KDDTest+.arff"
    text = ARFF.format(attributes=arff_attributes(), rows=f"{NORMAL},normal\n{SMURF}\n")
    path.write_bytes(text.replace("\n", "\r\n").encode())
    frame, quarantine, _ = _curate(path)
    assert frame["source_row"].tolist() == [50]
    assert quarantine[["source_row", "rule"]].values.tolist() == [[51, "row_shape"]]


def test_header_csv_variant(tmp_path: Path) -> None:
    path = tmp_path / "nsl_kdd_with_header.csv"
    path.write_text(",".join([*FEATURES, "attack", "level"]) + "\n"
                    f"{NORMAL},normal,20\n{SMURF},smurf,21\n")
    frame, _, source = _curate(path)
    assert frame["label"].tolist() == ["normal", "kdd_dos_smurf"]
    assert source.specs["difficulty"].role == "label"


def test_sniff_confidence_and_other_formats(tmp_path: Path) -> None:
    def probe(name: str, text: str) -> Probe:
        path = tmp_path / name
        path.write_text(text)
        return Probe.of(path)

    assert ADAPTER.sniff(probe("a.txt", f"{NORMAL},normal,20\n")) == 0.95
    assert ADAPTER.sniff(probe("b.data", f"{SMURF},smurf.\n")) == 0.95
    # 42 fields but field 2 is no protocol: not KDD
    assert ADAPTER.sniff(probe("c.csv", f"{NORMAL.replace(',tcp,', ',xyz,')},normal\n")) == 0
    # an ARFF file of another data set
    assert ADAPTER.sniff(probe("iris.arff", "@relation iris\n@attribute sepal real\n"
                                            "@attribute class {a,b}\n@data\n1,a\n")) == 0
    # shapes of the other formats are not claimed
    assert ADAPTER.sniff(probe("t.csv", "date,time,fridge_temperature,temp_condition,"
                                        "label,type\n25-Apr-19,19:19:40,9,low,0,normal\n")) == 0
    assert ADAPTER.sniff(probe("cic.csv", "Flow ID,Source IP,Source Port,Protocol,Label\n"
                                          "1,10.0.0.1,80,6,BENIGN\n")) == 0
    unsw = ("59.166.0.0,1390,149.171.126.6,53,udp,CON,0.001055,132,164,31,29,0,0,dns,"
            "500473.9375,621800.9375,2,2,0,0,0,0,66,82,0,0,0,0,1421927414,1421927414,0.017,"
            "0.013,0,0,0,0,0,0,0,0,3,7,1,3,1,1,1,,0\n")
    assert ADAPTER.sniff(probe("UNSW-NB15_1.csv", unsw)) == 0
    for name, adapter in adapters().items():
        if name != "kdd":
            assert adapter.sniff(probe("x.txt", f"{NORMAL},normal,20\n")) < 0.95, name


def test_wrong_field_count_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "odd.txt"
    path.write_text("0,tcp,http,SF,1,2\n")
    with pytest.raises(SchemaMismatchError, match="expected 42 or 43"):
        ADAPTER.open(path, SourceOptions())
