"""The pipeline from a plain shell: ``bin/iotforge`` (what every DVC stage calls) finds the
iotforge on PATH, else the project's ``.venv``, else says in one line what to do; and
``dvc repro`` runs in a copy of the repository from a shell whose PATH lacks the venv."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from project_files import copy_tracked_files

PLAIN_PATH = "/usr/bin:/bin"
WRAPPER = ROOT / "bin" / "iotforge"


def _plain_env(**extra: str) -> dict[str, str]:
    """The environment of a fresh login shell: no venv activated, no iotforge on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(PATH=PLAIN_PATH, DVC_NO_ANALYTICS="1", **extra)
    if shutil.which("iotforge", path=env["PATH"]):
        pytest.skip(f"an iotforge is installed on {PLAIN_PATH}")
    return env


def _project(tmp_path: Path, venv: bool) -> Path:
    """A project folder holding the wrapper, with or without a ``.venv`` that has iotforge."""
    project = tmp_path / "project"
    (project / "bin").mkdir(parents=True)
    shutil.copy2(WRAPPER, project / "bin" / "iotforge")
    if venv:
        (project / ".venv" / "bin").mkdir(parents=True)
        os.symlink(Path(sys.executable).with_name("iotforge"),
                   project / ".venv" / "bin" / "iotforge")
    return project


def test_wrapper_without_iotforge_prints_one_hint_and_exits_127(tmp_path: Path) -> None:
    project = _project(tmp_path, venv=False)
    res = subprocess.run(["bin/iotforge", "demo", "out"], cwd=project, env=_plain_env(),
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 127
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and "make demo" in lines[0] and "activate" in lines[0]
    assert not (project / "out").exists()


def test_wrapper_falls_back_to_the_projects_venv(tmp_path: Path) -> None:
    project = _project(tmp_path, venv=True)
    # called by a relative path from another folder, as a shell or DVC may
    res = subprocess.run([str(project / "bin" / "iotforge"), "validate", "--list-suites"],
                         cwd=tmp_path, env=_plain_env(), capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert "demo_zeek\tshipped\t" in res.stdout


def test_wrapper_prefers_the_iotforge_on_path(tmp_path: Path) -> None:
    project = _project(tmp_path, venv=True)
    other = tmp_path / "activated" / "bin"
    other.mkdir(parents=True)
    (other / "iotforge").write_text('#!/bin/sh\necho "activated iotforge: $*"\n')
    (other / "iotforge").chmod(0o755)
    env = _plain_env()
    env["PATH"] = f"{other}:{PLAIN_PATH}"
    res = subprocess.run(["bin/iotforge", "validate", "--list-suites"], cwd=project, env=env,
                         capture_output=True, text=True, timeout=60)
    assert (res.returncode, res.stdout) == (0, "activated iotforge: validate --list-suites\n")


# ------------------------------------------------------------------ dvc repro


@pytest.mark.pipeline
def test_dvc_repro_from_a_plain_shell(tmp_path: Path) -> None:
    """``dvc repro`` through ``split`` (demo, curate, validate, audit, split) in a copy of
    the repository, from a shell whose PATH has no venv: the stages reach iotforge
    through bin/iotforge and the copy's ``.venv``."""
    project = copy_tracked_files(tmp_path / "clone")
    venv = Path(sys.prefix)
    if not (venv / "bin" / "dvc").exists():
        pytest.skip("dvc is not installed in the environment running the tests")
    os.symlink(venv, project / ".venv")  # what `make` creates in a fresh clone
    env = _plain_env()
    subprocess.run(["git", "init", "-q"], cwd=project, check=True, env=env)
    res = subprocess.run([".venv/bin/dvc", "repro", "split"], cwd=project, env=env,
                         capture_output=True, text=True, timeout=1200)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    ran = [line.split("'")[1] for line in res.stdout.splitlines()
           if line.startswith("Running stage")]
    # validate and audit both follow curate: DVC may run them in either order
    assert ran[:2] == ["demo", "curate"] and ran[-1] == "split"
    assert sorted(ran[2:-1]) == ["audit", "validate"]
    report = json.loads((project / "data/curated/report.json").read_text())
    total = report["total"]
    assert total["rows_read"] == (total["rows_out"] + total["rows_quarantined"]
                                  + total["rows_duplicate"]) > 0
    assert json.loads((project / "reports/validation.json").read_text())["success"] is True
    assert (project / "data/split/train.parquet").is_file()
