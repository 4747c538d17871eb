"""profile / validate / audit / split through the real command line (subprocesses)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from iotforge.curation.contracts.suites import load_suite
from iotforge.curation.schema import read_meta, write_table_atomic
from real_samples import REPO, curated_sample


def iotforge(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iotforge", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or REPO, timeout=300)


@pytest.fixture(scope="session")
def weather(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The TON_IoT weather rows of the curated sample, as their own curated Parquet."""
    path = curated_sample(tmp_path_factory)
    table = pq.read_table(path)
    table = table.filter(pc.equal(table["source"], "ton_iot:weather"))
    keep = [c for c in table.column_names
            if table[c].null_count < table.num_rows or c in ("augmenter",)]
    out = tmp_path_factory.mktemp("cli") / "weather.parquet"
    write_table_atomic(table.select(keep), out, read_meta(path))
    return out


def _faulty(weather: Path, tmp: Path) -> Path:
    table = pq.read_table(weather)
    humidity = table["humidity"].to_pylist()
    humidity[:3] = [-40.0, 250.0, 1e6]
    labels = table["label"].to_pylist()
    labels[5] = "alien_attack"
    table = table.set_column(table.schema.get_field_index("humidity"), "humidity",
                             pa.array(humidity, pa.float64()))
    table = table.set_column(table.schema.get_field_index("label"), "label",
                             pa.array(labels, pa.string()))
    out = tmp / "faulty.parquet"
    write_table_atomic(table, out, read_meta(weather))
    return out


def test_validate_raw_capture_curated_on_the_fly_with_docs(
        weather: Path, tmp_path: Path) -> None:
    raw = weather.parents[1] / "iotforge_real_sample" / "raw" / "ton_iot_telemetry"
    r = iotforge("validate", raw / "Train_Test_IoT_Weather.csv", "--suite", "ton_iot_weather",
                 "--docs", tmp_path / "docs")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS" in r.stdout and "curated on the fly" in r.stdout
    assert (tmp_path / "docs" / "index.html").is_file()
    assert list((tmp_path / "docs" / "validations").rglob("*.html"))


def test_validate_fault_exit_1_table_and_json(weather: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    bad = _faulty(weather, tmp_path)
    r = iotforge("validate", bad, "--suite", "ton_iot_weather")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FAIL" in r.stdout and "humidity" in r.stdout and "alien_attack" in r.stdout
    # --json in-process: same parser and code path, without a second GX import.
    from iotforge.cli import main

    capsys.readouterr()
    code = main(["validate", str(bad), "--suite",
                 str(REPO / "expectations" / "ton_iot_weather.json"), "--json"])
    assert code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["success"] is False
    failures = out["suites"][0]["failures"]
    assert {f["column"] for f in failures} == {"humidity", "label"}
    humidity = next(f for f in failures if f["column"] == "humidity")
    assert humidity["unexpected_count"] == 3 and 1e6 in humidity["examples"]


@pytest.mark.parametrize("args,needle", [
    (["validate", "{w}", "--suite", "no_such_suite"], "no suite 'no_such_suite'"),
    (["validate", "missing.parquet", "--suite", "ton_iot_weather"], "missing.parquet"),
    (["split", "{w}", "--out", "{t}", "--mode", "group"], "--by"),
    (["audit", "{w}", "--out", "{t}/r.json", "--exclude", "nope"], "nope"),
])
def test_usage_errors_exit_2_one_line(weather: Path, tmp_path: Path, args: list[str],
                                      needle: str) -> None:
    r = iotforge(*[a.format(w=weather, t=tmp_path) for a in args])
    assert r.returncode == 2, r.stdout + r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_profile_drafts_a_suite(weather: Path, tmp_path: Path) -> None:
    out = tmp_path / "drafted.json"
    r = iotforge("profile", weather, "--out", out, "--allow-label", "mitm")
    assert r.returncode == 0, r.stderr
    suite = load_suite(out)
    assert suite["name"] == "drafted"
    labels = next(e for e in suite["expectations"] if e["kwargs"].get("column") == "label"
                  and e["type"] == "expect_column_values_to_be_in_set")
    assert "mitm" in labels["kwargs"]["value_set"]


def test_split_then_audit_accepting_known_leaks(weather: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    r = iotforge("split", weather, "--out", tmp_path / "split", "--seed", "3")
    assert r.returncode == 0, r.stderr
    train, test = tmp_path / "split" / "train.parquet", tmp_path / "split" / "test.parquet"
    assert (read_meta(train).split, read_meta(test).split) == ("train", "test")
    assert read_meta(train).seed == 3
    report = json.loads((tmp_path / "split" / "split.json").read_text())
    assert report["rows"]["train"] + report["rows"]["test"] == pq.read_metadata(weather).num_rows

    r = iotforge("audit", train, "--test", test, "--out", tmp_path / "audit.json")
    assert r.returncode == 1, r.stderr  # TON_IoT: date, time, timestamp leak the label
    audit = json.loads((tmp_path / "audit.json").read_text())
    assert "single-column:date" in audit["errors"] and "single-column:date" in r.stdout
    assert "train_test_overlap" in audit["checks"]
    assert "train-test-overlap" not in [f["id"] for f in audit["findings"]]

    from iotforge.cli import main  # in-process: the same parser, no second interpreter

    accepts = [a for e in audit["errors"] for a in ("--accept", e)]
    capsys.readouterr()
    assert main(["audit", str(train), "--out", str(tmp_path / "audit2.json"), *accepts]) == 0
    assert "PASS" in capsys.readouterr().out


def test_ci_recipe_calls_the_real_command() -> None:
    from iotforge.cli import build_parser

    text = (REPO / "docs" / "ci.md").read_text()
    assert "github" in text.lower() and "gitlab" in text.lower()
    commands = re.findall(r"^\s+(?:- )?(iotforge validate [^\n#]+)", text, re.M)
    assert len(commands) >= 2, commands
    parser = build_parser()
    for command in commands:
        argv = shlex.split(command.split(">")[0])[1:]
        args = parser.parse_args(argv)
        for suite in args.suite:
            assert load_suite(suite)
