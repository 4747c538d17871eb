"""Issue 8, validation trust: a suite GX cannot load in full is an input error, and
curated Parquet without iotforge metadata is still the canonical table."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from iotforge.curation.contracts.suites import load_suite
from iotforge.curation.contracts.validate import validate_frame
from iotforge.curation.errors import MappingError
from iotforge.curation.schema import FIXED_ROLES, META_KEY, read_meta
from real_samples import REPO

from iotforge.cli import build_parser, main

# The canonical columns every curated table has, as issue 8 lists them.
CANONICAL = ("source", "source_file", "source_row", "label", "label_raw", "is_attack")
DEMO_SUITES = ("demo_flows", "demo_zeek", "demo_telemetry")
COMMANDS = ("profile", "validate", "audit", "split")


def iotforge(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iotforge", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or REPO, timeout=300)


@pytest.fixture(scope="module")
def curated(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from iotforge.curation.curate import curate

    out = tmp_path_factory.mktemp("trust_curated")
    curate(sorted(demo_dir.iterdir()), out)
    return out / "curated.parquet"


@pytest.fixture(scope="module")
def stripped(curated: Path) -> Path:
    """The curated table, same Arrow types, without the 'iotforge' metadata."""
    table = pq.read_table(curated)
    md = {k: v for k, v in (table.schema.metadata or {}).items() if k != META_KEY}
    out = curated.parent / "stripped.parquet"
    pq.write_table(table.replace_schema_metadata(md), out)
    return out


@pytest.fixture(scope="module")
def edited(curated: Path) -> Path:
    """The curated table after a user's ``pd.read_parquet(...).to_parquet(...)``."""
    out = curated.parent / "edited.parquet"
    df = pd.read_parquet(curated)
    df = df[df["source_row"] != df["source_row"].max()]  # the user's edit: drop a row
    df.to_parquet(out)
    return out


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A raw capture that happens to be Parquet: not the canonical table."""
    out = tmp_path_factory.mktemp("trust_foreign") / "sensor.parquet"
    pd.DataFrame({"bytes": [1.0, 2.0, 3.0, 40.0], "proto": ["tcp", "udp", "tcp", "tcp"],
                  "label": ["normal", "ddos", "normal", "scanning"]}).to_parquet(out)
    return out


def _cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """``iotforge ARGS`` in this process (GX is imported once for the whole module)."""
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


# ------------------------------------------------------------------ 4: suites load in full

LINES = [
    '{"name": "typo", "expectations": [',
    '  {"type": "expect_column_to_exist", "kwargs": {"column": "label"}},',
    '  {"type": "expect_column_values_to_be_betwen",',
    '   "kwargs": {"column": "source_row", "min_value": 0}},',
    '  {"type": "expect_column_values_to_be_between",',
    '   "kwargs": {"colum": "source_row", "min_value": 0}},',
    '  {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "label"}}',
    "]}",
]


def test_misspelled_expectation_fails_validate_with_exit_2(curated: Path, tmp_path: Path) -> None:
    suite = tmp_path / "typo.json"
    suite.write_text("\n".join([*LINES[:3], LINES[3].rstrip(","), "]}"]) + "\n")
    r = iotforge("validate", curated, "--suite", suite)
    assert r.returncode == 2, r.stdout + r.stderr  # was 0: "1 expectations"
    err = r.stderr.strip()
    assert "\n" not in err and "Traceback" not in err
    assert str(suite) in err
    assert "expectations[1]" in err and "expect_column_values_to_be_betwen" in err
    assert "did you mean 'expect_column_values_to_be_between'" in err
    assert "line 3" in err  # where the misspelled object starts in the file


def test_every_problem_of_a_suite_in_one_message(tmp_path: Path) -> None:
    suite = tmp_path / "typo.json"
    suite.write_text("\n".join(LINES) + "\n")
    with pytest.raises(MappingError) as info:
        load_suite(suite)
    msg = info.value.one_line()
    # one entry per broken expectation, with its index, the line its object starts on and
    # its type: counted independently from the file text
    starts = [i + 1 for i, line in enumerate(LINES) if line.lstrip().startswith('{"type"')]
    types = [re.findall(r'"type": "(\w+)"', line)[0] for line in LINES if '"type"' in line]
    for index in (1, 2, 3):
        assert f"expectations[{index}] (line {starts[index]}, {types[index]})" in msg, msg
    assert "expectations[0]" not in msg
    assert "3 problems" in msg
    assert "unknown argument 'colum' (did you mean 'column'?)" in msg
    assert "missing required argument 'column'" in msg
    assert "missing required argument 'value_set'" in msg
    assert info.value.path == str(suite)


def test_library_refuses_a_suite_gx_would_shrink() -> None:
    df = pd.DataFrame({"x": [1.0, 500.0]})
    suite = {"name": "s", "expectations": [
        {"type": "expect_column_values_to_be_betwen",
         "kwargs": {"column": "x", "min_value": 0, "max_value": 10}}]}
    with pytest.raises(MappingError, match=r"expectations\[0\].*unknown expectation type"):
        validate_frame(df, suite)  # was: success, 0 expectations evaluated
    from iotforge.curation.contracts.contract import valid_rows

    with pytest.raises(MappingError, match="betwen"):
        valid_rows(df, suite)  # was: every row valid, so any synthetic row passed


def test_committed_suites_load_every_expectation() -> None:
    """Independent count: the JSON file's list against what GX built from it."""
    import great_expectations as gx

    paths = sorted((REPO / "expectations").glob("*.json"))
    assert paths
    for path in paths:
        body = json.loads(path.read_text())
        load_suite(path)
        built = gx.ExpectationSuite(name=body["name"], expectations=[
            {k: v for k, v in e.items() if k in ("type", "kwargs", "meta")}
            for e in body["expectations"]])
        assert len(built.expectations) == len(body["expectations"]), path.name


# ------------------------------------------------------------------ 8: Parquet without metadata


def test_metadata_free_parquet_validates_like_the_curated_file(
        curated: Path, stripped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nullable = stripped.parent / "nullable.parquet"  # pandas, keeping ints with nulls ints
    pd.read_parquet(curated, dtype_backend="numpy_nullable").to_parquet(nullable)
    rc, out, err = _cli(capsys, "validate", curated, "--suite", *DEMO_SUITES, "--json")
    assert rc == 0, err
    for path in (stripped, nullable):
        rc_b, out_b, err_b = _cli(capsys, "validate", path, "--suite", *DEMO_SUITES, "--json")
        assert rc_b == 0, err_b  # was 2: "no adapter recognises this file (binary data)"
        assert json.loads(out)["suites"] == json.loads(out_b)["suites"], path.name


def test_pandas_edited_table_is_checked_row_by_row(
        curated: Path, edited: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _cli(capsys, "validate", edited, "--suite", *DEMO_SUITES, "--json")
    assert rc == 1, err
    assert "binary data" not in err
    df = pd.read_parquet(edited)
    reports = json.loads(out)["suites"]
    for rep in reports:
        patterns = load_suite(rep["suite"])["meta"]["iotforge"]["applies_to"]["source"]
        expected = sum(any(fnmatch.fnmatchcase(s, p) for p in patterns) for s in df["source"])
        assert rep["rows"] == expected > 0, rep["suite"]
    # What fails is what plain pandas changed: an int64 column with nulls comes back as
    # float64, and the type contract says so. Nothing else.
    table = pq.read_table(curated)
    ints_with_nulls = {f.name for f in table.schema
                       if pa.types.is_integer(f.type) and table[f.name].null_count}
    failures = [f for rep in reports for f in rep["failures"]]
    assert failures
    assert {f["expectation"] for f in failures} == {"expect_column_values_to_be_in_type_list"}
    assert {f["column"] for f in failures} <= ints_with_nulls


def test_profile_audit_split_take_the_edited_table(
        edited: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    n = len(pd.read_parquet(edited))
    rc, _, err = _cli(capsys, "profile", edited, "--out", tmp_path / "s.json")
    assert rc == 0, err
    assert len(json.loads((tmp_path / "s.json").read_text())["expectations"]) > 0
    rc, _, err = _cli(capsys, "audit", edited, "--out", tmp_path / "a.json")
    assert rc in (0, 1), err
    assert json.loads((tmp_path / "a.json").read_text())["rows"] == n
    rc, _, err = _cli(capsys, "split", edited, "--out", tmp_path / "split")
    assert rc == 0, err
    report = json.loads((tmp_path / "split" / "split.json").read_text())
    assert sum(report["rows"].values()) == n
    meta = read_meta(tmp_path / "split" / "train.parquet")
    columns = list(pd.read_parquet(edited).columns)  # pandas' index column is not data
    assert sorted(meta.roles) == sorted(columns)
    for col in columns:
        if col in FIXED_ROLES:
            assert meta.roles[col] == FIXED_ROLES[col], col


def test_mapping_roles_override_inferred_roles(
        edited: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from iotforge.curation.roles import infer_spec

    rc, _, err = _cli(capsys, "split", edited, "--out", tmp_path / "plain")
    assert rc == 0, err
    plain = read_meta(tmp_path / "plain" / "train.parquet").roles
    # as curate infers a column no adapter declares: by name (uid, orig_ip_bytes), by type
    for col in ("uid", "orig_ip_bytes", "duration"):
        assert plain[col] == infer_spec(col).role, col
    assert plain["proto"] == "categorical" and plain["ts"] == "time"
    wanted = {"uid": "categorical",
              "orig_ip_bytes": "categorical" if plain["orig_ip_bytes"] != "categorical"
              else "numeric"}
    mapping = tmp_path / "roles.yaml"
    mapping.write_text(json.dumps({"roles": wanted}))  # JSON is YAML
    rc, _, err = _cli(capsys, "split", edited, "--out", tmp_path / "mapped", "--mapping", mapping)
    assert rc == 0, err
    mapped = read_meta(tmp_path / "mapped" / "train.parquet").roles
    assert {c: mapped[c] for c in wanted} == wanted
    assert all(plain[c] != r for c, r in wanted.items())
    bad = tmp_path / "bad.yaml"
    bad.write_text("roles: {no_such_column: numeric, uid: feature}\n")
    rc, _, err = _cli(capsys, "split", edited, "--out", tmp_path / "x", "--mapping", bad)
    assert rc == 2 and "no_such_column" in err and "'feature'" in err, err


@pytest.mark.parametrize("command", COMMANDS)
def test_other_parquet_names_the_missing_canonical_columns(
        command: str, foreign: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = ("--suite", "demo_flows") if command == "validate" else ("--out", tmp_path / "o")
    rc, _, err = _cli(capsys, command, foreign, *extra)
    assert rc == 2
    assert "binary data" not in err and len(err.strip().splitlines()) == 1
    missing = [c for c in CANONICAL if c not in pq.read_schema(foreign).names]
    assert f"lacks the canonical columns {missing}" in err, err
    assert "--mapping FILE" in err


def test_raw_parquet_with_mapping_is_curated_on_the_fly(
        foreign: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("format: parquet\nsource: sensor\nlabel: label\n")
    suite = tmp_path / "s.json"
    suite.write_text(json.dumps({"name": "s", "expectations": [
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "bytes", "min_value": 0, "max_value": 10}}]}))
    rc, out, err = _cli(capsys, "validate", foreign, "--mapping", mapping, "--suite", suite,
                        "--json")
    assert rc == 1, err
    res = json.loads(out)
    assert res["curation"]["rows_read"] == 4
    assert res["suites"][0]["failures"][0]["examples"] == [40.0]


# ------------------------------------------------------------------ every hint names an option


def _help(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    return capsys.readouterr().out


def test_every_option_a_hint_names_exists(
        curated: Path, foreign: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("nothing a capture adapter knows\nsecond line\n")
    nolabel = tmp_path / "flows.csv"
    nolabel.write_text("bytes,proto\n1,tcp\n2,udp\n")
    zeek = tmp_path / "conn.log"
    zeek.write_text("#separator \\x09\n#path\tconn\n#fields\tts\tuid\tproto\n"
                    "#types\ttime\tstring\tenum\n1545400003.7\tC1\tudp\n")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1" + bytes(range(64)))
    inputs: list[list[str | Path]] = [
        [text], [nolabel], [nolabel, "--format", "cicflowmeter"], [nolabel, "--format", "mapping"],
        [zeek], [foreign], [foreign, "--format", "zeek"], [curated, text], [broken]]
    seen: dict[str, set[str]] = {}
    for command in COMMANDS:
        extra = ("--suite", "demo_flows") if command == "validate" else ("--out", tmp_path / "o")
        for args in inputs:
            rc, _, err = _cli(capsys, command, *args, *extra)
            assert rc == 2, (command, args, err)
            assert len(err.strip().splitlines()) == 1, err
            seen.setdefault(command, set()).update(re.findall(r"--[a-z][a-z-]*", err))
        options = set(re.findall(r"--[a-z][a-z-]*", _help(command, capsys)))
        assert seen[command] - options == set(), command
    # the cases did reach the hints this test is about
    for command in COMMANDS:
        assert {"--format", "--mapping", "--default-label"} <= seen[command], command
