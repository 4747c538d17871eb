"""Issue 8 ("Trust"), reader part: quoted newlines, compressed and binary input,
mapping columns that do not exist, address roles inferred from values.

Every count and line number is compared with an independent reading: Python's
``csv`` module (universal newlines, ``newline=""``) over the same text, never
iotforge's own reader. Exit codes go through the command line, as a user runs it.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import random
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iotforge.curation.curate import curate
from iotforge.curation.roles import infer_spec, spec_from_values
from iotforge.curation.sources import _text
from iotforge.curation.sources.kdd import FEATURES

HEADER = ["Destination Port", "Flow Duration", "Total Fwd Packets", "Total Backward Packets",
          "Flow Bytes/s", "Flow Packets/s", "Protocol", "Label"]


# ------------------------------------------------------------------ independent readers

def csv_records(text: str, delimiter: str = ",") -> list[tuple[int, list[str]]]:
    """(start line, fields) of every record, by the csv module (blank lines skipped)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out, line = [], 1
    for fields in reader:
        if fields:
            out.append((line, fields))
        line = reader.line_num + 1
    return out


def cic_rows(n: int, seed: int = 0) -> list[list[str]]:
    rng = random.Random(seed)
    labels = ["BENIGN", "PortScan", "DDoS"]
    return [[str(rng.randint(1, 65535)), str(rng.randint(1, 10**7)), str(rng.randint(1, 50)),
             str(rng.randint(0, 50)), f"{rng.uniform(0, 1e5):.4f}", f"{rng.uniform(0, 1e4):.4f}",
             "6", labels[i % 3]] for i in range(n)]


def to_csv(rows: list[list[str]], newline: str = "\n", header: list[str] = HEADER) -> str:
    """RFC 4180 text; a field holding a delimiter, quote, CR or LF is quoted (the csv
    module's writer leaves a lone CR unquoted)."""
    def field(value: str) -> str:
        if any(c in value for c in ',"\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(",".join(map(field, row)) + newline for row in [header, *rows])


def kdd_text(n: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        fields = []
        for name in FEATURES:
            if name == "protocol_type":
                fields.append(rng.choice(["tcp", "udp", "icmp"]))
            elif name == "service":
                fields.append(rng.choice(["http", "private", "ecr_i"]))
            elif name == "flag":
                fields.append(rng.choice(["SF", "S0", "REJ"]))
            elif name.endswith("_rate"):
                fields.append(f"{rng.random():.2f}")
            elif name in ("land", "logged_in", "root_shell", "is_host_login", "is_guest_login"):
                fields.append(str(rng.randint(0, 1)))
            else:
                fields.append(str(rng.randint(0, 5000)))
        lines.append(",".join(fields) + ("," + ["normal.", "smurf.", "neptune."][i % 3]))
    return "\n".join(lines) + "\n"


def outputs(out: Path) -> tuple[dict, list[dict], list[dict]]:
    report = json.loads((out / "report.json").read_text())
    curated = pq.read_table(out / "curated.parquet").to_pylist()
    quarantine = pq.read_table(out / "quarantine.parquet").to_pylist()
    return report, curated, quarantine


def assert_one_line_error(res, code: int = 2, *words: str) -> str:  # type: ignore[no-untyped-def]
    assert res.returncode == code, res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    for word in words:
        assert word.lower() in lines[0].lower(), lines[0]
    return lines[0]


# ------------------------------------------------------------------ 2: quoted newlines

@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_quoted_line_breaks_make_one_record_with_its_start_line(tmp_path: Path,
                                                               ending: str) -> None:
    rows = cic_rows(200)
    rows[7][6] = "first line\nsecond line"
    rows[40][6] = "crlf\r\ninside"
    rows[90][6] = "cr only\rline"
    rows[120][6] = "two\n\nbreaks, and a comma"
    text = to_csv(rows, ending)
    path = tmp_path / "flows.csv"
    path.write_bytes(text.encode())
    expected = csv_records(text)[1:]  # after the header
    assert len(expected) == 200

    report = curate([path], tmp_path / "out")
    _, curated, quarantine = outputs(tmp_path / "out")
    assert report["total"]["rows_read"] == 200
    assert report["total"]["rows_read"] == (len(curated) + len(quarantine)
                                            + report["total"]["rows_duplicate"])
    starts = {line: fields for line, fields in expected}
    seen = {r["source_row"]: r for r in curated}
    seen_q = {r["source_row"] for r in quarantine}
    assert set(seen) | seen_q == set(starts)
    # the multi-line values are read whole, byte for byte, on the line they start
    for i in (7, 40, 90, 120):
        line, fields = expected[i]
        assert line in seen, (line, quarantine)
        assert seen[line]["protocol"] == fields[6]
    assert not any(str(r["protocol"]).startswith(("second", "inside", "line", "breaks"))
                   for r in curated)


def test_unterminated_quote_costs_one_line_not_the_rest_of_the_file(tmp_path: Path) -> None:
    rows = cic_rows(50)
    text = to_csv(rows)
    lines = text.splitlines(keepends=True)
    lines[11] = lines[11].replace(",6,", ',"6,', 1)  # a quote opened and never closed
    text = "".join(lines)
    path = tmp_path / "flows.csv"
    path.write_text(text)
    report = curate([path], tmp_path / "out")
    _, curated, quarantine = outputs(tmp_path / "out")
    assert report["total"]["rows_read"] == 50  # one record per physical line here
    assert [r["source_row"] for r in quarantine] == [12]
    assert "quote" in quarantine[0]["reason"]
    assert sorted(r["source_row"] for r in curated) == [n for n in range(2, 52) if n != 12]


def test_a_quote_closed_far_away_is_one_record_that_says_its_span(tmp_path: Path) -> None:
    """A stray opening quote "closed" by another many lines later makes one record of
    the wrong width, as the csv module reads it: quarantined whole, its span named."""
    rows = cic_rows(80)
    text = to_csv(rows)
    lines = text.splitlines(keepends=True)
    lines[5] = lines[5].replace(",6,", ',"6,', 1)
    lines[70] = lines[70].replace(",6,", ',6",', 1)
    text = "".join(lines)
    path = tmp_path / "flows.csv"
    path.write_text(text)
    expected = csv_records(text)[1:]
    report = curate([path], tmp_path / "out")
    _, curated, quarantine = outputs(tmp_path / "out")
    assert report["total"]["rows_read"] == len(expected) == 80 - 65
    assert [r["source_row"] for r in quarantine] == [6]
    assert "lines 6-71" in quarantine[0]["reason"]
    assert sorted(r["source_row"] for r in curated) == [ln for ln, _ in expected if ln != 6]


def test_a_quote_open_past_the_line_limit_costs_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_QUOTED_LINES the opening quote is taken for a stray character, also when
    the open record crosses chunk boundaries."""
    from iotforge.curation.sources import _records

    monkeypatch.setattr(_records, "MAX_QUOTED_LINES", 20)
    monkeypatch.setattr(_text, "CHUNK_BYTES", 300)
    rows = cic_rows(80)
    lines = to_csv(rows).splitlines(keepends=True)
    lines[5] = lines[5].replace(",6,", ',"6,', 1)
    lines[70] = lines[70].replace(",6,", ',6",', 1)  # 65 lines later: past the limit
    path = tmp_path / "flows.csv"
    path.write_text("".join(lines))
    got, bad = [], []
    for part in _text.iter_text_chunks(path, column_names=[f"c{i}" for i in range(8)],
                                       delimiter=",", skip_lines=1):
        got += part.lines.tolist()
        bad += [(r.line, r.reason) for r in part.invalid]
    assert [line for line, _ in bad] == [6] and "within 20 lines" in bad[0][1]
    assert got == [n for n in range(2, 82) if n != 6]


record_text = st.text(alphabet=st.sampled_from(list('ab ,"\n\r\t')), max_size=12)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(st.tuples(record_text, record_text, st.booleans()), min_size=1,
                        max_size=25),
       ending=st.sampled_from(["\n", "\r\n", "\r"]),
       chunk=st.integers(min_value=8, max_value=96))
def test_chunked_reader_matches_the_csv_module(tmp_path_factory: pytest.TempPathFactory,
                                               records: list[tuple[str, str, bool]],
                                               ending: str, chunk: int) -> None:
    """Any chunk size (so any cut inside a quoted value), with or without short records
    (the slow path), gives the csv module's records and start lines."""
    rows = [[f"r{i}", a, b] if full else [f"r{i}", a] for i, (a, b, full) in enumerate(records)]
    text = to_csv(rows, ending, header=["id", "a", "b"])
    path = tmp_path_factory.mktemp("chunks") / "f.csv"
    path.write_bytes(text.encode())
    expected = csv_records(text)[1:]
    old = _text.CHUNK_BYTES
    _text.CHUNK_BYTES = chunk
    try:
        got: list[tuple[int, list[str]]] = []
        bad: list[int] = []
        for part in _text.iter_text_chunks(path, column_names=["id", "a", "b"],
                                           delimiter=",", skip_lines=1):
            got += zip(part.lines.tolist(), part.table.to_pylist(), strict=True)
            bad += [r.line for r in part.invalid]
    finally:
        _text.CHUNK_BYTES = old
    assert [(n, [r["id"], r["a"], r["b"]]) for n, r in got] == [
        (n, f) for n, f in expected if len(f) == 3]
    assert bad == [n for n, f in expected if len(f) != 3]


def test_slow_path_line_numbers_with_quoted_breaks_and_bad_lines(tmp_path: Path) -> None:
    rows = cic_rows(30)
    rows[3][6] = "multi\nline\nvalue"
    text = to_csv(rows)
    lines = text.splitlines(keepends=True)
    lines.insert(10, "443,12,3\n")  # too few fields: the chunk takes the slow path
    lines.insert(20, "\n")  # a blank line is no record
    text = "".join(lines)
    path = tmp_path / "flows.csv"
    path.write_text(text)
    expected = csv_records(text)[1:]
    report = curate([path], tmp_path / "out")
    _, curated, quarantine = outputs(tmp_path / "out")
    assert report["total"]["rows_read"] == len(expected) == 31
    assert [r["source_row"] for r in quarantine] == [
        ln for ln, f in expected if len(f) != 8] == [11]
    assert sorted(r["source_row"] for r in curated) == sorted(
        ln for ln, f in expected if len(f) == 8)


# ------------------------------------------------------------------ 3a: compressed input

def _zstd(data: bytes) -> bytes:
    zstandard = pytest.importorskip("zstandard")
    return zstandard.ZstdCompressor().compress(data)


COMPRESSORS = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress, "zst": _zstd}


@pytest.mark.parametrize("suffix", list(COMPRESSORS))
def test_compressed_kdd_is_read_with_decompressed_line_numbers(tmp_path: Path,
                                                               suffix: str) -> None:
    text = kdd_text(60)
    lines = text.splitlines(keepends=True)
    lines[24] = "0,tcp,http,SF,1\n"  # a short record: quarantined at its own line
    text = "".join(lines)
    path = tmp_path / f"kddcup.data.{suffix}"
    path.write_bytes(COMPRESSORS[suffix](text.encode()))
    expected = csv_records(text)
    report = curate([path], tmp_path / "out")  # format detected on the decompressed text
    _, curated, quarantine = outputs(tmp_path / "out")
    assert report["files"][0]["format"] == "kdd"
    assert report["total"]["rows_read"] == len(expected) == 60
    assert [r["source_row"] for r in quarantine] == [25]
    assert sorted(r["source_row"] for r in curated) == [n for n in range(1, 61) if n != 25]


@pytest.mark.parametrize("args", [["--format", "kdd"], []], ids=["format", "detected"])
def test_gzipped_kdd_through_the_cli(cli, tmp_path: Path, args: list[str]) -> None:
    path = tmp_path / "kddcup.data_10_percent.gz"
    path.write_bytes(gzip.compress(kdd_text(40).encode()))
    res = cli("curate", str(path), *args, "--out", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "out" / "report.json").read_text())["total"]["rows_read"] == 40


def test_gzipped_csv_with_format_and_with_mapping(cli, tmp_path: Path) -> None:
    text = to_csv(cic_rows(30))
    path = tmp_path / "flows.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    res = cli("curate", str(path), "--format", "cicflowmeter", "--out", str(tmp_path / "a"))
    assert res.returncode == 0, res.stderr
    mapping = tmp_path / "m.yaml"
    mapping.write_text("label: [label]\nroles: {protocol: categorical}\n")
    res = cli("curate", str(path), "--mapping", str(mapping), "--out", str(tmp_path / "b"))
    assert res.returncode == 0, res.stderr
    for out in ("a", "b"):
        report = json.loads((tmp_path / out / "report.json").read_text())
        assert report["total"]["rows_read"] == 30


@pytest.mark.parametrize("fmt", ["kdd", "cicflowmeter", "ton_iot", "unsw_nb15", "zeek",
                                 "mapping"])
def test_binary_input_with_a_format_is_one_clear_line(cli, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"date,time\x00\x01\x02" * 40)
    args = ["--format", fmt]
    if fmt == "mapping":
        (tmp_path / "m.yaml").write_text("label: [label]\n")
        args += ["--mapping", str(tmp_path / "m.yaml")]
    res = cli("curate", str(path), *args, "--out", str(tmp_path / "out"))
    line = assert_one_line_error(res, 2, fmt, "binary", str(path))
    assert "give --format" not in line


def test_zip_archive_is_one_clear_line(cli, tmp_path: Path) -> None:
    path = tmp_path / "flows.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("flows.csv", to_csv(cic_rows(5)))
    path.write_bytes(buf.getvalue())
    for args in ([], ["--format", "cicflowmeter"]):
        res = cli("curate", str(path), *args, "--out", str(tmp_path / "out"))
        assert_one_line_error(res, 2, "zip", "unzip")


def test_gzipped_pcap_and_damaged_gzip_are_one_clear_line(cli, tmp_path: Path) -> None:
    pcap = tmp_path / "capture.pcap.gz"
    header = bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000")
    pcap.write_bytes(gzip.compress(header + bytes(16)))
    res = cli("curate", str(pcap), "--out", str(tmp_path / "out"))
    assert_one_line_error(res, 2, "decompress", "pcap")
    cut = tmp_path / "flows.csv.gz"
    cut.write_bytes(gzip.compress(to_csv(cic_rows(3000)).encode())[:4000])
    res = cli("curate", str(cut), "--out", str(tmp_path / "out2"))
    assert_one_line_error(res, 2, "gzip", str(cut))


# ------------------------------------------------------------------ 9b: mapping columns

@pytest.mark.parametrize("key", ["roles", "kinds"])
def test_mapping_naming_a_missing_column_is_a_mapping_error(cli, tmp_path: Path,
                                                            key: str) -> None:
    path = tmp_path / "flows.csv"
    path.write_text(to_csv(cic_rows(10)))
    mapping = tmp_path / "tool.yaml"
    good, bad = ("protocol: categorical", "no_such_column: numeric") if key == "roles" \
        else ("protocol: string", "no_such_column: int")
    mapping.write_text(f"label: [label]\n{key}: {{{good}, {bad}}}\n")
    res = cli("curate", str(path), "--mapping", str(mapping), "--out", str(tmp_path / "out"))
    line = assert_one_line_error(res, 2, "no_such_column", str(mapping), key)
    assert "flow_duration" in line  # says which columns the file does have


def test_mapping_roles_may_use_the_header_spelling(tmp_path: Path) -> None:
    path = tmp_path / "flows.csv"
    path.write_text(to_csv(cic_rows(10)))
    report = curate([path], tmp_path / "out", format="mapping",
                    mapping={"label": ["Label"], "roles": {"Destination Port": "endpoint"}})
    assert report["roles"]["destination_port"] == "endpoint"


# ------------------------------------------------------------------ 9c: address roles

def test_counts_named_like_addresses_stay_numeric(tmp_path: Path) -> None:
    header = ["ip_src_host", "ip_dst_host", "l3_ip_dst_count", "arp_dst_proto_ipv4",
              "tcp_srcport", "mqtt_len", "Attack_type"]
    rng = random.Random(3)
    rows = [[f"192.168.0.{rng.randint(1, 200)}", f"10.0.0.{rng.randint(1, 200)}",
             str(rng.randint(0, 900)), rng.choice(["0", f"192.168.0.{rng.randint(1, 9)}"]),
             str(rng.randint(1024, 65535)), str(rng.randint(0, 90)),
             rng.choice(["Normal", "DDoS_UDP"])] for _ in range(40)]
    path = tmp_path / "edge.csv"
    path.write_text(to_csv(rows, header=header))
    report = curate([path], tmp_path / "out", format="mapping",
                    mapping={"label": ["Attack_type"], "source": "edge_iiot"})
    roles = report["roles"]
    assert roles["l3_ip_dst_count"] == "numeric"
    assert roles["ip_src_host"] == roles["ip_dst_host"] == "endpoint"
    assert roles["arp_dst_proto_ipv4"] == "endpoint"  # by its values: addresses
    assert roles["mqtt_len"] == "numeric"


def test_address_roles_from_names_and_values() -> None:
    counts = [str(v) for v in range(40)]
    assert infer_spec("l3_ip_dst_count").role == "numeric"
    assert infer_spec("orig_ip_bytes").role == "numeric"
    assert spec_from_values("l3_ip_dst_count", counts).role == "numeric"
    for name in ("src_ip", "dst_ip", "id_orig_h", "ip_src_host", "srcip", "dst_mac", "ip"):
        assert infer_spec(name).role == "endpoint", name
    ips = ["10.0.0.1", "fe80::1", "192.168.1.20", "-"]
    assert spec_from_values("target", ips).role == "endpoint"
    assert spec_from_values("http_host", ["example.com", "iot.local"]).role == "endpoint"
    assert spec_from_values("dns_query", ["example.com", "iot.local"]).role == "categorical"
    macs = ["00:1a:2b:3c:4d:5e", "AA-BB-CC-DD-EE-FF"]
    assert spec_from_values("hw", macs).role == "endpoint"
