"""Captures the project has never seen, written from the formats' published definitions.

Each fixture follows a release's published header (not the shared sample files), so
the adapters are shown to follow the formats, not one sample.
"""

from __future__ import annotations

import pandas as pd
import pytest
from iotforge.curation.curate import curate
from iotforge.curation.sources import detect

CIC2017_ORIGINAL = (
    " Destination Port, Flow Duration, Total Fwd Packets, Total Backward Packets,"
    "Total Length of Fwd Packets, Total Length of Bwd Packets, Fwd Packet Length Max,"
    "Flow Bytes/s, Flow Packets/s, Fwd Header Length, Min Packet Length, Average Packet Size,"
    "Init_Win_bytes_forward, Init_Win_bytes_backward, act_data_pkt_fwd, min_seg_size_forward,"
    " Fwd Header Length, Label")
CIC2018 = (
    "Dst Port,Protocol,Timestamp,Flow Duration,Tot Fwd Pkts,Tot Bwd Pkts,TotLen Fwd Pkts,"
    "TotLen Bwd Pkts,Fwd Pkt Len Max,Flow Byts/s,Flow Pkts/s,Fwd Header Len,Pkt Len Min,"
    "Pkt Size Avg,Init Fwd Win Byts,Init Bwd Win Byts,Fwd Act Data Pkts,Fwd Seg Size Min,Label")
CICIOT2023 = (
    "flow_duration,Header_Length,Protocol Type,Duration,Rate,Srate,Drate,fin_flag_number,"
    "syn_flag_number,ack_count,syn_count,HTTP,TCP,Tot sum,Min,Max,AVG,Std,Tot size,IAT,"
    "Number,Magnitue,Radius,Covariance,Variance,Weight,label")

SHARED = ["dst_port", "flow_duration", "total_fwd_packet", "total_bwd_packet",
          "total_length_fwd_packet", "total_length_bwd_packet", "fwd_packet_length_max",
          "flow_bytes_s", "flow_packet_s", "fwd_header_length", "packet_length_min",
          "packet_size_avg", "fwd_init_win_bytes", "bwd_init_win_bytes",
          "fwd_act_data_packet", "fwd_segment_size_min"]


def test_cic_releases_land_in_the_same_columns(tmp_path):
    a = tmp_path / "Monday-WorkingHours.pcap_ISCX.csv"
    a.write_text(CIC2017_ORIGINAL + "\n"
                 "80,100,2,1,20,30,10,500000,30000,40,0,16.6,8192,-1,1,20,40,BENIGN\n"
                 "21,9,3,3,20,30,10,Infinity,NaN,40,0,16.6,-1,29200,1,20,40,FTP-Patator\n")
    b = tmp_path / "02-14-2018.csv"
    b.write_text(CIC2018 + "\n"
                 "22,6,14/02/2018 08:31:01,100,2,1,20,30,10,5,3,40,0,16.6,8192,-1,1,20,"
                 "SSH-Bruteforce\n"
                 "80,6,14/02/2018 08:31:02,101,2,1,20,30,10,5,3,40,0,16.6,8192,-1,1,20,"
                 "DDOS attack-HOIC\n")
    assert detect(a).name == detect(b).name == "cicflowmeter"
    report = curate([a, b], tmp_path / "o")
    df = pd.read_parquet(tmp_path / "o" / "curated.parquet")
    for col in SHARED:
        assert df[col].notna().any(), col
    assert df["label"].tolist() == ["normal", "ftp_patator", "ssh_patator", "ddos"]
    # the 2017 release repeats 'Fwd Header Length'; both values are kept
    assert df["fwd_header_length__2"].tolist()[:2] == [40, 40]
    # -1 windows are sentinels; Infinity/NaN rates are missing markers
    assert df["bwd_init_win_bytes"].isna().tolist() == [True, False, True, True]
    assert df["flow_bytes_s"].isna().tolist() == [False, True, False, False]
    assert report["files"][0]["rules"]["sentinel"] == 2
    assert df["timestamp"].notna().tolist() == [False, False, True, True]


def test_cic_iot_2023(tmp_path):
    f = tmp_path / "part-00000.csv"
    row = ",".join(["0.5"] * 26)
    f.write_text(CICIOT2023 + "\n" + row + ",DDoS-SYN_Flood\n" + row.replace("0.5", "0.7")
                 + ",BenignTraffic\n" + row.replace("0.5", "0.9") + ",Recon-PortScan\n")
    assert detect(f).name == "cicflowmeter"
    curate([f], tmp_path / "o")
    df = pd.read_parquet(tmp_path / "o" / "curated.parquet")
    assert df["label"].tolist() == ["ddos_syn_flood", "normal", "portscan"]
    assert {"flow_duration", "header_length", "protocol", "rate", "iat"} <= set(df.columns)


def test_zeek_conn_log_without_labels_and_json_free_header(tmp_path):
    f = tmp_path / "conn.log"
    f.write_text(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
        "#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
        "duration\torig_bytes\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\t"
        "count\n1600000000.5\tCa\t10.0.0.1\t5000\t10.0.0.2\t80\ttcp\t1.5\t10\n"
        "1600000001.5\tCb\t10.0.0.1\t5001\t10.0.0.2\t443\ttcp\t-\t-\n#close\t2020\n")
    with pytest.raises(Exception, match="--default-label"):
        curate([f], tmp_path / "o")
    report = curate([f], tmp_path / "o", default_label="benign")
    df = pd.read_parquet(tmp_path / "o" / "curated.parquet")
    assert df["label"].tolist() == ["normal", "normal"]
    assert df["duration"].isna().tolist() == [False, True]
    assert str(df["ts"].iloc[0]) == "2020-09-13 12:26:40.500000+00:00"
    assert report["total"]["rows_read"] == 2  # the #close line is no record


def test_ton_iot_network_style_unknown_device(tmp_path):
    f = tmp_path / "Train_Test_IoT_Smart_Lock.csv"
    f.write_text("\ufeffdate,time,lock_state,battery,label,type\n"
                 "1-Apr-19, 10:00:01 ,LOCKED,88,0,normal\n"
                 "1-Apr-19, 10:00:02 ,unlocked ,87,1,backdoor\n")
    report = curate([f], tmp_path / "o")
    assert report["files"][0]["source"] == "ton_iot:smart_lock"
    df = pd.read_parquet(tmp_path / "o" / "curated.parquet")
    assert df["lock_state"].tolist() == ["locked", "unlocked"]
    assert df["label"].tolist() == ["normal", "backdoor"]
