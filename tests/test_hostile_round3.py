"""Hostile inputs of the third trust round, run through the CLI under both engines.

Each test compares what curate reports with an independent count: Python's ``csv``
module over the file's text, ``json`` over its lines, or a plain loop.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

HEADER = ["Destination Port", "Flow Duration", "Total Fwd Packets", "Total Backward Packets",
          "Flow Bytes/s", "Flow Packets/s", "Protocol", "Label"]
ENGINES = ["local", pytest.param("dask", marks=pytest.mark.slow)]
"""Each case under both engines; a Dask run starts a cluster (seconds): slow tier."""
csv.field_size_limit(1 << 30)


def curate(*args: str, engine: str = "local", timeout: int = 300
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iotforge", "curate", *args,
                           "--engine", engine], capture_output=True, text=True,
                          timeout=timeout)


def report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text())


def csv_duplicates(text: str, delimiter: str = ",") -> int:
    """Identical records beyond the first, by the csv module."""
    records = [tuple(r) for r in csv.reader(io.StringIO(text, newline=""),
                                           delimiter=delimiter) if r][1:]
    return sum(n - 1 for n in Counter(records).values())


def accounted(out: Path) -> dict:
    total = report(out)["total"]
    curated = pq.read_metadata(out / "curated.parquet").num_rows
    quarantined = pq.read_metadata(out / "quarantine.parquet").num_rows
    assert total["rows_out"] == curated and total["rows_quarantined"] == quarantined
    assert total["rows_read"] == curated + quarantined + total["rows_duplicate"]
    return total


def one_line_error(r: subprocess.CompletedProcess[str], word: str) -> str:
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert word.lower() in lines[0].lower(), lines[0]
    return lines[0]


# ---- 1. tracebacks ------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("body", ["wrong_fields", "one_huge_line", "bad_then_good"])
def test_no_valid_row_in_the_first_chunk(tmp_path: Path, engine: str, body: str) -> None:
    head = ",".join(HEADER) + "\n"
    if body == "wrong_fields":
        text = head + "".join(f"{i},1,2\n" for i in range(60))
    elif body == "one_huge_line":
        text = head + "x" * 200_000 + "\n"
    else:
        text = head + "1,2\n" * 5 + "80,1,2,3,4.5,6.5,6,BENIGN\n" * 3
    f = tmp_path / "f.csv"
    f.write_text(text)
    out = tmp_path / "out"
    r = curate(str(f), "--out", str(out), "--format", "cicflowmeter", engine=engine)
    assert r.returncode == 0, r.stderr
    total = accounted(out)
    records = [rec for rec in csv.reader(io.StringIO(text)) if rec][1:]
    assert total["rows_read"] == len(records)
    good = sum(1 for rec in records if len(rec) == len(HEADER))
    assert total["rows_quarantined"] == len(records) - good
    assert total["rows_out"] + total["rows_duplicate"] == good


# ---- 2. duplicates are identical raw records ------------------------------------------


def _spellings() -> str:
    rows = [",".join(HEADER)]
    for v in ["1.5", "1.5", "inf", "-inf", "NaN", "Infinity", "-Infinity", "nan", "", "1.50",
              "inf"]:
        rows.append(f"80,100,3,4,{v},2.0,6,BENIGN")
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("engine", ENGINES)
def test_spellings_of_nonfinite_values_are_distinct_records(tmp_path: Path,
                                                            engine: str) -> None:
    text = _spellings()
    f = tmp_path / "f.csv"
    f.write_text(text)
    r = curate(str(f), "--out", str(tmp_path / "out"), engine=engine)
    assert r.returncode == 0, r.stderr
    total = accounted(tmp_path / "out")
    assert csv_duplicates(text) == 2
    assert total["rows_duplicate"] == csv_duplicates(text)


# ---- nested JSON, JSON arrays, broken JSON lines --------------------------------------


def _leaves(obj: dict, prefix: str = "") -> dict:
    out: dict = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            out.update(_leaves(v, f"{prefix}{k}_"))
        else:
            out[f"{prefix}{k}"] = v
    return out


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("layout", ["lines", "array", "mixed_types"])
def test_nested_json_is_flattened(tmp_path: Path, engine: str, layout: str) -> None:
    records = [{"id": i, "flow": {"bytes": i * 10, "tcp": {"flags": "SA", "win": [1, i]}},
                "tags": ["a", "b"][: i % 3], "label": ["normal", "ddos"][i % 2]}
               for i in range(40)]
    if layout == "mixed_types":
        for rec in records[30:]:
            rec["flow"]["bytes"] = f"{rec['flow']['bytes']}B"
    f = tmp_path / "f.json"
    f.write_text(json.dumps(records) if layout == "array"
                 else "\n".join(json.dumps(r) for r in records) + "\n")
    (tmp_path / "m.yaml").write_text("format: jsonl\nlabel: [label]\nsource: nested\n")
    out = tmp_path / "out"
    r = curate(str(f), "--mapping", str(tmp_path / "m.yaml"), "--out", str(out),
               engine=engine)
    assert r.returncode == 0, r.stderr
    total = accounted(out)
    assert total["rows_read"] == len(records)
    cols = set(pq.read_schema(out / "curated.parquet").names)
    assert set(_leaves(records[0])) - {"label"} <= cols
    frame = pq.read_table(out / "curated.parquet").to_pandas().sort_values("source_row")
    assert [json.loads(v) for v in frame["flow_tcp_win"]] == [r["flow"]["tcp"]["win"]
                                                             for r in records]


def test_nested_json_kept_as_text_by_a_mapping(tmp_path: Path) -> None:
    records = [{"a": i, "n": {"x": i, "y": {"z": "q"}}, "label": "normal"} for i in range(10)]
    f = tmp_path / "f.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    (tmp_path / "m.yaml").write_text("label: [label]\nnested: json\n")
    out = tmp_path / "out"
    r = curate(str(f), "--mapping", str(tmp_path / "m.yaml"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    frame = pq.read_table(out / "curated.parquet").to_pandas().sort_values("source_row")
    assert [json.loads(v) for v in frame["n"]] == [r["n"] for r in records]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_broken_json_line_is_named_by_its_line(tmp_path: Path, engine: str) -> None:
    lines = [json.dumps({"a": i, "label": "normal"}) for i in range(300)]
    lines[150] = lines[150][:10]  # a truncated string on line 151
    f = tmp_path / "f.jsonl"
    f.write_text("\n".join(lines) + "\n")
    (tmp_path / "m.yaml").write_text("label: [label]\n")
    expected = None
    for number, line in enumerate(lines, start=1):
        try:
            json.loads(line)
        except json.JSONDecodeError as exc:
            expected = (number, exc.msg)
            break
    assert expected is not None
    r = curate(str(f), "--mapping", str(tmp_path / "m.yaml"), "--out", str(tmp_path / "o"),
               engine=engine)
    line = one_line_error(r, f"line {expected[0]}")
    assert expected[1].lower() in line.lower()
    assert not (tmp_path / "o" / "curated.parquet").exists()


# ---- 5. SIGTERM -------------------------------------------------------------------------


def _big_csv(path: Path, rows: int) -> None:
    line = "80,100,3,4,{:.3f},2.0,6,BENIGN\n"
    with open(path, "w") as fh:
        fh.write(",".join(HEADER) + "\n")
        for i in range(rows):
            fh.write(line.format(i * 0.001))


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_sigterm_cleans_up_like_ctrl_c(tmp_path: Path, engine: str) -> None:
    import os
    import signal
    import time

    small = tmp_path / "small.csv"
    small.write_text(_spellings())
    out = tmp_path / "out"
    assert curate(str(small), "--out", str(out)).returncode == 0
    before = {p: (out / p).read_bytes() for p in ("curated.parquet", "report.json")}
    big = tmp_path / "big.csv"
    _big_csv(big, 3_000_000)
    proc = subprocess.Popen([sys.executable, "-m", "iotforge", "curate", str(big), "--out",
                             str(out), "--engine", engine], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not [p for p in os.listdir(out) if ".staging" in p]:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert len([ln for ln in err.splitlines() if ln.strip()]) == 1, err
    assert "terminated" in err
    assert not [p for p in os.listdir(out) if p.startswith(".curate.")], os.listdir(out)
    assert {p: (out / p).read_bytes() for p in before} == before


# ---- 6. messages ----------------------------------------------------------------------


def test_a_full_disk_names_the_output_folder(tmp_path: Path, monkeypatch) -> None:
    import pyarrow.parquet as pqw

    from iotforge import cli

    class Full(pqw.ParquetWriter):
        def write_table(self, *a, **k):  # what Arrow raises when the device is full
            raise OSError("Error writing bytes to file. Detail: [errno 28] No space left "
                          "on device")

    monkeypatch.setattr(pqw, "ParquetWriter", Full)
    f = tmp_path / "f.csv"
    f.write_text(_spellings())
    out = tmp_path / "out"
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    code = cli.main(["curate", str(f), "--out", str(out)])
    lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1, err.getvalue()
    assert str(out) in lines[0] and "space" in lines[0] and "errno" not in lines[0]
    assert not out.exists() or not [p for p in out.iterdir() if p.name.startswith(".curate.")]


def test_many_unknown_files_make_one_short_line(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    n = 120
    for i in range(n):
        (folder / f"capture_{i:03d}.csv").write_text(
            "alpha,beta,gamma\n" + "1,2,3\n" * 3)
    r = curate(str(folder), "--out", str(tmp_path / "out"))
    line = one_line_error(r, "can be curated")
    named = sum(1 for i in range(n) if f"capture_{i:03d}.csv" in line)
    assert 1 <= named <= 5
    assert f"{n - named} more" in line
    assert len(line) < 2000


def test_symlink_loops_and_dangling_links_are_listed_as_skipped(tmp_path: Path) -> None:
    import os

    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.csv").write_text(_spellings())
    os.symlink(".", folder / "sub" / "loop")
    os.symlink("self", folder / "self")
    os.symlink("nowhere.csv", folder / "dangling.csv")
    r = curate(str(folder), "--out", str(tmp_path / "out"), "--format", "cicflowmeter")
    assert r.returncode == 0, r.stderr
    skipped = {Path(s["path"]).name: s["reason"] for s in report(tmp_path / "out")["skipped"]}
    links = {p.name for p in folder.rglob("*") if p.is_symlink()}
    assert links == {"loop", "self", "dangling.csv"}
    assert links <= set(skipped)
    assert "loop" in skipped["loop"] and "loop" in skipped["self"]
    assert "broken" in skipped["dangling.csv"]


# ---- 3. values in other notations -----------------------------------------------------


def _curate_label_mapped(tmp_path: Path, f: Path, *args: str, engine: str) -> Path:
    """Curate ``f`` through a mapping that names only the label column; the output folder."""
    (tmp_path / "m.yaml").write_text("label: [label]\n")
    out = tmp_path / "out"
    r = curate(str(f), "--mapping", str(tmp_path / "m.yaml"), *args, "--out", str(out),
               engine=engine)
    assert r.returncode == 0, r.stderr
    return out


def _curated(out: Path):
    return pq.read_table(out / "curated.parquet").to_pandas().sort_values("source_row")


@pytest.mark.parametrize("engine", ENGINES)
def test_decimal_comma_file_is_read_as_numbers(tmp_path: Path, engine: str) -> None:
    lines = ["ts;temperature;humidity;label"]
    for i in range(60):
        lines.append(f"{1556200000 + i};{30 + i / 7:.8f};{40 + i % 9}.{i % 4}5;"
                     f"{['normal', 'ddos'][i % 2]}".replace(".", ","))
    text = "\n".join(lines) + "\n"
    f = tmp_path / "eu.csv"
    f.write_text(text)
    out = _curate_label_mapped(tmp_path, f, engine=engine)
    total = accounted(out)
    records = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    frame = _curated(out)
    want = [float(rec["temperature"].replace(",", ".")) for rec in records]
    assert frame["temperature"].tolist() == pytest.approx(want)
    assert frame["humidity"].tolist() == pytest.approx(
        [float(rec["humidity"].replace(",", ".")) for rec in records])
    commas = sum("," in rec[c] for rec in records for c in ("temperature", "humidity"))
    assert total["rules"]["decimal_comma"] == commas
    assert any("decimal comma" in n for n in report(out)["files"][0]["notes"])


def test_decimal_point_given_keeps_a_semicolon_file_as_text(tmp_path: Path) -> None:
    text = "temperature;label\n" + "".join(f"{i},5;normal\n" for i in range(20))
    f = tmp_path / "eu.csv"
    f.write_text(text)
    (tmp_path / "m.yaml").write_text("label: [label]\ndecimal: '.'\n")
    out = tmp_path / "out"
    r = curate(str(f), "--mapping", str(tmp_path / "m.yaml"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "decimal_comma" not in report(out)["total"]["rules"]
    assert _curated(out)["temperature"].tolist()[:2] == ["0,5", "1,5"]


@pytest.mark.parametrize("engine", ENGINES)
def test_hex_values_among_decimal_ones_are_numbers(tmp_path: Path, engine: str) -> None:
    lines = ["tcp_checksum,length,label"]
    for i in range(1, 61):
        v = i * 977
        lines.append(f"{hex(v) if i % 3 == 0 else v},{i},{['normal', 'ddos'][i % 2]}")
    text = "\n".join(lines) + "\n"
    f = tmp_path / "edge.csv"
    f.write_text(text)
    out = _curate_label_mapped(tmp_path, f, engine=engine)
    total = accounted(out)
    records = list(csv.DictReader(io.StringIO(text)))
    assert _curated(out)["tcp_checksum"].tolist() == [int(rec["tcp_checksum"], 0)
                                                      for rec in records]
    assert total["rules"]["hex_number"] == sum(rec["tcp_checksum"].startswith("0x")
                                               for rec in records)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_label_read_only_after_dropping_characters_is_counted(tmp_path: Path,
                                                               engine: str) -> None:
    import re

    labels = ["ddos\U0001f525", "normal", "DDoS", "scanning!!", "normal\x07", "Port Scan"]
    text = "a,b,label\n" + "".join(f"{i},{i * 2},{labels[i % len(labels)]}\n"
                                   for i in range(60))
    f = tmp_path / "f.csv"
    f.write_text(text)
    out = _curate_label_mapped(tmp_path, f, engine=engine)
    total = accounted(out)
    records = list(csv.DictReader(io.StringIO(text)))
    odd = sum(bool(re.search(r"[^\w\s\-./:()+,&']", rec["label"].strip())) for rec in records)
    assert odd == 30
    assert total["rules"]["label_normalised"] == odd


# ---- 4. two clocks ----------------------------------------------------------------------


def _two_clocks(n: int = 120) -> tuple[str, int, int]:
    """An older TON_IoT-like file: ``ts`` 7 h ahead of date+time, a few rows off
    otherwise; the numbers of each, counted by a plain loop."""
    from datetime import UTC, datetime, timedelta

    rows = ["ts,date,time,fridge_temperature,temp_condition,label,type"]
    offset = disagree = 0
    start = datetime(2019, 4, 25, 19, 19, 40, tzinfo=UTC)
    for i in range(n):
        t = start + timedelta(seconds=11 * i)
        shift = 7 * 3600 if i % 10 else (0 if i % 20 else 42)
        offset += shift % 900 == 0 and shift != 0
        disagree += shift % 900 != 0
        rows.append(f"{int(t.timestamp()) + shift},{t:%d-%b-%y}, {t:%H:%M:%S} ,{9 + i % 7},"
                    f"high,{i % 2},{['normal', 'ddos'][i % 2]}")
    return "\n".join(rows) + "\n", offset, disagree


@pytest.mark.parametrize("engine", ENGINES)
def test_two_clocks_that_disagree_are_counted(tmp_path: Path, engine: str) -> None:
    text, offset, disagree = _two_clocks()
    assert (offset, disagree) == (108, 6)
    f = tmp_path / "Train_Test_IoT_Fridge.csv"
    f.write_text(text)
    out = tmp_path / "out"
    r = curate(str(f), "--out", str(out), engine=engine)
    assert r.returncode == 0, r.stderr
    total = accounted(out)
    assert total["rules"]["clock_offset"] == offset
    assert total["rules"]["clock_disagreement"] == disagree
    frame = _curated(out)
    assert {"ts", "timestamp"} <= set(frame.columns)  # both clocks kept
    notes = report(out)["files"][0]["notes"]
    assert any("'ts' and 'timestamp'" in n and "-25200 s" in n for n in notes), notes


def test_a_mapping_timestamp_kind_is_a_clock_not_a_feature(tmp_path: Path) -> None:
    text = "seen,bytes,label\n" + "".join(f"{1556200000 + i},{i},normal\n" for i in range(20))
    f = tmp_path / "f.csv"
    f.write_text(text)
    (tmp_path / "m.yaml").write_text("label: [label]\nkinds: {seen: timestamp}\n")
    out = tmp_path / "out"
    r = curate(str(f), "--mapping", str(tmp_path / "m.yaml"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    meta = json.loads(pq.read_schema(out / "curated.parquet").metadata[b"iotforge"])
    assert meta["roles"]["seen"] == "time"


@pytest.mark.parametrize("engine", ENGINES)
def test_delimiter_and_decimal_given_on_the_command_line(tmp_path: Path, engine: str) -> None:
    # the flags say what the file is; a decimal mark that is neither '.' nor ',' is a
    # usage error
    rows = [f"{i}|{i},{i % 10}|normal" for i in range(1, 40)]
    text = "reading|level|label\n" + "\n".join(rows) + "\n"
    f = tmp_path / "f.csv"
    f.write_text(text)
    out = _curate_label_mapped(tmp_path, f, "--delimiter", "|", "--decimal", ",", engine=engine)
    records = list(csv.DictReader(io.StringIO(text), delimiter="|"))
    assert _curated(out)["level"].tolist() == pytest.approx(
        [float(rec["level"].replace(",", ".")) for rec in records])
    r = curate(str(f), "--mapping", str(tmp_path / "m.yaml"), "--decimal", ";",
               "--out", str(tmp_path / "o2"), engine=engine)
    assert r.returncode == 2 and "Traceback" not in r.stderr


# ---- rows_duplicate against the csv module on the shared captures ----------------------


def _decoded(data: bytes) -> str:
    """A text file's text as the readers decode it: UTF-16/32 by their BOM, else UTF-8
    with a line that is no UTF-8 read as cp1252."""
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\xff\xfe", "utf-16"),
                       (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "".join(line.decode("utf-8") if _utf8(line) else line.decode("cp1252")
                       for line in data.removeprefix(b"\xef\xbb\xbf").splitlines(True))


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _raw_records(text: str, zeek: bool) -> list[tuple[int, tuple[str, ...]]]:
    """Every record after the header with the line it starts on, by the csv module:
    a Zeek log's ``#`` lines are its header and comments, its fields tab-separated."""
    csv.field_size_limit(sys.maxsize)
    lines = io.StringIO(text, newline="")
    if zeek:
        out = []
        for n, line in enumerate(lines, start=1):
            if line.strip() and not line.startswith("#"):
                rec = next(csv.reader([line.rstrip("\r\n")], delimiter="\t",
                                      quoting=csv.QUOTE_NONE))
                out.append((n, tuple(rec)))
        return out
    reader = csv.reader(lines)
    next(reader, None)
    out, start = [], reader.line_num + 1
    for rec in reader:
        line, start = start, reader.line_num + 1
        if rec:
            out.append((line, tuple(rec)))
    return out


def csv_identical_records(path: Path, out: Path) -> tuple[int, int]:
    """Identical whole raw records beyond the first, by the csv module, among the records
    no batch rule quarantined (a record quarantined as ``repeated_except_id`` was seen
    by the dedupe first); and curate's rows_duplicate for the file."""
    import bz2
    import gzip
    import lzma

    data = path.read_bytes()
    for magic, open_ in ((b"\x1f\x8b", gzip.decompress), (b"BZh", bz2.decompress),
                         (b"\xfd7zXZ", lzma.decompress)):
        if data.startswith(magic):
            data = open_(data)
    text = _decoded(data)
    q = pq.read_table(out / "quarantine.parquet",
                      columns=["source_file", "source_row", "rule"]).to_pylist()
    quarantined = {r["source_row"] for r in q
                   if r["rule"] != "repeated_except_id" and Path(r["source_file"]) == path}
    seen: set[tuple[str, ...]] = set()
    dups = 0
    for line, rec in _raw_records(text, zeek=text.startswith("#separator")):
        if line in quarantined:
            continue
        dups += rec in seen
        seen.add(rec)
    entry = next(f for f in report(out)["files"] if Path(f["path"]) == path)
    return dups, entry["rows_duplicate"]


@pytest.mark.slow
def test_rows_duplicate_matches_the_csv_module_on_every_shared_text_capture(
        datasets: Path, tmp_path: Path) -> None:
    # TON_IoT and CIC-IDS2017 CSV, IoT-23's Zeek logs; pcaps have no raw records
    files = sorted([*(datasets / "ton_iot_telemetry").glob("*.csv"),
                    *(datasets / "cicids2017_improved_sample").glob("*.csv"),
                    *(datasets / "iot23").glob("*/conn.log.labeled")])
    if not files:
        pytest.skip("no shared text captures")
    from iotforge.curation.curate import curate as run

    kinds = Counter(p.suffix for p in files)
    assert kinds[".csv"] and kinds[".labeled"], kinds
    compared = 0
    for i, path in enumerate(files):
        out = tmp_path / f"o{i}"
        run([path], out)
        expected, got = csv_identical_records(path, out)
        assert got == expected, path.name
        compared += expected > 0
    assert compared  # some files do hold identical records


HOSTILE_TEXT = ["utf8_bom", "utf16", "crlf", "cr_only", "latin1", "gzip", "bz2", "xz",
                "quoted_commas_newlines", "nonfinite", "negative_counts", "repeated_header",
                "five_mb_line", "three_thousand_columns", "extension_lies", "truncated_line",
                "bom_in_the_middle", "mixed_line_ends", "one_row_of_200k_fields",
                "thousands_separators"]


@pytest.mark.slow
def test_rows_duplicate_matches_the_csv_module_on_the_hostile_corpus(tmp_path: Path) -> None:
    from test_hostile_corpus import corpus

    cases = corpus(tmp_path)
    for name in HOSTILE_TEXT:
        case = cases[name]
        folder = tmp_path / name
        folder.mkdir()
        inputs = []
        for fname, data in case.files.items():
            (folder / fname).write_bytes(data)
            if not fname.endswith(".yaml"):
                inputs.append(folder / fname)
        out = folder / "out"
        args = [a.replace("{tmp}", str(folder)) for a in case.args]
        r = curate(*map(str, inputs), "--out", str(out), *args)
        assert r.returncode == 0, (name, r.stderr)
        base = sum(csv_identical_records(p, out)[0] for p in inputs)
        assert accounted(out)["rows_duplicate"] == base, name


@pytest.mark.parametrize("engine", ENGINES)
def test_the_user_names_the_true_clock(tmp_path: Path, engine: str) -> None:
    from datetime import UTC, datetime

    text, _, _ = _two_clocks()
    f = tmp_path / "Train_Test_IoT_Fridge.csv"
    f.write_text(text)
    out = tmp_path / "out"
    r = curate(str(f), "--out", str(out), "--clock", "ts", engine=engine)
    assert r.returncode == 0, r.stderr
    total = accounted(out)
    assert "clock_offset" not in total["rules"] and "clock_disagreement" not in total["rules"]
    frame = _curated(out)
    want = [datetime.fromtimestamp(int(rec["ts"]), UTC)
            for rec in csv.DictReader(io.StringIO(text))]
    assert [t.to_pydatetime() for t in frame["timestamp"]] == want
    r = curate(str(f), "--out", str(tmp_path / "o2"), "--clock", "nope", engine=engine)
    assert "nope" in one_line_error(r, "clock")


def test_timezone_suffixes_become_utc(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    zones = ["Z", "+02:00", "-0700", " UTC", "+05:30"]
    stamps = [f"2019-04-25T10:00:{i:02d}{zones[i % len(zones)]}" for i in range(40)]
    text = "ts,bytes,label\n" + "".join(f"{s},{i},normal\n" for i, s in enumerate(stamps))
    f = tmp_path / "f.csv"
    f.write_text(text)
    (tmp_path / "m.yaml").write_text("label: [label]\nkinds: {ts: timestamp}\n")
    out = tmp_path / "out"
    r = curate(str(f), "--mapping", str(tmp_path / "m.yaml"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    want = [datetime.fromisoformat(s.replace(" UTC", "+00:00")).astimezone(UTC)
            for s in stamps]
    assert [t.to_pydatetime() for t in _curated(out)["ts"]] == want
