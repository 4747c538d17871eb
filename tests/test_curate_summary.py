"""The command line's closing summary agrees with report.json over several files."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from conftest import run_cli

HEADER = "ts,date,time,current_temperature,thermostat_status,label,type\n"


def _capture(path: Path, bad: int) -> None:
    # rows whose field count is wrong are quarantined by the shape rule, one per line
    rows = [f"{1556000000 + i},25-Apr-19,12:00:{i:02d},{20 + i % 7}.5,1,0,normal"
            for i in range(20)]
    rows += [f"{1556100000 + i},1,2,3,4,5,6,7,8" for i in range(bad)]
    path.write_text(HEADER + "\n".join(rows) + "\n")


def test_quarantine_by_rule_is_summed_over_files(tmp_path: Path) -> None:
    _capture(tmp_path / "a.csv", bad=2)
    _capture(tmp_path / "b.csv", bad=3)
    out = tmp_path / "out"
    proc = run_cli("curate", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"),
                   "--out", str(out), "--format", "ton_iot")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    expected: Counter[str] = Counter()
    for f in report["files"]:
        expected.update(f["quarantine_rules"])
    assert sum(expected.values()) == report["total"]["rows_quarantined"] >= 5
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("quarantine by rule"))
    printed = {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", line.split(":", 1)[1])}
    assert printed == dict(expected)
