"""Common checks over every source adapter, like imbalanced-learn's estimator checks.

The adapters are found by discovery (:func:`curation.sources.adapters`), so a new one
is checked without anyone remembering to: it must get a synthetic sample in
:data:`SYNTHETIC` and a line in :data:`REAL` (a real shared capture, or why there is
none), or :func:`test_every_adapter_has_samples` fails.

For every sample, the record count curate reports is compared with an INDEPENDENT
count: Python's ``csv`` module for CSV, the lines that do not start with ``#`` for
Zeek, and for pcap a flow count from dpkt (bidirectional 5-tuple, NFStream's idle
and active timeouts), or NFStream's own DataFrame route where dpkt is missing. The
accounting identity is checked from the row counts of the written Parquet files.
Real captures come from ../shared/datasets (``datasets`` fixture; skipped without
it) and are sampled (a few thousand records) into tmp_path.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from iotforge.curation.curate import curate
from iotforge.curation.schema import ROLES, read_meta
from iotforge.curation.sources import Probe, SourceOptions, adapters, detect
from iotforge.curation.sources.kdd import FEATURES as KDD_FEATURES
from iotforge.curation.sources.unsw_nb15 import PARTITION_COLUMNS, RAW_COLUMNS

ADAPTERS = sorted(adapters())


@dataclass
class Capture:
    """One file of a sample: its independent record count and record start lines."""

    path: Path
    records: int
    starts: list[int] | None = None  # physical start line of each record, where known


@dataclass
class Sample:
    captures: list[Capture]
    options: dict[str, Any] = field(default_factory=dict)  # curate keyword arguments
    detected: bool = True  # the adapter claims its files (the mapping adapter never does)


# ------------------------------------------------------------------ independent counts

def csv_starts(text: str, *, skip: int = 0, delimiter: str = ",",
               comment: str | None = None) -> list[int]:
    """Start line of every record after the first ``skip`` lines, by the csv module."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out, line = [], 1
    for fields in reader:
        if fields and line > skip and not (comment and fields[0].startswith(comment)):
            out.append(line)
        line = reader.line_num + 1
    return out


def zeek_starts(text: str) -> list[int]:
    return [n for n, ln in enumerate(text.splitlines(), 1) if ln.strip() and ln[0] != "#"]


def pcap_flows(path: Path, idle: float = 120, active: float = 1800) -> int:
    """Bidirectional 5-tuple flows counted with dpkt, else with NFStream's DataFrame."""
    try:
        import dpkt
    except ModuleNotFoundError:
        from nfstream import NFStreamer

        return len(NFStreamer(source=str(path), n_meters=1).to_pandas())
    with open(path, "rb") as fh:
        reader = dpkt.pcap.UniversalReader(fh)  # pcap or pcapng
        link, packets = reader.datalink(), list(reader)
    flows: dict[tuple, list[float]] = {}
    count = 0
    for ts, buf in packets:
        try:
            if link == dpkt.pcap.DLT_EN10MB:
                ip = dpkt.ethernet.Ethernet(buf).data
            elif link == dpkt.pcap.DLT_LINUX_SLL:
                ip = dpkt.sll.SLL(buf).data
            else:
                ip = dpkt.ip.IP(buf) if buf[0] >> 4 == 4 else dpkt.ip6.IP6(buf)
        except (dpkt.UnpackError, IndexError):
            continue
        if not isinstance(ip, dpkt.ip.IP | dpkt.ip6.IP6):
            continue
        l4 = ip.data
        ports = (l4.sport, l4.dport) if isinstance(l4, dpkt.tcp.TCP | dpkt.udp.UDP) else (0, 0)
        key = (ip.p if isinstance(ip, dpkt.ip.IP) else ip.nxt,
               *sorted([(bytes(ip.src), ports[0]), (bytes(ip.dst), ports[1])]))
        flow = flows.get(key)
        if flow is None or ts - flow[1] >= idle or ts - flow[0] >= active:
            count += 1
            flows[key] = [ts, ts]
        else:
            flow[1] = ts
    return count


COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}


def csv_capture(path: Path, text: str, *, skip: int = 1, **kw: Any) -> Capture:
    """``text`` written to ``path`` (compressed as its suffix says) and counted."""
    data = text.encode()
    path.write_bytes(COMPRESS.get(path.suffix, bytes)(data))
    starts = csv_starts(text, skip=skip, **kw)
    return Capture(path, len(starts), starts)


def rfc_csv(rows: list[list[str]], newline: str = "\n", delimiter: str = ",") -> str:
    def q(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in f'{delimiter}"\r\n') else v

    return "".join(delimiter.join(map(q, row)) + newline for row in rows)


# ------------------------------------------------------------------ real samples

def head_bytes(src: Path, dst: Path, lines: int) -> str:
    """The first ``lines`` physical lines of ``src`` into ``dst``; their text."""
    data = src.read_bytes()
    cut = 0
    for _ in range(lines):
        nxt = data.find(b"\n", cut)
        if nxt < 0:
            cut = len(data)
            break
        cut = nxt + 1
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(data[:cut])
    return data[:cut].decode("utf-8-sig", "replace")


def real_ton_iot(datasets: Path, tmp: Path) -> Sample:
    caps = []
    for device in ("Fridge", "Thermostat"):
        src = datasets / "ton_iot_telemetry" / f"Train_Test_IoT_{device}.csv"
        dst = tmp / src.name
        caps.append(Capture(dst, 0, csv_starts(head_bytes(src, dst, 2500), skip=1)))
    return Sample([Capture(c.path, len(c.starts or []), c.starts) for c in caps])


def real_zeek(datasets: Path, tmp: Path) -> Sample:
    src = datasets / "iot23" / "CTU-IoT-Malware-Capture-34-1" / "conn.log.labeled"
    dst = tmp / "34-1" / "conn.log.labeled"
    text = head_bytes(src, dst, 2508)
    tail = src.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1]
    assert tail.startswith(b"#close")
    with open(dst, "ab") as fh:  # the log's own closing comment line
        fh.write(tail + b"\n")
    starts = zeek_starts(text)
    return Sample([Capture(dst, len(starts), starts)])


def real_cicflowmeter(datasets: Path, tmp: Path) -> Sample:
    caps = []
    for name, lines in (("DDoS_2500.csv", 1500), ("Heartbleed_11.csv", 100)):
        src = datasets / "cicids2017_improved_sample" / name
        text = head_bytes(src, tmp / name, lines)
        starts = csv_starts(text, skip=1)
        caps.append(Capture(tmp / name, len(starts), starts))
    return Sample(caps)


def real_pcap(datasets: Path, tmp: Path) -> Sample:
    dpkt = pytest.importorskip("dpkt")
    src = datasets / "mqttset_pcap" / "slowite" / "slowite-test.pcap"
    dst = tmp / "slowite" / "slowite-test.pcap"  # the folder names the class
    dst.parent.mkdir()
    with open(src, "rb") as fh, open(dst, "wb") as out:  # pcapng in, pcap out
        reader = dpkt.pcap.UniversalReader(fh)
        writer = dpkt.pcap.Writer(out, linktype=reader.datalink())
        for i, (ts, buf) in enumerate(reader):
            if i == 2000:
                break
            writer.writepkt(buf, ts=ts)
    whole = datasets / "mqttset_pcap" / "bruteforce" / "bruteforce-test.pcapng"
    return Sample([Capture(p, pcap_flows(p), None) for p in (dst, whole)])


REAL: dict[str, Callable[[Path, Path], Sample] | str] = {
    "ton_iot": real_ton_iot,
    "zeek": real_zeek,
    "cicflowmeter": real_cicflowmeter,
    "pcap": real_pcap,
    "kdd": "no KDD Cup 99 / NSL-KDD file in ../shared/datasets",
    "unsw_nb15": "no UNSW-NB15 file in ../shared/datasets",
    "mapping": "a mapping describes a format no adapter knows; the shared ones all have one",
}


# ------------------------------------------------------------------ synthetic samples
# Each has what trips readers: CRLF or CR line ends, quoted values with delimiters and
# line breaks, a blank line, a record of the wrong width, compression.

def syn_ton_iot(tmp: Path) -> Sample:
    rng = random.Random(1)
    rows = [["date", "time", "fridge_temperature", "temp_condition", "label", "type"]]
    for i in range(120):
        attack = i % 4 == 0
        rows.append([f"{1 + i % 28:02d}-Apr-19", f" 19:{i % 60:02d}:{i % 60:02d} ",
                     f"{rng.uniform(1, 14):.2f}", rng.choice(["high", "low"]),
                     "1" if attack else "0", "ddos" if attack else "normal"])
    rows[30][3] = "low, then\r\nhigh"
    text = rfc_csv(rows, "\r\n")
    text = text.replace("\r\n", "\r\n\r\n", 1) + "26-Apr-19, 10:00:00 ,3.5\r\n"
    return Sample([csv_capture(tmp / "Train_Test_IoT_Fridge.csv", text),
                   csv_capture(tmp / "Train_Test_IoT_Fridge_2.csv.gz", text)])


CIC_HEADER = ["Flow ID", "Destination Port", "Flow Duration", "Total Fwd Packets",
              "Total Backward Packets", "Flow Bytes/s", "Flow Packets/s", "Label"]


def syn_cicflowmeter(tmp: Path) -> Sample:
    rng = random.Random(2)
    rows = [CIC_HEADER] + [
        [f"10.0.0.{i % 9}-10.0.1.1-{40000 + i}-80-6", str(rng.randint(1, 65535)),
         str(rng.randint(1, 10**6)), str(rng.randint(1, 40)), str(rng.randint(0, 40)),
         f"{rng.uniform(0, 1e5):.3f}", "Infinity" if i == 7 else f"{rng.uniform(0, 1e3):.3f}",
         ["BENIGN", "DDoS", "PortScan"][i % 3]] for i in range(150)]
    rows[12][0] = "flow,with a comma\nand a line break"
    text = rfc_csv(rows, "\r") + "443,12\r"
    return Sample([csv_capture(tmp / "flows.csv", text),
                   csv_capture(tmp / "flows.csv.gz", text)])


def syn_kdd(tmp: Path) -> Sample:
    rng = random.Random(3)
    lines = []
    for i in range(150):
        fields = [rng.choice(["tcp", "udp", "icmp"]) if n == "protocol_type" else
                  rng.choice(["http", "private"]) if n == "service" else
                  rng.choice(["SF", "S0", "REJ"]) if n == "flag" else
                  f"{rng.random():.2f}" if n.endswith("_rate") else
                  str(rng.randint(0, 1)) if n in ("land", "logged_in", "root_shell",
                                                  "is_host_login", "is_guest_login") else
                  str(rng.randint(0, 900)) for n in KDD_FEATURES]
        lines.append(",".join([*fields, ["normal.", "smurf.", "neptune."][i % 3]]))
    lines.insert(40, "0,tcp,http,SF")
    text = "\n".join(lines) + "\n"
    arff = ["% NSL-KDD style", "@relation 'KDDTrain'"]
    arff += [f"@attribute '{n}' real" for n in KDD_FEATURES]
    arff += ["@attribute 'class' {'normal', 'anomaly'}", "", "@data"]
    head = len(arff)
    arff += [",".join(ln.split(",")[:41] + [["normal", "anomaly"][i % 2]])
             for i, ln in enumerate(lines) if ln.count(",") == 41][:60]
    arff.insert(head + 10, "% a comment among the records")
    arff_text = "\n".join(arff) + "\n"
    return Sample([csv_capture(tmp / "kddcup.data_10_percent.bz2", text, skip=0),
                   csv_capture(tmp / "KDDTrain+.arff", arff_text, skip=head, comment="%"),
                   csv_capture(tmp / "corrected.gz", text, skip=0)])


def syn_unsw_nb15(tmp: Path) -> Sample:
    rng = random.Random(4)
    cats = ["Normal", "Exploits", "DoS", "Reconnaissance"]
    part = [list(PARTITION_COLUMNS)]
    for i in range(120):
        cat = cats[i % 4]
        row = [str(rng.randint(0, 50)) for _ in PARTITION_COLUMNS]
        row[0] = str(i + 1)
        row[2:5] = [rng.choice(["tcp", "udp"]), rng.choice(["-", "http", "dns"]),
                    rng.choice(["FIN", "CON", "INT"])]
        row[-2:] = [cat, "0" if cat == "Normal" else "1"]
        part.append(row)
    raw = []
    for i in range(100):
        cat = cats[i % 4]
        row = [str(rng.randint(0, 50)) for _ in RAW_COLUMNS]
        row[0:4] = [f"59.166.0.{i % 9}", "0x000b" if i == 5 else str(rng.randint(1024, 65535)),
                    "149.171.126.6", str(rng.choice([53, 80, 111]))]
        row[4:6] = [rng.choice(["tcp", "udp"]), rng.choice(["FIN", "CON"])]
        row[13] = rng.choice(["-", "dns"])
        row[-2:] = ["" if cat == "Normal" else cat, "0" if cat == "Normal" else "1"]
        raw.append(row)
    raw.insert(50, raw[49][:20])
    return Sample([csv_capture(tmp / "UNSW_NB15_training-set.csv", rfc_csv(part)),
                   csv_capture(tmp / "UNSW-NB15_1.csv.xz", rfc_csv(raw), skip=0),
                   ])


ZEEK_HEADER = """#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tconn
#open\t2019-03-15-14-50-49
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\
\torig_bytes\tconn_state\thistory\ttunnel_parents   label   detailed-label
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tstring\tstring\
\tset[string]   string   string
"""


def syn_zeek(tmp: Path) -> Sample:
    rng = random.Random(5)
    lines = [
        f"{1545403816 + i}.{rng.randint(0, 999999):06d}\tC{i:08d}\t192.168.1.{i % 7}\t"
        f"{rng.randint(1024, 65535)}\t10.0.0.{i % 3}\t{rng.choice([23, 80, 443])}\ttcp\t"
        f"{rng.choice(['-', 'http'])}\t{rng.choice(['-', '0.25'])}\t{rng.randint(0, 900)}\t"
        f"{rng.choice(['S0', 'SF'])}\tShAD\t(empty)   "
        f"{'Malicious   PartOfAHorizontalPortScan' if i % 5 == 0 else 'Benign   -'}"
        for i in range(140)]
    lines.insert(70, "")
    text = ZEEK_HEADER + "\n".join(lines) + "\n#close\t2019-03-15-14-50-54\n"
    plain, packed = tmp / "a" / "conn.log.labeled", tmp / "b" / "conn.log.labeled.gz"
    for p in (plain, packed):
        p.parent.mkdir()
    plain.write_text(text)
    packed.write_bytes(gzip.compress(text.encode()))
    starts = zeek_starts(text)
    return Sample([Capture(plain, len(starts), starts), Capture(packed, len(starts), starts)])


def syn_pcap(tmp: Path) -> Sample:
    from pcap_writer import packet, write_pcap

    t0 = 1_545_404_000.0
    pkts = []
    for i in range(60):  # 12 client ports, each flow idle for 200 s half-way: 24 flows
        t = t0 + i + (200 if i >= 30 else 0)
        pkts.append((t, packet("10.0.0.1", "10.0.0.2", 40000 + i % 12, 1883, flags=0x18)))
        pkts.append((t + 0.01, packet("10.0.0.2", "10.0.0.1", 1883, 40000 + i % 12)))
    pkts.append((t0 + 300, packet("10.0.0.3", "8.8.8.8", 5353, 53, "udp", payload=b"q" * 9)))
    path = write_pcap(tmp / "normal" / "mqtt.pcap", pkts)
    return Sample([Capture(path, pcap_flows(path), list(range(1, pcap_flows(path) + 1)))])


def syn_mapping(tmp: Path) -> Sample:
    rng = random.Random(6)
    rows = [["SrcAddr", "Pkts In", "Bytes In", "Site", "Verdict"]]
    rows += [[f"10.1.0.{i % 20}", str(rng.randint(1, 90)), str(rng.randint(60, 9000)),
              "lab; \"north\"\nwing" if i == 4 else "lab", ["ok", "bf", "ok", "scan"][i % 4]]
             for i in range(110)]
    text = rfc_csv(rows, "\n", delimiter=";")
    records = [dict(zip(rows[0], r, strict=True)) for r in rows[1:60]]
    jsonl = "".join(json.dumps(r) + "\n" for r in records)
    (tmp / "flows.jsonl.gz").write_bytes(gzip.compress(jsonl.encode()))
    mapping = {"delimiter": ";", "source": "my_sensor", "rename": {"SrcAddr": "src_ip"},
               "roles": {"site": "categorical", "Pkts In": "numeric"},
               "kinds": {"pkts_in": "int"}, "label": ["verdict"],
               "label_map": {"ok": "normal", "bf": "brute_force", "scan": "scanning"}}
    return Sample([csv_capture(tmp / "flows.csv", text, delimiter=";"),
                   Capture(tmp / "flows.jsonl.gz", len(records), list(range(1, 60)))],
                  options={"mapping": mapping}, detected=False)


SYNTHETIC: dict[str, Callable[[Path], Sample]] = {
    "ton_iot": syn_ton_iot, "zeek": syn_zeek, "cicflowmeter": syn_cicflowmeter,
    "kdd": syn_kdd, "unsw_nb15": syn_unsw_nb15, "pcap": syn_pcap, "mapping": syn_mapping,
}


# ------------------------------------------------------------------ the checks

def check_adapter(name: str, sample: Sample, out: Path) -> None:
    adapter = adapters()[name]
    kwargs: dict[str, Any] = {"format": name, **sample.options}
    options = SourceOptions(mapping=sample.options.get("mapping"),
                            default_label=sample.options.get("default_label"))
    for cap in sample.captures:
        if sample.detected:
            assert detect(cap.path).name == name, cap.path
        source = adapter.open(cap.path, options)
        rows, invalid, columns = [], [], set()
        for batch in source.batches:
            rows.append(np.asarray(batch.source_row, dtype=np.int64))
            invalid += [r.line for r in batch.invalid]
            columns |= set(batch.table.column_names)
        found = np.concatenate(rows) if rows else np.array([], dtype=np.int64)
        assert np.all(np.diff(found) > 0), f"{cap.path}: source_row not strictly increasing"
        assert len(found) + len(invalid) == cap.records, cap.path
        if cap.starts is not None:
            assert sorted([*found.tolist(), *invalid]) == cap.starts, cap.path
        known = set(source.specs) | set(source.label_columns) | {source.binary_label}
        assert columns <= known, f"{cap.path}: columns without a spec {columns - known}"
        assert all(spec.role in ROLES for spec in source.specs.values())

    report = curate([c.path for c in sample.captures], out, **kwargs)
    curated = pq.read_table(out / "curated.parquet")
    quarantine = pq.read_table(out / "quarantine.parquet", columns=["source_file"])
    cur_files = curated.column("source_file").to_pylist()
    q_files = quarantine.column("source_file").to_pylist()
    for cap, entry in zip(sample.captures, report["files"], strict=True):
        n_out, n_q = cur_files.count(str(cap.path)), q_files.count(str(cap.path))
        assert entry["rows_read"] == cap.records, cap.path
        assert entry["rows_read"] == n_out + n_q + entry["rows_duplicate"], cap.path
        assert (entry["rows_out"], entry["rows_quarantined"]) == (n_out, n_q)
        written = [r for f, r in zip(cur_files, curated.column("source_row").to_pylist(),
                                     strict=True) if f == str(cap.path)]
        assert all(a < b for a, b in zip(written, written[1:], strict=False)), cap.path
    assert curated.num_rows + quarantine.num_rows + report["total"]["rows_duplicate"] == sum(
        c.records for c in sample.captures)
    roles = read_meta(out / "curated.parquet").roles
    assert set(curated.column_names) <= set(roles), set(curated.column_names) - set(roles)
    assert set(roles.values()) <= set(ROLES)


@pytest.mark.parametrize("name", ADAPTERS)
def test_every_adapter_has_samples(name: str) -> None:
    assert name in SYNTHETIC, (f"adapter {name!r} has no synthetic sample: add one to "
                               "SYNTHETIC in tests/test_adapter_common.py")
    assert name in REAL, (f"adapter {name!r}: add its real shared capture to REAL in "
                          "tests/test_adapter_common.py, or say why there is none")


@pytest.mark.parametrize("name", ADAPTERS)
def test_empty_and_binary_files_are_not_claimed(name: str, tmp_path: Path) -> None:
    adapter = adapters()[name]
    rng = np.random.default_rng(7)
    files = {"empty.csv": b"", "random.bin": b"\x00" + rng.bytes(4096),
             "image.png": b"\x89PNG\r\n\x1a\n" + rng.bytes(512),
             "packed.bin.gz": gzip.compress(b"\x00\x01\x02" + rng.bytes(2048)),
             "blank.csv": b"\n\n\r\n"}
    for fname, data in files.items():
        (tmp_path / fname).write_bytes(data)
        assert adapter.sniff(Probe.of(tmp_path / fname)) <= 0, fname


@pytest.mark.parametrize("name", ADAPTERS)
def test_synthetic_sample(name: str, tmp_path: Path) -> None:
    if name not in SYNTHETIC:
        pytest.fail(f"adapter {name!r} has no synthetic sample")
    sample = SYNTHETIC[name](tmp_path)
    check_adapter(name, sample, tmp_path / "out")


@pytest.mark.parametrize("name", ADAPTERS)
def test_real_sample(name: str, datasets: Path, tmp_path: Path) -> None:
    real = REAL.get(name)
    if real is None:
        pytest.fail(f"adapter {name!r} is not listed in REAL")
    if isinstance(real, str):
        pytest.skip(real)
    sample = real(datasets, tmp_path)
    assert all(c.records > 0 for c in sample.captures)
    check_adapter(name, sample, tmp_path / "out")
