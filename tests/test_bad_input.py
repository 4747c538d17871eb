"""Bad input gets one clear error line (exit 2) or quarantined rows: never a traceback,
never a partial output file."""

from __future__ import annotations

import pandas as pd
import pytest

CIC_HEADER = " Destination Port, Flow Duration, Total Fwd Packets, Flow Bytes/s, Label"


def _write(path, content: bytes | str):
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def _no_outputs(out):
    return not out.exists() or not any(out.glob("*.parquet"))


@pytest.mark.parametrize("name, content, needle", [
    ("empty.csv", b"", "the file is empty"),
    ("header_only.csv", CIC_HEADER + "\n", "expected data rows after the header"),
    ("garbage.bin", bytes(range(256)) * 40, "no adapter recognises this file (binary data)"),
    ("nolabel.csv", " Destination Port, Flow Duration, Total Fwd Packets, Flow Bytes/s\n"
     "80,1,2,3\n", "expected a label column"),
])
def test_clear_one_line_errors(cli, tmp_path, name, content, needle):
    f = _write(tmp_path / name, content)
    out = tmp_path / "out"
    res = cli("curate", str(f), "--out", str(out))
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert str(f) in lines[0] and needle in lines[0]
    assert _no_outputs(out)


def test_label_column_missing_with_forced_format(cli, tmp_path):
    f = _write(tmp_path / "flows.csv", " Destination Port, Flow Duration, Total Fwd Packets\n"
               "80,1,2\n")
    res = cli("curate", str(f), "--format", "cicflowmeter", "--out", str(tmp_path / "o"))
    assert res.returncode == 2
    assert "expected a label column (label)" in res.stderr and str(f) in res.stderr
    assert "Traceback" not in res.stderr


def test_wrong_delimiter_is_detected(cli, tmp_path):
    f = _write(tmp_path / "semi.csv", CIC_HEADER.replace(",", ";") + "\n80;10;2;3.5;BENIGN\n"
               "22;5;1;Infinity;SSH-Patator\n")
    res = cli("curate", str(f), "--out", str(tmp_path / "o"))
    assert res.returncode == 0, res.stderr
    df = pd.read_parquet(tmp_path / "o" / "curated.parquet")
    assert df["label"].tolist() == ["normal", "ssh_patator"]
    assert df["flow_bytes_s"].isna().tolist() == [False, True]


def test_wrong_delimiter_forced_gives_hint(cli, tmp_path):
    f = _write(tmp_path / "colon.csv", CIC_HEADER.replace(",", ":") + "\n80:10:2:3.5:BENIGN\n")
    res = cli("curate", str(f), "--format", "cicflowmeter", "--out", str(tmp_path / "o"))
    assert res.returncode == 2
    assert "check the delimiter" in res.stderr


def test_truncated_last_line_is_quarantined(cli, tmp_path):
    f = _write(tmp_path / "t.csv", CIC_HEADER + "\n80,10,2,3.5,BENIGN\n22,5,1,4,SSH-Patator\n22,5")
    res = cli("curate", str(f), "--out", str(tmp_path / "o"))
    assert res.returncode == 0, res.stderr
    q = pd.read_parquet(tmp_path / "o" / "quarantine.parquet")
    assert q[["source_row", "rule"]].values.tolist() == [[4, "row_shape"]]
    assert q["reason"][0] == "expected 5 fields, found 2"


def test_one_row_file(cli, tmp_path):
    f = _write(tmp_path / "one.csv", CIC_HEADER + "\n80,10,2,3.5,BENIGN\n")
    res = cli("curate", str(f), "--out", str(tmp_path / "o"))
    assert res.returncode == 0, res.stderr
    assert len(pd.read_parquet(tmp_path / "o" / "curated.parquet")) == 1


def test_duplicated_column_names_keep_both(cli, tmp_path):
    f = _write(tmp_path / "dup.csv", " Destination Port, Flow Duration, Fwd Header Length,"
               " Total Fwd Packets, Fwd Header Length, Label\n80,10,20,2,21,BENIGN\n")
    res = cli("curate", str(f), "--out", str(tmp_path / "o"))
    assert res.returncode == 0, res.stderr
    df = pd.read_parquet(tmp_path / "o" / "curated.parquet")
    assert df[["fwd_header_length", "fwd_header_length__2"]].values.tolist() == [[20, 21]]
    import json
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["files"][0]["rules"]["duplicate_column"] == 1
    assert "fwd_header_length__2" in report["files"][0]["notes"][0]


def test_broken_encoding_and_crlf_and_utf16(cli, tmp_path):
    body = CIC_HEADER + "\r\n80,10,2,3.5,BENIGN\r\n80,11,2,3.5,Web Attack \u2013 XSS\r\n"
    f = _write(tmp_path / "cp1252.csv", body.encode("cp1252"))
    g = _write(tmp_path / "utf16.csv", body.replace("\u2013", "-").encode("utf-16"))
    res = cli("curate", str(f), str(g), "--out", str(tmp_path / "o"))
    assert res.returncode == 0, res.stderr
    df = pd.read_parquet(tmp_path / "o" / "curated.parquet")
    # the UTF-16 file's benign row repeats the first file's: a cross-file duplicate
    assert df["label"].tolist() == ["normal", "xss", "xss"]
    assert df["label_raw"].tolist()[1:] == ["Web Attack \u2013 XSS", "Web Attack - XSS"]
    import json
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["files"][0]["rules"]["encoding"] == 1
    assert report["files"][1]["rows_duplicate"] == 1


def test_unknown_policy_is_a_usage_error(cli, demo_dir, tmp_path):
    res = cli("curate", str(demo_dir), "--policy", "range=explode", "--out", str(tmp_path))
    assert res.returncode == 2
    assert "expected a policy in" in res.stderr and "Traceback" not in res.stderr


def test_directory_skips_documentation_and_says_so(tmp_path, demo_dir):
    from iotforge.curation.curate import curate

    d = tmp_path / "caps"
    d.mkdir()
    (d / "README.md").write_text("notes")
    (d / "conn.log.labeled").write_bytes((demo_dir / "conn.log.labeled").read_bytes())
    report = curate([d], tmp_path / "o")
    assert report["skipped"] == [{"path": str(d / "README.md"),
                                  "reason": "documentation, not a capture"}]
