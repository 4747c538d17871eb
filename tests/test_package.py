"""The installed package: its package list, suites found by name from any folder (the
user's ``./expectations/`` first, then the shipped ones), and the file modes of outputs.

The wheel itself is built and installed into a fresh environment in tests/test_wheel.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cic_fixtures import cic_rows, to_csv
from conftest import ROOT
from project_files import package_folders, pyproject


def test_packages_list_names_every_folder_with_an_init() -> None:
    listed = pyproject()["tool"]["setuptools"]["packages"]
    assert len(listed) == len(set(listed)), "a package is listed twice"
    folders = package_folders()
    missing = sorted(set(folders) - set(listed))
    assert not missing, (f"add {missing} to [tool.setuptools] packages in pyproject.toml, "
                         "or the wheel leaves them out")
    assert sorted(set(listed) - set(folders)) == []  # listed, but no such folder
    assert {name.split(".")[0] for name in listed} == {"iotforge"}


def test_shipped_suites_are_package_data() -> None:
    data = pyproject()["tool"]["setuptools"]["package-data"]["iotforge.expectations"]
    assert "*.json" in data
    assert (ROOT / "expectations" / "__init__.py").is_file()


# ------------------------------------------------------------------ suites by name

USER_SUITE = {"name": "demo_flows", "expectations": [
    {"type": "expect_column_to_exist", "kwargs": {"column": "only_in_the_user_suite"}}]}


def _iotforge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # the console script of the environment running the tests, as a user types it
    exe = Path(sys.executable).with_name("iotforge")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def test_list_suites_from_another_folder_shows_origins(tmp_path: Path) -> None:
    (tmp_path / "expectations").mkdir()
    (tmp_path / "expectations" / "demo_flows.json").write_text(json.dumps(USER_SUITE))
    res = _iotforge("validate", "--list-suites", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    rows = [line.split("\t") for line in res.stdout.splitlines()]
    assert rows[0][:3] == ["demo_flows", "user",
                           str(tmp_path / "expectations" / "demo_flows.json")]
    shipped = [r for r in rows if r[1] == "shipped"]
    assert sorted(r[0] for r in shipped) == sorted(
        p.stem for p in (ROOT / "expectations").glob("*.json"))
    assert len({Path(r[2].split("  (")[0]).parent for r in shipped}) == 1
    hidden = [r for r in shipped if "hidden by the user's suite" in r[2]]
    assert [r[0] for r in hidden] == ["demo_flows"]


def test_suite_by_name_from_another_folder_user_suite_first(tmp_path: Path,
                                                             demo_dir: Path) -> None:
    (tmp_path / "expectations").mkdir()
    (tmp_path / "expectations" / "demo_flows.json").write_text(json.dumps(USER_SUITE))
    res = _iotforge("validate", str(demo_dir), "--suite", "demo_flows", "demo_zeek",
                    "--out", "v.json", cwd=tmp_path)
    assert res.returncode == 1, res.stdout[-2000:] + res.stderr[-2000:]
    flows, zeek = json.loads((tmp_path / "v.json").read_text())["suites"]
    # demo_flows is the user's one-expectation suite, which fails on the demo data
    assert (flows["suite"], flows["success"], flows["evaluated"]) == ("demo_flows", False, 1)
    assert [f["column"] for f in flows["failures"]] == ["only_in_the_user_suite"]
    # demo_zeek is the shipped suite, whole, and the demo data meets it
    shipped = json.loads((ROOT / "expectations" / "demo_zeek.json").read_text())
    assert (zeek["suite"], zeek["success"], zeek["evaluated"]) == (
        "demo_zeek", True, len(shipped["expectations"]))


def test_unknown_suite_name_is_exit_2_naming_the_known_ones(tmp_path: Path) -> None:
    res = _iotforge("validate", "x.parquet", "--suite", "no_such_suite", cwd=tmp_path)
    assert res.returncode == 2
    assert "no suite 'no_such_suite'" in res.stderr and "demo_zeek" in res.stderr
    assert "Traceback" not in res.stderr


# ------------------------------------------------------------------ file modes


@pytest.mark.parametrize("umask", [0o022, 0o027], ids=["umask022", "umask027"])
def test_outputs_get_the_users_file_mode(tmp_path: Path, umask: int) -> None:
    """curate's outputs and the report are created 0600 and moved into place: they must
    end up with the mode any new file of the user's gets, ``0o666 & ~umask``."""
    from evaluation_fixtures import CATEGORICAL, NUMERIC, split_tables
    from iotforge.evaluation.evaluate import evaluate
    from iotforge.evaluation.store import write_results

    (tmp_path / "in.csv").write_text(to_csv(cic_rows(60)))
    train, test = split_tables()
    result = evaluate(train, test, numeric=NUMERIC, categorical=CATEGORICAL, augmenters={},
                      classifiers=["naive_bayes"], seeds=[0])
    write_results(result, tmp_path / "eval")
    exe = Path(sys.executable).with_name("iotforge")
    script = (f"umask {umask:03o} && {exe} curate in.csv --out cur && "
              f"{exe} report --results eval --out rep")
    res = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    expected = 0o666 & ~umask
    outputs = ["cur/curated.parquet", "cur/quarantine.parquet", "cur/report.json",
               "rep/report.html", "rep/report.md"]
    modes = {name: oct(os.stat(tmp_path / name).st_mode & 0o777) for name in outputs}
    assert modes == {name: oct(expected) for name in outputs}
