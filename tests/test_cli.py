"""The command line as a user meets it: help, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd


def test_help_lists_subcommands_with_examples(cli):
    res = cli("--help")
    assert res.returncode == 0
    for word in ("curate", "demo", "examples:"):
        assert word in res.stdout
    sub = cli("curate", "--help")
    assert sub.returncode == 0 and "examples:" in sub.stdout and "--policy" in sub.stdout


def test_help_imports_no_heavy_library():
    code = ("import sys; from iotforge.cli import build_parser; build_parser(); "
            "heavy = [m for m in ('torch', 'sdv', 'ctgan', 'great_expectations', 'dask', "
            "'nfstream', 'sklearn') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_usage_error_is_one_line_exit_2(cli, tmp_path):
    res = cli("curate", "--out", str(tmp_path))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    res = cli("curate", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o"))
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "input not found" in res.stderr


def test_demo_then_curate_end_to_end(cli, tmp_path):
    assert cli("demo", str(tmp_path / "demo"), "--seed", "3").returncode == 0
    res = cli("curate", str(tmp_path / "demo"), "--out", str(tmp_path / "cur"))
    assert res.returncode == 0, res.stderr
    report = json.loads((tmp_path / "cur" / "report.json").read_text())
    df = pd.read_parquet(tmp_path / "cur" / "curated.parquet")
    assert len(df) == report["total"]["rows_out"] > 10000
    # same seed, same captures, byte for byte
    cli("demo", str(tmp_path / "demo2"), "--seed", "3")
    for f in (tmp_path / "demo").iterdir():
        assert f.read_bytes() == (tmp_path / "demo2" / f.name).read_bytes()


def test_console_entry_point_exits_with_the_commands_code_and_flushes(tmp_path):
    """``iotforge`` and ``python -m iotforge`` run ``cli.run``: the command's exit code,
    every line written (stdout to a pipe is block-buffered, so an exit without a flush
    would lose it), and no interpreter teardown after the command."""
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "iotforge"]
    assert script.value == "iotforge.cli:run"
    r = subprocess.run([sys.executable, "-m", "iotforge", "demo", str(tmp_path / "d")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    written = sorted(p.name for p in (tmp_path / "d").iterdir())
    assert written and all(name in r.stdout + r.stderr for name in written)
    (tmp_path / "out").write_text("a file")
    r = subprocess.run([sys.executable, "-m", "iotforge", "curate", str(tmp_path / "d"),
                        "--out", str(tmp_path / "out")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
