"""pcap/pcapng adapter: detection, flows, the four label sources, damaged captures.

Small captures are written with the pure-Python pcap writer of tests/pcap_writer.py
(Ethernet/IPv4 with TCP or UDP); real-data tests use MQTTset and IoT-23 from
``../shared/datasets`` (or ``$IOTFORGE_DATASETS``) and skip without them.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pandas as pd
import pytest
from iotforge.curation.clean import clean_batch
from iotforge.curation.errors import InputError, MappingError
from iotforge.curation.sources import Probe, Source, SourceOptions, detect
from iotforge.curation.sources._flow_labels import LabelRules
from iotforge.curation.sources.pcap import ADAPTER, SPECS, PcapAdapter, scan_capture
from iotforge.curation.taxonomy import Taxonomy
from pcap_writer import packet, write_pcap

ROOT = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("IOTFORGE_DATASETS", ROOT.parent / "shared" / "datasets"))
CLASSES = set(Taxonomy.default().classes)

T0 = 1_545_404_000.0  # 2018-12-21 14:53:20 UTC
THREE_FLOWS = [  # A: TCP to an MQTT broker, B: UDP DNS, C: UDP to 8.8.8.8
    (T0, packet("10.0.0.1", "10.0.0.2", 40000, 1883, flags=0x02)),
    (T0 + 0.0625, packet("10.0.0.2", "10.0.0.1", 1883, 40000, flags=0x12)),
    (T0 + 0.125, packet("10.0.0.1", "10.0.0.2", 40000, 1883, flags=0x10)),
    (T0 + 1, packet("10.0.0.3", "192.168.1.10", 5353, 53, "udp", payload=b"q" * 12)),
    (T0 + 2, packet("10.0.0.1", "8.8.8.8", 40001, 53, "udp", payload=b"q" * 20)),
]


def curate(path: Path, options: SourceOptions | None = None, adapter: PcapAdapter = ADAPTER,
           ) -> tuple[pd.DataFrame, pd.DataFrame, Source, int]:
    """Adapter + cleaning as curate runs them; also checks the accounting identity."""
    source = adapter.open(path, options or SourceOptions())
    frames, quarantine, read = [], [], 0
    for batch in source.batches:
        res = clean_batch(batch.table, batch.source_row, source.specs,
                          label_columns=source.label_columns,
                          binary_label=source.binary_label, fixed_label=source.fixed_label,
                          source=source.name, source_file=str(path), invalid=batch.invalid)
        read += batch.table.num_rows + len(batch.invalid)
        frames.append(res.frame)
        quarantine.append(res.quarantine)
    frame = pd.concat(frames, ignore_index=True)
    quar = pd.concat(quarantine, ignore_index=True)
    assert read == len(frame) + len(quar)
    assert set(frame["label"]) <= CLASSES
    return frame, quar, source, read


# ---------------------------------------------------------------- detection

@pytest.mark.parametrize("order,nano", [("<", False), (">", False), ("<", True), (">", True)])
def test_sniff_pcap_byte_orders_and_resolutions(tmp_path: Path, order: str, nano: bool
                                                ) -> None:
    path = write_pcap(tmp_path / "x.cap", THREE_FLOWS, order=order, nano=nano)
    assert detect(path) is ADAPTER
    assert scan_capture(path).packets == len(THREE_FLOWS)


def test_sniff_rejects_text_and_other_binary(tmp_path: Path) -> None:
    text = tmp_path / "conn.csv"
    text.write_text("a,b\n1,2\n")
    assert ADAPTER.sniff(Probe.of(text)) == 0.0
    blob = tmp_path / "x.bin"
    blob.write_bytes(b"\x00\x01\x02\x03" * 20)
    assert ADAPTER.sniff(Probe.of(blob)) == 0.0


def test_flows_columns_specs_and_times(tmp_path: Path) -> None:
    path = write_pcap(tmp_path / "benign" / "capture.pcap", THREE_FLOWS, nano=True)
    frame, quar, source, read = curate(path)
    assert read == 3 and quar.empty
    assert frame["source_row"].tolist() == [1, 2, 3]
    assert set(frame["label"]) == {"normal"} and set(frame["label_raw"]) == {"benign"}
    a = frame.set_index("dst_port").loc[1883]
    assert (a["src_ip"], a["src_port"], a["protocol"]) == ("10.0.0.1", 40000, 6)
    assert (a["bidirectional_packets"], a["src2dst_packets"], a["dst2src_packets"]) == (3, 2, 1)
    assert a["bidirectional_first_seen_ms"] == pd.Timestamp(T0, unit="s", tz="UTC")
    assert a["bidirectional_duration_ms"] == 125
    # A direction without packets has no first-seen time (not 1970).
    b = frame.set_index("dst_port").loc[53].iloc[0]
    assert pd.isna(b["dst2src_first_seen_ms"])
    assert {s.role for s in source.specs.values()} <= {"id", "endpoint", "time", "numeric",
                                                        "categorical"}
    assert SPECS["dst_port"].role == "numeric" and SPECS["src_port"].role == "endpoint"


# ---------------------------------------------------------------- labels

RULES = """
rules:
  - dst: 10.0.0.0/24
    port: 1883
    protocol: tcp
    label: bruteforce
  - src: 10.0.0.3
    label: scanning
  - start: {start}
    end: {end}
    label: ddos
"""


def test_rule_file_first_match_wins_and_unlabelled_flows_quarantined(tmp_path: Path) -> None:
    path = write_pcap(tmp_path / "capture.pcap", THREE_FLOWS)
    rules = tmp_path / "rules.yaml"
    # The window holds flows B and C; B is taken by the earlier rule.
    rules.write_text(RULES.format(start="2018-12-21T14:53:20.5Z", end=T0 + 3))
    frame, quar, _, _ = curate(path, SourceOptions(label_rules=rules))
    labels = dict(zip(frame["dst_ip"], frame["label"], strict=True))
    assert labels == {"10.0.0.2": "brute_force", "192.168.1.10": "scanning",
                      "8.8.8.8": "ddos"}
    # Narrow the window to nothing: flow C matches no rule and has no other label.
    rules.write_text(RULES.format(start=T0 + 10, end=T0 + 20))
    frame, quar, _, _ = curate(path, SourceOptions(label_rules=rules))
    assert sorted(frame["label"]) == ["brute_force", "scanning"]
    assert quar["rule"].tolist() == ["missing_label"]
    assert '"8.8.8.8"' in quar["record"].iloc[0]


def test_rule_default_and_default_label(tmp_path: Path) -> None:
    path = write_pcap(tmp_path / "capture.pcap", THREE_FLOWS)
    parsed = {"rules": [{"host": "8.8.8.8", "protocol": 17, "label": "dos"}],
              "default": "benign"}
    frame, quar, _, _ = curate(path, SourceOptions(label_rules=parsed))
    assert sorted(frame["label"]) == ["dos", "normal", "normal"] and quar.empty
    frame, _, _, _ = curate(path, SourceOptions(label_rules=[{"port": 1883, "label": "flood"}],
                                                default_label="normal"))
    assert sorted(frame["label"]) == ["mqtt_flood", "normal", "normal"]


@pytest.mark.parametrize("bad,message", [
    ({"rules": [{"src": "10.0.0.300", "label": "x"}]}, "expected an IP address or CIDR"),
    ({"rules": [{"port": 70000, "label": "x"}]}, "expected an integer 0-65535"),
    ({"rules": [{"prot": "tcp", "label": "x"}]}, "unknown key(s) ['prot']"),
    ({"rules": [{"src": "10.0.0.1"}]}, "expected a 'label'"),
    ({"rules": [{"start": "yesterday-ish", "label": "x"}]}, "expected an ISO time"),
    ({"rules": []}, "at least one rule or a 'default'"),
])
def test_rule_file_errors_name_the_rule(bad: object, message: str) -> None:
    with pytest.raises(MappingError, match=None) as info:
        LabelRules.load(bad)
    assert message in str(info.value)


CONN_LOG = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
    "#path\tconn\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration"
    "\ttunnel_parents   label   detailed-label\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\tset[string]   string   string\n"
    # flow A logged in the other direction, and the same 5-tuple an hour later
    f"{T0:.6f}\tC1\t10.0.0.2\t1883\t10.0.0.1\t40000\ttcp\t0.125000\t-   Malicious   C&C\n"
    f"{T0 + 3600:.6f}\tC2\t10.0.0.1\t40000\t10.0.0.2\t1883\ttcp\t1.0\t-   Benign   -\n"
    f"{T0 + 1:.6f}\tC3\t10.0.0.3\t5353\t192.168.1.10\t53\tudp\t-\t-   Benign   -\n"
)


def test_conn_log_labels_by_five_tuple_and_time_then_folder(tmp_path: Path) -> None:
    path = write_pcap(tmp_path / "flood" / "capture.pcap", THREE_FLOWS)
    (path.parent / "conn.log.labeled").write_text(CONN_LOG)
    frame, quar, source, _ = curate(path)
    labels = dict(zip(frame["src_ip"] + ">" + frame["dst_ip"], frame["label"], strict=True))
    assert labels == {"10.0.0.1>10.0.0.2": "c_and_c",  # reverse direction, overlapping time
                      "10.0.0.3>192.168.1.10": "normal",
                      "10.0.0.1>8.8.8.8": "mqtt_flood"}  # not in the log: folder name
    assert quar.empty and "label_raw_conn_log" in source.label_columns
    # A rule file comes first.
    frame, _, _, _ = curate(path, SourceOptions(label_rules=[{"dst": "192.168.1.10",
                                                              "label": "scan"}]))
    assert sorted(frame["label"]) == ["c_and_c", "mqtt_flood", "scanning"]


# ---------------------------------------------------------------- damaged input

def test_truncated_capture_keeps_earlier_flows_and_quarantines_the_damage(tmp_path: Path
                                                                          ) -> None:
    path = write_pcap(tmp_path / "benign" / "cut.pcap", THREE_FLOWS)
    path.write_bytes(path.read_bytes()[:-10])
    frame, quar, source, read = curate(path)
    assert len(frame) == 2 and read == 3
    assert quar["rule"].tolist() == ["row_shape"]
    assert "last packet cut short" in quar["reason"].iloc[0]
    assert "pcapfix" in quar["reason"].iloc[0]
    assert any("damaged at byte" in n for n in source.notes)


@pytest.mark.parametrize("data,message", [
    (lambda good: good[:30], "damaged before its first packet"),
    (lambda good: good[:24], "no flows: the pcap file holds no packets"),
    (lambda good: b"\x0a\x0d\x0d\x0a" + os.urandom(60), "damaged before its first packet"),
    (lambda good: b"GIF89a" + good, "expected a pcap or pcapng file"),
])
def test_unusable_capture_is_one_input_error(tmp_path: Path, data, message: str) -> None:
    good = write_pcap(tmp_path / "good.pcap", THREE_FLOWS).read_bytes()
    path = tmp_path / "bad.pcap"
    path.write_bytes(data(good))
    with pytest.raises(InputError) as info:
        source = ADAPTER.open(path, SourceOptions(default_label="normal"))
        list(source.batches)
    assert message in str(info.value) and str(path) in str(info.value)


def test_capture_without_ip_traffic_has_no_flows(tmp_path: Path) -> None:
    arp = b"\xff" * 6 + b"\x04" * 6 + b"\x08\x06" + bytes(28)
    path = write_pcap(tmp_path / "arp.pcap", [(T0, arp), (T0 + 1, arp)])
    source = ADAPTER.open(path, SourceOptions(default_label="normal"))
    with pytest.raises(InputError, match="no flows: none of the 2 packets"):
        list(source.batches)


def test_early_close_stops_the_meter(tmp_path: Path) -> None:
    path = write_pcap(tmp_path / "benign" / "x.pcap", THREE_FLOWS)
    before = {p.pid for p in multiprocessing.active_children()}
    batches = PcapAdapter(batch_size=1).open(path, SourceOptions()).batches
    assert next(batches).table.num_rows == 1
    batches.close()
    for child in multiprocessing.active_children():
        child.join(timeout=5)
    assert {p.pid for p in multiprocessing.active_children()} <= before


# ---------------------------------------------------------------- real captures

def datasets(*parts: str) -> Path:
    path = DATASETS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real-data test: {path} not found (set IOTFORGE_DATASETS)")
    return path


MQTTSET = {"benign": "normal", "bruteforce": "brute_force", "flood": "mqtt_flood",
           "malariados": "mqtt_malaria_dos", "malformed": "malformed", "slowite": "slowite"}


@pytest.mark.parametrize("folder", sorted(MQTTSET))
def test_mqttset_labels_from_folders(folder: str) -> None:
    files = sorted(datasets("mqttset_pcap", folder).glob("*.pcap*"))
    assert files
    for path in files:
        assert detect(path) is ADAPTER  # malformed-*.pcap are pcapng inside
        frame, quar, _, read = curate(path)
        assert read > 0 and quar.empty
        assert set(frame["label"]) == {MQTTSET[folder]}
        assert frame["source_row"].tolist() == list(range(1, read + 1))
        assert (frame["bidirectional_packets"] > 0).all()


def test_mqttset_flows_are_reproducible() -> None:
    path = datasets("mqttset_pcap", "bruteforce", "bruteforce-test.pcapng")
    first, _, _, _ = curate(path)
    again, _, _, _ = curate(path)
    pd.testing.assert_frame_equal(first, again)


@pytest.mark.parametrize("capture", ["CTU-IoT-Malware-Capture-34-1",
                                     "CTU-IoT-Malware-Capture-42-1",
                                     "CTU-Honeypot-Capture-4-1"])
def test_iot23_labels_from_conn_log(capture: str) -> None:
    (path,) = datasets("iot23", capture).glob("*.pcap")
    frame, quar, source, read = curate(path)
    flows = read - quar["rule"].eq("row_shape").sum()
    assert set(quar["rule"]) <= {"missing_label", "row_shape"}
    missing = quar["rule"].eq("missing_label").sum()
    assert len(frame) + missing == flows
    if capture == "CTU-Honeypot-Capture-4-1":  # this pcap is not the capture its conn.log describes
        assert missing > 0.9 * flows
    else:
        assert len(frame) > 0.9 * flows
        assert frame["is_attack"].any()
        assert frame["label_raw"].isin(["Malicious", "Benign", "C&C", "FileDownload",
                                        "C&C-FileDownload", "DDoS",
                                        "PartOfAHorizontalPortScan"]).all()


def test_application_columns_with_dissection() -> None:
    path = datasets("mqttset_pcap", "benign", "benign-test.pcap")
    frame, _, source, _ = curate(path, adapter=PcapAdapter(n_dissections=10))
    assert source.specs["application_name"].role == "categorical"
    assert set(frame["application_name"]) == {"mqtt"}


def test_curate_report_accounting_on_mqttset(tmp_path: Path) -> None:
    from iotforge.curation.curate import curate as run_curate

    path = datasets("mqttset_pcap", "slowite", "slowite-test.pcap")
    run_curate([path], tmp_path / "out")
    written = json.loads((tmp_path / "out" / "report.json").read_text())
    (entry,) = written["files"]
    assert entry["format"] == "pcap" and entry["classes"] == {"slowite": entry["rows_out"]}
    for rows in (entry, written["total"]):
        assert rows["rows_read"] == (rows["rows_out"] + rows["rows_quarantined"]
                                     + rows["rows_duplicate"])
    assert written["total"]["rows_read"] > 0
    curated = pd.read_parquet(tmp_path / "out" / "curated.parquet")
    assert set(curated["label"]) == {"slowite"} and set(curated["source"]) == {"pcap"}
    assert str(curated["bidirectional_first_seen_ms"].dtype) == "datetime64[us, UTC]"
