"""UNSW-NB15 adapter on fixtures written from the published layouts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from iotforge.curation._typing import Policy
from iotforge.curation.clean import clean_batch
from iotforge.curation.sources import Probe, Source, SourceOptions, adapters, detect
from iotforge.curation.sources.unsw_nb15 import ADAPTER

# NUSW-NB15_features.csv, in order: the columns of the headerless UNSW-NB15_1..4.csv.
RAW = (
    "srcip sport dstip dsport proto state dur sbytes dbytes sttl dttl sloss dloss service "
    "Sload Dload Spkts Dpkts swin dwin stcpb dtcpb smeansz dmeansz trans_depth res_bdy_len "
    "Sjit Djit Stime Ltime Sintpkt Dintpkt tcprtt synack ackdat is_sm_ips_ports "
    "ct_state_ttl ct_flw_http_mthd is_ftp_login ct_ftp_cmd ct_srv_src ct_srv_dst "
    "ct_dst_ltm ct_src_ltm ct_src_dport_ltm ct_dst_sport_ltm ct_dst_src_ltm attack_cat "
    "Label"
).split()
# Header of UNSW_NB15_training-set.csv / UNSW_NB15_testing-set.csv.
PARTITION = (
    "id,dur,proto,service,state,spkts,dpkts,sbytes,dbytes,rate,sttl,dttl,sload,dload,"
    "sloss,dloss,sinpkt,dinpkt,sjit,djit,swin,stcpb,dtcpb,dwin,tcprtt,synack,ackdat,smean,"
    "dmean,trans_depth,response_body_len,ct_srv_src,ct_state_ttl,ct_dst_ltm,"
    "ct_src_dport_ltm,ct_dst_sport_ltm,ct_dst_src_ltm,is_ftp_login,ct_ftp_cmd,"
    "ct_flw_http_mthd,ct_src_ltm,ct_srv_dst,is_sm_ips_ports,attack_cat,label"
)
# The first record of UNSW-NB15_1.csv (normal: empty attack_cat, Label 0).
FIRST = ("59.166.0.0,1390,149.171.126.6,53,udp,CON,0.001055,132,164,31,29,0,0,dns,"
         "500473.9375,621800.9375,2,2,0,0,0,0,66,82,0,0,0,0,1421927414,1421927414,0.017,"
         "0.013,0,0,0,0,0,0,0,0,3,7,1,3,1,1,1,,0")


def raw_row(**values: str) -> str:
    fields = dict(zip(RAW, FIRST.split(","), strict=True))
    assert set(values) <= set(fields)
    fields.update(values)
    return ",".join(fields[c] for c in RAW)


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


def test_raw_headerless_layout_quirks(tmp_path: Path) -> None:
    rows = [
        FIRST,                                                        # 1 normal, empty cat
        raw_row(sport="0x000b", dsport="0x000b", proto="icmp", state="ECO",
                service="-", attack_cat=" Fuzzers", Label="1"),       # 2 hex ports, spaces
        raw_row(srcip="175.45.176.1", sport="-", dsport="-", attack_cat="Backdoors",
                Label="1"),                                           # 3 '-' ports
        raw_row(attack_cat="Backdoor", Label="1", ct_ftp_cmd=" "),    # 4 blank ct_ftp_cmd
        raw_row(attack_cat="Reconnaissance ", Label="1", state="INT"),  # 5
        raw_row(attack_cat="Exploits", Label="0"),                    # 6 flag contradicts
        raw_row(attack_cat=" ", Label="0", is_ftp_login="2"),         # 7 blank cat, normal
        raw_row(attack_cat="", Label="1"),                            # 8 flag only: attack
        raw_row(sport="0x1ffff"),                                     # 9 hex out of range
        FIRST.rsplit(",", 20)[0],                                     # 10 truncated
    ]
    path = tmp_path / "UNSW-NB15_1.csv"
    path.write_text("\n".join(rows) + "\n")
    assert detect(path).name == "unsw_nb15"
    frame, quarantine, source = _curate(path, {"range": "quarantine"})
    assert source.label_columns == ["attack_cat", "label"]
    assert source.binary_label == "label"
    assert frame["source_row"].tolist() == [1, 2, 3, 4, 5, 7, 8]
    assert frame["label_raw"].tolist() == ["0", "Fuzzers", "Backdoors", "Backdoor",
                                           "Reconnaissance", "0", "1"]
    assert frame["label"].tolist() == ["normal", "fuzzers", "backdoor", "backdoor",
                                       "scanning", "normal", "attack"]
    assert frame["is_attack"].tolist() == [False, True, True, True, True, False, True]
    assert frame["sport"].tolist()[:3] == [1390, 11, pd.NA]
    assert frame["dsport"].tolist()[:3] == [53, 11, pd.NA]
    assert frame["service"].tolist()[:2] == ["dns", None]
    assert frame["ct_ftp_cmd"].isna().tolist() == [False, False, False, True, False, False,
                                                   False]
    assert frame["is_ftp_login"].tolist()[5] == 2
    assert frame["state"].tolist()[:5] == ["CON", "ECO", "CON", "CON", "INT"]
    assert str(frame["stime"].iloc[0]) == "2015-01-22 11:50:14+00:00"
    assert quarantine[["source_row", "rule", "column"]].values.tolist() == [
        [10, "row_shape", ""], [6, "label_conflict", "label"], [9, "range", "sport"]]
    assert quarantine["reason"].iloc[0] == "expected 49 fields, found 29"
    # raw names renamed to the training-set names of the same measurements
    assert {"smean", "dmean", "response_body_len", "sinpkt", "dinpkt"} <= set(frame.columns)
    assert not {"smeansz", "res_bdy_len", "sintpkt"} & set(frame.columns)


def test_roles_and_kinds_of_raw_layout(tmp_path: Path) -> None:
    path = tmp_path / "UNSW-NB15_2.csv"
    path.write_text(FIRST + "\n")
    _, _, source = _curate(path)
    specs = source.specs
    assert len(specs) == 47  # 49 less attack_cat and Label
    roles: dict[str, list[str]] = {}
    for s in specs.values():
        roles.setdefault(s.role, []).append(s.name)
    assert roles["endpoint"] == ["srcip", "sport", "dstip"]
    assert roles["time"] == ["stime", "ltime"]
    assert roles["categorical"] == ["proto", "state", "service", "is_sm_ips_ports"]
    assert "label" not in specs and "attack_cat" not in specs
    assert (specs["dsport"].kind, specs["dsport"].domain) == ("int", "port")
    assert (specs["stime"].kind, specs["sload"].domain) == ("timestamp", "nonnegative")
    assert specs["is_sm_ips_ports"].kind == "bool"


def test_training_set_layout_with_header(tmp_path: Path) -> None:
    path = tmp_path / "UNSW_NB15_training-set.csv"
    path.write_text(
        PARTITION + "\n"
        "1,0.121478,tcp,-,FIN,6,4,258,172,74.08749,252,254,14158.94238,8495.365234,0,0,"
        "24.2956,8.375,30.177547,11.830604,255,621797645,2202533631,255,0,0,0,43,43,0,0,1,"
        "0,1,1,1,1,0,0,0,1,1,0,Normal,0\n"
        "2,0.000009,udp,dns,INT,2,0,114,0,111111.1072,254,0,50666664,0,0,0,0.009,0,0,0,0,0,"
        "0,0,0,0,0,57,0,0,0,33,2,17,17,17,33,0,0,0,17,33,0,Generic,1\n"
        "3,0.000009,udp,dns,INT,2,0,114,0,111111.1072,254,0,50666664,0,0,0,0.009,0,0,0,0,0,"
        "0,0,0,0,0,57,0,0,0,33,2,17,17,17,33,0,0,0,17,33,0, DoS,1\n"
        "4,0.000009,udp,dns,INT,2,0,114,0,111111.1072,254,0,50666664,0,0,0,0.009,0,0,0,0,0,"
        "0,0,0,0,0,57,0,0,0,33,2,17,17,17,33,0,0,0,17,33,0,Normal,1\n")
    assert detect(path).name == "unsw_nb15"
    frame, quarantine, source = _curate(path)
    assert frame["source_row"].tolist() == [2, 3, 4]
    assert frame["label"].tolist() == ["normal", "generic", "dos"]
    assert quarantine[["source_row", "rule"]].values.tolist() == [[5, "label_conflict"]]
    assert source.specs["id"].role == "id"
    assert source.specs["rate"].domain == "nonnegative"
    assert "srcip" not in source.specs
    assert frame["service"].tolist() == [None, "dns", "dns"]


def test_raw_columns_under_a_header_line(tmp_path: Path) -> None:
    path = tmp_path / "unsw_with_header.csv"
    path.write_text(",".join(RAW) + "\n" + raw_row(attack_cat="Worms", Label="1") + "\n")
    assert detect(path).name == "unsw_nb15"
    frame, _, _ = _curate(path)
    assert frame["label"].tolist() == ["worms"]
    assert frame["source_row"].tolist() == [2]
    assert frame["sinpkt"].tolist() == [0.017]


def test_sniff_does_not_claim_other_formats(tmp_path: Path) -> None:
    def probe(name: str, text: str) -> Probe:
        path = tmp_path / name
        path.write_text(text)
        return Probe.of(path)

    assert ADAPTER.sniff(probe("UNSW-NB15_3.csv", FIRST + "\n")) == 0.95
    assert ADAPTER.sniff(probe("part.csv", PARTITION + "\n1,0.1\n")) == 0.95
    others = {
        "ton_iot.csv": "date,time,fridge_temperature,temp_condition,label,type\n"
                       "25-Apr-19,19:19:40,9,low,0,normal\n",
        "ton_network.csv": "ts,src_ip,src_port,dst_ip,dst_port,proto,service,duration,"
                           "src_bytes,dst_bytes,conn_state,label,type\n",
        "bot_iot.csv": "pkSeqID,stime,flgs,proto,saddr,sport,daddr,dport,pkts,bytes,state,"
                       "ltime,dur,spkts,dpkts,sbytes,dbytes,rate,attack,category,"
                       "subcategory\n",
        "cic.csv": "Flow ID,Source IP,Source Port,Destination IP,Protocol,Label\n",
        "kdd.txt": "0,tcp,http,SF,181,5450" + ",0" * 35 + ",normal.\n",
        # 49 fields but no addresses: not a raw UNSW record
        "other49.csv": ",".join(["1"] * 49) + "\n",
    }
    for name, text in others.items():
        assert ADAPTER.sniff(probe(name, text)) == 0, name
    # and no other adapter claims UNSW-NB15 as surely
    for name, adapter in adapters().items():
        if name != "unsw_nb15":
            assert adapter.sniff(probe("u.csv", FIRST + "\n")) < 0.95, name
            assert adapter.sniff(probe("p.csv", PARTITION + "\n")) < 0.95, name

