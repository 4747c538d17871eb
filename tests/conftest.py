"""Shared fixtures: the real datasets (skipped when absent) and the demo captures."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    from iotforge.curation.demo import write_demo

    out = tmp_path_factory.mktemp("demo")
    write_demo(out, seed=0)
    return out


_CLUSTER: dict[str, Any] = {}


def shared_client() -> Any:
    """The session's 2-worker Dask ``LocalCluster`` client (one process and one thread
    per worker), started on first use: tests that use no Dask start none."""
    if "client" not in _CLUSTER:
        pytest.importorskip("distributed")
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        _CLUSTER["cluster"], _CLUSTER["client"] = cluster, Client(cluster)
    return _CLUSTER["client"]


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """The shared cluster's client, closed at the end of the session."""
    yield shared_client()
    if "client" in _CLUSTER:
        _CLUSTER.pop("client").close()
        _CLUSTER.pop("cluster").close()


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``iotforge ARGS`` in a subprocess, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "iotforge", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


@pytest.fixture()
def cli():
    return run_cli


__all__ = ["ROOT", "datasets_dir", "run_cli", "shared_client", "shutil"]
