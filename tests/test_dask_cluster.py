"""A real multi-process cluster: ``dask scheduler`` and two ``dask worker`` processes on
localhost. curate against ``--scheduler tcp://...`` gives the local result even though a
worker is killed in the middle of the run: no row is lost or duplicated (Dask runs the
dead worker's tasks again) and the accounting identity holds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from iotforge.curation.curate import curate

pytest.importorskip("distributed")
pytestmark = pytest.mark.dask

ROOT = Path(__file__).resolve().parents[1]


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.DEVNULL,
                            stderr=open(log, "wb"), cwd=ROOT)  # noqa: SIM115


class Cluster:
    """A scheduler and ``n`` single-threaded workers without nannies (a killed worker
    stays dead), stopped at the end."""

    def __init__(self, tmp: Path, n: int = 2) -> None:
        info = tmp / "scheduler.json"
        self.procs: list[subprocess.Popen[bytes]] = [_start(
            ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(info)], tmp / "scheduler.log")]
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(info.read_text())["address"]
        self.workers = [_start(
            ["distributed.cli.dask_worker", self.address, "--nthreads", "1", "--no-nanny",
             "--no-dashboard", "--name", f"w{i}"], tmp / f"worker{i}.log") for i in range(n)]
        self.procs += self.workers
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(n, timeout=60)

    def stop(self) -> None:
        for proc in self.procs:  # nothing of theirs is needed any more
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def cic(datasets: Path, tmp_path_factory: pytest.TempPathFactory
        ) -> tuple[list[Path], dict, Path]:
    """The CIC-IDS2017 sample (16 files: 16 partitions) and its local curation."""
    inputs = [datasets / "cicids2017_improved_sample"]
    out = tmp_path_factory.mktemp("cic") / "local"
    return inputs, curate(inputs, out), out


def _curate_cli(inputs: list[Path], out: Path, address: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "iotforge", "curate", *map(str, inputs), "--out", str(out),
         "--engine", "dask", "--scheduler", address], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=ROOT)


def _same(out: Path, local: dict, local_dir: Path) -> None:
    report = json.loads((out / "report.json").read_text())
    report.pop("engine")
    assert report == local
    for name, keys in (("curated.parquet", ["source_file", "source_row"]),
                       ("quarantine.parquet", ["source_file", "source_row", "rule"])):
        a = pq.read_table(out / name).sort_by([(k, "ascending") for k in keys])
        b = pq.read_table(local_dir / name).sort_by([(k, "ascending") for k in keys])
        assert a.equals(b), name
    for f in report["files"]:
        assert f["rows_read"] == f["rows_out"] + f["rows_quarantined"] + f["rows_duplicate"]


def test_curate_on_scheduler_and_workers_survives_a_killed_worker(tmp_path: Path, cic: tuple,
                                                                  cluster: Cluster) -> None:
    """curate --scheduler tcp://...: the local result, though a worker dies mid-run."""
    inputs, local, local_dir = cic
    out = tmp_path / "dask"
    run = _curate_cli(inputs, out, cluster.address)
    deadline = time.monotonic() + 120
    staged: list[Path] = []
    while not staged and run.poll() is None and time.monotonic() < deadline:
        staged = list(out.glob(".curate.staging-*/staged-*.arrow"))
        time.sleep(0.05)
    assert staged and run.poll() is None, "no partition finished before the run ended"
    victim = cluster.workers[0]
    os.kill(victim.pid, signal.SIGKILL)  # a partition it cleaned is lost with it
    victim.wait(timeout=30)
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    _same(out, local, local_dir)
