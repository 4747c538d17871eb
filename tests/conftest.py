"""Shared fixtures (the real datasets, skipped when absent; the demo captures; the Dask
cluster) and the test tiers.

Tiers: ``make test`` runs ``pytest`` (``-m 'not slow'`` in pyproject.toml's addopts);
``make test-all`` runs ``pytest -m ''``. A test carrying one of the specific tier markers
(:data:`TIER_MARKERS`) is marked ``slow`` as well here, so the fast tier leaves it out
and ``pytest -m dask`` (say) runs one kind of slow test alone; a test that uses the shared
Dask cluster (:data:`CLUSTER_FIXTURES`) is marked ``dask`` here even where its file does
not say so.
"""

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


TIER_MARKERS = ("pipeline", "dask", "realdata", "training", "package")
"""Markers of the slow tier's kinds of test (described in pyproject.toml's markers)."""


CLUSTER_FIXTURES = ("dask_client", "real_curated")
"""Fixtures that start the shared Dask cluster: a test using one is a ``dask`` test."""


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if set(CLUSTER_FIXTURES) & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.dask)
        if any(item.get_closest_marker(name) for name in TIER_MARKERS):
            item.add_marker(pytest.mark.slow)


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


# Every shared dataset; of TON_IoT's seven devices (the slowest to clean) three, among
# them the thermostat with the rarest class.
REAL_FOR_ENGINES = ("ton_iot_telemetry/Train_Test_IoT_Fridge.csv",
                    "ton_iot_telemetry/Train_Test_IoT_Thermostat.csv",
                    "ton_iot_telemetry/Train_Test_IoT_Garage_Door.csv",
                    "cicids2017_improved_sample", "iot23", "mqttset_pcap")


@pytest.fixture(scope="session")
def real_curated(datasets: Path, tmp_path_factory: pytest.TempPathFactory, dask_client: Any
                 ) -> dict[str, Path]:
    """:data:`REAL_FOR_ENGINES` curated once by each engine: ``{"local": DIR, "dask": DIR}``."""
    from iotforge.curation.curate import curate

    root = tmp_path_factory.mktemp("real")
    inputs = [datasets / name for name in REAL_FOR_ENGINES]
    curate(inputs, root / "local")
    curate(inputs, root / "dask", engine=dask_client)
    return {"local": root / "local", "dask": root / "dask"}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``iotforge ARGS`` in a subprocess, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "iotforge", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


@pytest.fixture()
def cli():
    return run_cli


__all__ = ["ROOT", "datasets_dir", "run_cli", "shared_client", "shutil"]
