"""Inputs as params.yaml gives them: a list (``--inputs A B``), glob patterns, one line when
a pattern matches nothing."""

from __future__ import annotations

import json
from pathlib import Path

from cic_fixtures import cic_rows, to_csv


def _write(d: Path) -> None:
    d.mkdir()
    for i, name in enumerate(("mon.csv", "tue.csv", "notes.txt.md")):
        (d / name).write_text(to_csv(cic_rows(30, seed=i)))
    (d / "sub").mkdir()
    (d / "sub" / "wed.csv").write_text(to_csv(cic_rows(30, seed=9)))


def test_list_and_globs_name_the_same_files(tmp_path: Path, cli) -> None:
    d = tmp_path / "caps"
    _write(d)
    r = cli("curate", "--inputs", str(d / "*.csv"), str(d / "sub"), "--out", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    files = [Path(f["path"]).name for f in
             json.loads((tmp_path / "a" / "report.json").read_text())["files"]]
    assert files == ["mon.csv", "tue.csv", "wed.csv"]
    r = cli("curate", str(d / "**" / "*.csv"), "--out", str(tmp_path / "b"))
    assert r.returncode == 0, r.stderr
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert sorted(Path(f["path"]).name for f in report["files"]) == sorted(files)
    assert report["total"]["rows_read"] == 90


def test_a_pattern_that_matches_nothing_is_one_line(tmp_path: Path, cli) -> None:
    d = tmp_path / "caps"
    _write(d)
    r = cli("curate", "--inputs", str(d / "*.csv"), str(d / "*.pcap"), "--out",
            str(tmp_path / "o"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "*.pcap" in r.stderr
    assert not (tmp_path / "o").exists()
    r = cli("curate", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "INPUT" in r.stderr
