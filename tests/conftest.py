"""Shared fixtures: the real datasets (skipped when absent) and the demo captures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def datasets_dir() -> Path:
    return Path(os.environ.get("IOTFORGE_DATASETS", ROOT.parent / "shared" / "datasets"))


@pytest.fixture(scope="session")
def datasets() -> Path:
    path = datasets_dir()
    if not path.is_dir():
        pytest.skip(f"real datasets not found at {path} (set IOTFORGE_DATASETS)")
    return path


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from curation.demo import write_demo

    out = tmp_path_factory.mktemp("demo")
    write_demo(out, seed=0)
    return out


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``iotforge ARGS`` in a subprocess, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "iotforge", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


@pytest.fixture()
def cli():
    return run_cli


__all__ = ["ROOT", "datasets_dir", "run_cli", "shutil"]
