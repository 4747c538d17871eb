"""A hostile-input corpus, generated here (no committed binaries), run through the CLI.

Each case is a capture a user or a broken tool could hand to ``iotforge curate``.
For every case the test checks, as a user would: the exit code the docs give, one
error line and no traceback on failure, no partial or stale output, and, where the
run succeeds, that ``rows_read`` equals an independent count of the records (Python's
``csv`` module over the decoded text, never curate's own reader) and that the written
Parquet files hold exactly the rows the report says.

The cases that need processes of their own (a chmod-000 file and directory, a
directory with several bad files, two concurrent runs, a run killed with SIGKILL)
live in tests/test_curate_outputs.py.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from cic_fixtures import HEADER, LABELS, cic_rows, to_csv
from pcap_writer import packet, write_pcap

OUTPUTS = {"curated.parquet", "quarantine.parquet", "report.json"}


def count_records(text: str) -> int:
    """Records after the header, by Python's csv module (blank lines are no record)."""
    return sum(1 for rec in csv.reader(io.StringIO(text, newline="")) if rec) - 1


@dataclass
class Case:
    """Files to write, arguments after them, and what the docs promise."""

    files: dict[str, bytes]
    exit: int
    records: int | None = None  # independent count; None when the run fails
    args: list[str] = field(default_factory=list)
    message: str = ""  # a word the one-line error must contain
    check: Callable[[Path], None] | None = None


def _base(newline: str = "\n") -> str:
    return to_csv(cic_rows(), newline=newline)


def _nonfinite() -> str:
    rows = cic_rows()
    for i, v in enumerate(["Infinity", "-inf", "NaN", "1e400", "-Infinity", "inf"]):
        rows[10 + i][4] = v
    return to_csv(rows)


def _negative() -> str:
    rows = cic_rows()
    for i in range(5):
        rows[20 + i][2] = str(-5 - i)
    return to_csv(rows)


def _repeated_header() -> str:
    rows = cic_rows()
    return to_csv(rows[:100] + [HEADER] + rows[100:])


def _quoted() -> str:
    rows = cic_rows()
    rows[5][7] = "BENIGN, really"
    rows[7][7] = "first line\nsecond line"
    rows[9][7] = "cr only\rline"
    return to_csv(rows)


def _long_line() -> str:
    rows = cic_rows()
    rows[50][7] = "x" * (5 << 20)
    return to_csv(rows)


def _wide() -> tuple[str, bytes]:
    header = ["label"] + [f"c{i}" for i in range(2999)]
    rng = np.random.default_rng(1)
    body = [[LABELS[i % 3].lower()] + [str(v) for v in rng.integers(0, 9, 2999)]
            for i in range(30)]
    mapping = b"format: csv\nlabel: [label]\nsource: wide\n"
    return to_csv(body, header=header), mapping


def _bom_in_the_middle() -> str:
    lines = _base().splitlines(keepends=True)
    return "".join(lines[:100]) + "\ufeff" + "".join(lines[100:])


def _mixed_line_ends() -> str:
    lines = _base().splitlines()
    return "".join(ln + ("\n", "\r\n", "\r")[i % 3] for i, ln in enumerate(lines))


def _one_very_wide_row() -> str:
    lines = _base().splitlines(keepends=True)
    return "".join(lines[:20]) + ",".join(["1"] * 200_000) + "\n" + "".join(lines[20:])


def _thousands() -> str:
    rows = cic_rows()
    for i in range(0, 200, 7):
        rows[i][1] = f"{int(rows[i][1]):,}"
    return to_csv(rows)


def _nested_json(array: bool) -> bytes:
    deep: dict = {"leaf": 1}
    for _ in range(60):
        deep = {"n": deep}
    records = [{"port": i, "flow": {"bytes": i * 3, "flags": ["S", "A"][: i % 3]},
                "deep": deep, "label": ["normal", "ddos"][i % 2]} for i in range(50)]
    text = json.dumps(records) if array else "\n".join(json.dumps(r) for r in records)
    return text.encode()


def _grouped_thousands_read(out: Path) -> None:
    frame = pq.read_table(out / "curated.parquet").to_pandas()
    assert frame["flow_duration"].notna().all()
    report = json.loads((out / "report.json").read_text())
    assert report["total"]["rules"]["thousands_separator"] == len(range(0, 200, 7))


def _pcap(tmp: Path, truncate: int | None) -> bytes:
    pkts = [(1.0 + i, packet("10.0.0.1", "10.0.0.2", 40000 + i % 3, 23)) for i in range(12)]
    path = tmp / "x.pcap"
    write_pcap(path, pkts)
    data = path.read_bytes()
    return data if truncate is None else data[:-truncate]


def _no_inf(out: Path) -> None:
    frame = pq.read_table(out / "curated.parquet").to_pandas()
    values = frame["flow_bytes_s"].to_numpy(dtype=float)
    assert not np.isinf(values).any()


def _no_negative(out: Path) -> None:
    frame = pq.read_table(out / "curated.parquet").to_pandas()
    col = frame["total_fwd_packet"].astype("Float64")
    assert (col.dropna() >= 0).all()
    assert json.loads((out / "report.json").read_text())["total"]["rules"]["range"] >= 5


def _no_header_values(out: Path) -> None:
    frame = pq.read_table(out / "curated.parquet").to_pandas()
    assert not frame["label_raw"].astype(str).str.contains("Label").any()


def _quoted_kept_whole(out: Path) -> None:
    frame = pq.read_table(out / "curated.parquet").to_pandas()
    quarantine = pq.read_table(out / "quarantine.parquet").to_pandas()
    raw = set(frame["label_raw"].astype(str)) | {
        json.loads(r).get("label", "") for r in quarantine["record"]}
    assert not any(v.startswith("second line") or v.startswith("line") for v in raw)


def corpus(tmp: Path) -> dict[str, Case]:
    base = _base()
    n = count_records(base)
    wide, mapping = _wide()
    gz = gzip.compress(base.encode())
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("flows.csv", base)
    latin = _base().replace("BENIGN", "BENIGN\xe9", 3)
    return {
        "utf8_bom": Case({"f.csv": b"\xef\xbb\xbf" + base.encode()}, 0, n),
        "utf16": Case({"f.csv": base.encode("utf-16")}, 0, n),
        "crlf": Case({"f.csv": _base("\r\n").encode()}, 0, n),
        "cr_only": Case({"f.csv": _base("\r").encode()}, 0, n),
        "latin1": Case({"f.csv": latin.encode("latin-1")}, 0, count_records(latin)),
        "gzip": Case({"f.csv.gz": gz}, 0, n),
        "gzip_with_format": Case({"f.csv.gz": gz}, 0, n, ["--format", "cicflowmeter"]),
        "bz2": Case({"f.csv.bz2": bz2.compress(base.encode())}, 0, n),
        "xz": Case({"f.csv.xz": lzma.compress(base.encode())}, 0, n),
        "zip": Case({"f.zip": zbuf.getvalue()}, 2, message="zip"),
        "quoted_commas_newlines": Case({"f.csv": _quoted().encode()}, 0,
                                       count_records(_quoted()), check=_quoted_kept_whole),
        "nonfinite": Case({"f.csv": _nonfinite().encode()}, 0, n, check=_no_inf),
        "negative_counts": Case({"f.csv": _negative().encode()}, 0, n, check=_no_negative),
        "repeated_header": Case({"f.csv": _repeated_header().encode()}, 0, n + 1,
                                check=_no_header_values),
        "five_mb_line": Case({"f.csv": _long_line().encode()}, 0, n),
        "three_thousand_columns": Case({"wide.csv": wide.encode(), "m.yaml": mapping}, 0,
                                       count_records(wide), ["--mapping", "{tmp}/m.yaml"]),
        "extension_lies": Case({"flows.pcap": base.encode()}, 0, n),
        "zero_bytes": Case({"empty.csv": b""}, 2, message="empty"),
        "zero_byte_pcap": Case({"empty.pcap": b""}, 2, message="empty"),
        "truncated_pcap": Case({"t.pcap": _pcap(tmp, truncate=7)}, 0, None),
        "binary_with_format": Case({"f.csv": b"\x00\x01\x02garbage\x00" * 50}, 2,
                                   args=["--format", "cicflowmeter"], message="cicflowmeter"),
        "truncated_line": Case({"f.csv": (base + "443,12,3\n").encode()}, 0, n + 1),
        "bom_in_the_middle": Case({"f.csv": _bom_in_the_middle().encode()}, 0,
                                  count_records(_bom_in_the_middle())),
        "mixed_line_ends": Case({"f.csv": _mixed_line_ends().encode()}, 0,
                                count_records(_mixed_line_ends())),
        "one_row_of_200k_fields": Case({"f.csv": _one_very_wide_row().encode()}, 0, n + 1),
        "nul_byte": Case({"f.csv": base.encode()[:900] + b"\x00" + base.encode()[900:]}, 2,
                         message="NUL"),
        "thousands_separators": Case({"f.csv": _thousands().encode()}, 0, n,
                                     check=_grouped_thousands_read),
        "nested_json_lines": Case({"f.jsonl": _nested_json(False), "m.yaml": b"label: [label]\n"},
                                  0, 50, ["--mapping", "{tmp}/m.yaml"]),
        "json_array": Case({"f.json": _nested_json(True), "m.yaml": b"label: [label]\n"},
                           0, 50, ["--mapping", "{tmp}/m.yaml"]),
        "scalar_json_lines": Case({"f.jsonl": b"1\n2\n", "m.yaml": b"label: [label]\n"},
                                  2, args=["--mapping", "{tmp}/m.yaml"], message="line 1"),
    }


CASES = [
    "utf8_bom", "utf16", "crlf", "cr_only", "latin1", "gzip", "gzip_with_format", "bz2", "xz",
    "zip", "quoted_commas_newlines", "nonfinite", "negative_counts", "repeated_header",
    "five_mb_line", "three_thousand_columns", "extension_lies", "zero_bytes",
    "zero_byte_pcap", "truncated_pcap", "binary_with_format", "truncated_line",
    "bom_in_the_middle", "mixed_line_ends", "one_row_of_200k_fields", "nul_byte",
    "thousands_separators", "nested_json_lines", "json_array", "scalar_json_lines"]


def run_curate(*args: str, preexec: Callable[[], None] | None = None,
               ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iotforge", "curate", *args],
                          capture_output=True, text=True, timeout=300, preexec_fn=preexec)


def assert_clean_failure(r: subprocess.CompletedProcess[str], out: Path, code: int,
                         word: str = "") -> None:
    assert r.returncode == code, r.stderr
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert word.lower() in lines[0].lower()
    # no partial output, no staging left behind
    assert not out.exists() or not (set(os.listdir(out)) & OUTPUTS)
    assert not out.exists() or not [p for p in os.listdir(out) if p.startswith(".curate.")]


def assert_accounted(out: Path, records: int | None) -> dict:
    assert {p for p in os.listdir(out) if not p.startswith(".")} == OUTPUTS
    assert not [p for p in os.listdir(out) if p.startswith(".curate.")]
    report = json.loads((out / "report.json").read_text())
    total = report["total"]
    curated = pq.read_metadata(out / "curated.parquet").num_rows
    quarantined = pq.read_metadata(out / "quarantine.parquet").num_rows
    assert total["rows_out"] == curated
    assert total["rows_quarantined"] == quarantined
    assert total["rows_read"] == curated + quarantined + total["rows_duplicate"]
    if records is not None:
        assert total["rows_read"] == records
    return report


DASK_CASES = ["nonfinite", "bom_in_the_middle", "mixed_line_ends", "one_row_of_200k_fields",
              "thousands_separators", "nested_json_lines", "json_array", "scalar_json_lines",
              "quoted_commas_newlines", "repeated_header"]


@pytest.mark.slow
@pytest.mark.parametrize("name", DASK_CASES)
def test_hostile_case_under_dask(tmp_path: Path, name: str) -> None:
    test_hostile_case(tmp_path, name, engine="dask")


@pytest.mark.parametrize("name", CASES)
def test_hostile_case(tmp_path: Path, name: str, engine: str = "local") -> None:
    case = corpus(tmp_path)[name]
    inputs = []
    for fname, data in case.files.items():
        (tmp_path / fname).write_bytes(data)
        if not fname.endswith(".yaml"):
            inputs.append(str(tmp_path / fname))
    out = tmp_path / "out"
    args = [a.replace("{tmp}", str(tmp_path)) for a in case.args]
    r = run_curate(*inputs, "--out", str(out), *args, "--engine", engine)
    if case.exit != 0:
        assert_clean_failure(r, out, case.exit, case.message)
        return
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert_accounted(out, case.records)
    if case.check is not None:
        case.check(out)


def test_truncated_pcap_quarantines_the_damaged_packet(tmp_path: Path) -> None:
    (tmp_path / "t.pcap").write_bytes(_pcap(tmp_path, truncate=7))
    r = run_curate(str(tmp_path / "t.pcap"), "--out", str(tmp_path / "out"),
                   "--default-label", "normal")
    assert r.returncode == 0, r.stderr
    report = assert_accounted(tmp_path / "out", None)
    assert report["total"]["rules"].get("row_shape", 0) + report["total"]["rows_quarantined"] >= 1


def test_output_path_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text(_base())
    (tmp_path / "out").write_text("not a directory")
    r = run_curate(str(tmp_path / "f.csv"), "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert str(tmp_path / "out") in r.stderr
    assert (tmp_path / "out").read_text() == "not a directory"
