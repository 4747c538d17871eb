"""The wheel as a user gets it: built from the repository's tracked files, installed into a
fresh virtual environment, and every subcommand run from a folder outside the repository.

The fresh environment gets the dependencies without downloading them: a ``.pth`` file in
its site-packages names the site-packages of the environment running the tests. A
directory named in a ``.pth`` file is put on ``sys.path`` but not scanned for ``.pth``
files of its own, so the editable install's finder there is never loaded; the test checks
that too. The wheel is installed with ``--no-deps --no-index``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from conftest import ROOT
from project_files import copy_tracked_files, package_folders

pytestmark = pytest.mark.package


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None,
         ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert res.returncode in ok, (cmd, res.returncode, res.stdout[-3000:], res.stderr[-3000:])
    return res


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the tracked files (no build isolation: offline)."""
    work = tmp_path_factory.mktemp("wheel")
    src = copy_tracked_files(work / "src")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index",
          "--no-build-isolation", "-w", str(work / "dist"), str(src)], cwd=work)
    (built,) = (work / "dist").glob("iotforge-*.whl")
    return built


@pytest.fixture(scope="module")
def env(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A fresh venv with the wheel installed and the test environment's dependencies."""
    root = tmp_path_factory.mktemp("venv") / "env"
    _run([sys.executable, "-m", "venv", "--without-pip", str(root)], cwd=root.parent)
    python = root / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path("
                      "'purelib'))"], cwd=root).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
          "--no-index", str(wheel)], cwd=root)
    return {"root": root, "python": python, "site": site, "bin": root / "bin"}


def _clean_environ(env: dict[str, Path]) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    out["PATH"] = f"{env['bin']}{os.pathsep}/usr/bin{os.pathsep}/bin"
    return out


def test_wheel_holds_one_top_level_package_and_every_module(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {PurePosixPath(n).parts[0] for n in names}
    dist_info = {t for t in tops if t.endswith(".dist-info")}
    assert tops - dist_info == {"iotforge"} and len(dist_info) == 1
    # every module and suite of the mapped folders is in the wheel, under its installed name
    expected = set()
    for dotted, folder in package_folders().items():
        prefix = dotted.replace(".", "/")
        expected |= {f"{prefix}/{p.name}" for p in folder.glob("*.py")}
    expected |= {f"iotforge/expectations/{p.name}" for p in (ROOT / "expectations").glob("*.json")}
    expected |= {f"iotforge/curation/data/{p.name}" for p in (ROOT / "curation" / "data").glob(
        "*.yaml")}
    assert sorted(expected - set(names)) == []
    # and no test, benchmark or docs file rides along
    assert not [n for n in names if n.startswith(("iotforge/tests", "iotforge/benchmarks"))]


def test_installed_package_is_the_wheel_alone(env: dict[str, Path]) -> None:
    probe = """
import importlib, json, sys
import iotforge, iotforge.curation, iotforge.expectations
from importlib import resources
out = {"iotforge": iotforge.__file__, "curation": iotforge.curation.__file__,
       "editable_finder": any("__editable__" in m for m in sys.modules),
       "suites": sorted(p.name for p in resources.files("iotforge.expectations").iterdir()
                        if p.name.endswith(".json"))}
for name in ("augment", "curation", "evaluation"):
    try:
        importlib.import_module(name)
        out[name + "_importable"] = True
    except ImportError:
        out[name + "_importable"] = False
print(json.dumps(out))
"""
    res = _run([str(env["python"]), "-c", probe], cwd=env["root"].parent,
               env=_clean_environ(env))
    found = json.loads(res.stdout)
    site = str(env["site"])
    assert found["iotforge"].startswith(site) and found["curation"].startswith(site)
    assert found["editable_finder"] is False
    assert [found[f"{n}_importable"] for n in ("augment", "curation", "evaluation")] == [
        False, False, False]
    assert found["suites"] == sorted(p.name for p in (ROOT / "expectations").glob("*.json"))


def test_every_subcommand_from_outside_the_repository(env: dict[str, Path],
                                                      tmp_path: Path) -> None:
    environ = _clean_environ(env)
    exe = str(env["bin"] / "iotforge")

    def cli(*args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        return _run([exe, *args], cwd=tmp_path, env=environ, ok=ok)

    cli("demo", "demo", "--seed", "0")
    cli("curate", "demo", "--out", "cur")
    report = json.loads((tmp_path / "cur" / "report.json").read_text())
    assert report["total"]["rows_out"] > 0
    cli("profile", "cur/curated.parquet", "--out", "drafted.json")
    # every shipped suite by NAME: 0 (met) or 1 (not met) both prove it was found
    listed = cli("validate", "--list-suites").stdout.splitlines()
    rows = [line.split("\t") for line in listed]
    assert {r[1] for r in rows} == {"shipped"}
    assert all(r[2].startswith(str(env["site"])) for r in rows)
    names = [r[0] for r in rows]
    assert sorted(names) == sorted(p.stem for p in (ROOT / "expectations").glob("*.json"))
    cli("validate", "cur/curated.parquet", "--suite", *names, "--out", "validation.json",
        ok=(0, 1))
    checked = json.loads((tmp_path / "validation.json").read_text())["suites"]
    assert [s["suite"] for s in checked] == names
    assert {s["suite"] for s in checked if s["success"]} >= {"demo_flows", "demo_telemetry",
                                                             "demo_zeek"}
    cli("validate", "cur/curated.parquet", "--suite", "drafted.json")  # its own draft: met
    cli("audit", "cur/curated.parquet", "--out", "audit.json",
        "--accept", "time-disjoint:timestamp")
    cli("split", "cur/curated.parquet", "--out", "split", "--seed", "0")
    cli("augment", "split/train.parquet", "--method", "smote", "--strategy", "power:0.5",
        "--seed", "0", "--out", "aug/smote.parquet")
    cli("evaluate", "--train", "split/train.parquet", "--test", "split/test.parquet",
        "--synthetic", "aug/smote.parquet", "--classifiers", "decision_tree",
        "--seeds", "0,1", "--bootstrap", "100", "--out", "evaluation/smote")
    cli("rules", "split/train.parquet", "--out", "rules.json")
    cli("report", "--results", "evaluation", "--out", "report", "--validation",
        "validation.json", "--audit", "audit.json", "--rules", "rules.json")
    html = (tmp_path / "report" / "report.html").read_text()
    assert "smote" in html
    assert not (tmp_path / "expectations").exists()  # nothing expected of the user's folder
