"""curate on the local engine versus the Dask engine, same file, same machine, same run.

Generates (or reuses) a CICFlowMeter-like CSV (``benchmarks/gen_cic.py``), then curates
it in fresh subprocesses:

- ``local``: ``curate([csv], out)``, the streaming engine;
- ``dask, N workers``: ``curate([csv], out, engine=client)`` on the ``LocalCluster``
  that ``--engine dask`` starts on a machine of N cores
  (:func:`iotforge.curation.engines.local_cluster`: N worker processes, one thread each;
  docs/scale.md says why). The cluster's start-up (worker processes, their imports) is
  timed apart: ``seconds`` is the curate call on the running cluster, ``with start-up``
  the speed-up when the start-up counts too.

Wall time of each run; CPU seconds of all its processes (user + system) and the cores
they kept busy on average (CPU seconds / wall seconds); peak RSS of the driver process,
of each worker process and of all of them together (sampled every 0.1 s with psutil).
The two engines' report.json totals must agree (the run stops otherwise). With
``--scaling``, every size in ``--sizes`` is run on 1 and 2 workers, all with Parquet
dataset directories as outputs (what inputs past 1 GiB give, and what CIC-IoT-2023
would), and the seconds per GB give a projection for CIC-IoT-2023 (13 GB) on 16
workers; the assumptions are printed with it.

usage: python benchmarks/bench_dask.py [--gigabytes 2] [--workers 2] [--scaling]
       [--sizes 0.5,1,2] [--work benchmarks/_work]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

RUN = """
import json, sys, time
from iotforge.curation.curate import curate
from iotforge.curation.engines import dask_curate
if __name__ == "__main__":
    csv, out, workers, dataset = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    if dataset == "always":
        dask_curate.DATASET_OVER_BYTES = 0
    t = time.perf_counter()
    if workers == 0:
        report = curate([csv], out)
        print(json.dumps({"seconds": time.perf_counter() - t, "startup": 0.0,
                          "total": report["total"], "engine": None}))
        sys.exit(0)
    from distributed import Client
    from iotforge.curation.engines import local_cluster

    def warm():  # the workers' imports belong to their start-up
        import iotforge.curation.engines._curate_tasks  # noqa: F401

    with local_cluster(workers) as cluster, Client(cluster) as client:
        client.run(warm)
        started = time.perf_counter()
        report = curate([csv], out, engine=client)
        done = time.perf_counter()
    print(json.dumps({"seconds": done - started, "startup": started - t,
                      "total": report["total"], "engine": report.get("engine")}))
"""


def measure(csv: Path, out: Path, workers: int, dataset: str = "auto") -> dict[str, Any]:
    """One run in a fresh process; its times, CPU seconds and peak memory."""
    import psutil

    wall = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", RUN, str(csv), str(out), str(workers),
                             dataset], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    parent = psutil.Process(proc.pid)
    peak: dict[int, int] = {}
    cpu: dict[int, float] = {}
    peak_total = 0
    while proc.poll() is None:
        try:
            procs = [parent, *parent.children(recursive=True)]
        except psutil.Error:
            break
        rss = {}
        for p in procs:
            try:
                with p.oneshot():
                    rss[p.pid] = p.memory_info().rss
                    times = p.cpu_times()
                    cpu[p.pid] = times.user + times.system
            except psutil.Error:
                continue
        for pid, r in rss.items():
            peak[pid] = max(peak.get(pid, 0), r)
        peak_total = max(peak_total, sum(rss.values()))
        time.sleep(0.1)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - wall
    if proc.returncode:
        sys.exit(stderr[-3000:])
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    others = [v for pid, v in peak.items() if pid != proc.pid]
    cpu_s = sum(cpu.values())
    result.update(driver_mb=peak.get(proc.pid, 0) / 2**20,
                  worker_mb=max(others, default=0) / 2**20, total_mb=peak_total / 2**20,
                  cpu_s=cpu_s, cores=cpu_s / wall)
    return result


def generate(gigabytes: float, work: Path) -> Path:
    csv = work / f"cic_{gigabytes:g}gb.csv"
    if not csv.exists():
        subprocess.run([sys.executable, str(HERE / "gen_cic.py"), str(csv), "--gigabytes",
                        str(gigabytes)], check=True)
    return csv


def row(label: str, csv: Path, r: dict[str, Any], base: dict[str, Any] | None) -> str:
    gb = csv.stat().st_size / 1e9
    secs, startup = float(r["seconds"]), float(r["startup"])
    none = "1.00" if r["engine"] is None else "–"
    worker = "–" if r["engine"] is None else f"{r['worker_mb']:,.0f}"
    ratio = f"{base['seconds'] / secs:.2f}" if base else none
    ratio_all = f"{base['seconds'] / (secs + startup):.2f}" if base else none
    return (f"| {gb:.2f} GB | {label} | {secs:.1f} | {startup:.1f} | {secs / gb:.1f} | "
            f"{ratio} | {ratio_all} | {r['cpu_s']:.0f} | {r['cores']:.2f} | "
            f"{r['driver_mb']:,.0f} | {worker} | {r['total_mb']:,.0f} |")


HEAD = ("| input | engine | seconds | start-up s | s/GB | speed-up vs local | "
        "with start-up | CPU s | cores busy | driver peak RSS (MB) | "
        "peak RSS per worker (MB) | peak RSS in total (MB) |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gigabytes", type=float, default=2.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scaling", action="store_true")
    ap.add_argument("--sizes", default="0.5,1,2")
    ap.add_argument("--work", type=Path, default=HERE / "_work")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {dt.date.today()}, load average "
          f"{os.getloadavg()[0]:.1f} before the runs\n")
    csv = generate(args.gigabytes, args.work)
    local = measure(csv, args.work / "out_local", 0)
    dask = measure(csv, args.work / "out_dask", args.workers)
    if local["total"] != dask["total"]:
        sys.exit(f"the engines disagree: {local['total']} != {dask['total']}")
    print(HEAD)
    print(row("local", csv, local, None))
    print(row(f"dask, {args.workers} workers", csv, dask, local))
    print(f"\npartitions: {dask['engine']}")
    if not args.scaling:
        return
    per_gb: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    print("\n" + HEAD)
    for size in (float(s) for s in args.sizes.split(",")):
        path = generate(size, args.work)
        gb = path.stat().st_size / 1e9
        for workers in (1, 2):
            r = measure(path, args.work / f"out_{size:g}_{workers}", workers, "always")
            per_gb[workers].append((gb, float(r["seconds"])))
            print(row(f"dask, {workers} worker{'s' if workers > 1 else ''}", path, r, None))
    projection(per_gb)


def projection(per_gb: dict[int, list[tuple[float, float]]]) -> None:
    """Seconds = fixed + per-GB cost, fitted per worker count; 13 GB on 16 workers."""
    import numpy as np

    fits = {}
    for workers, points in per_gb.items():
        gb, secs = np.array(points).T
        slope, fixed = np.polyfit(gb, secs, 1)
        fits[workers] = (fixed, slope)
        print(f"\n{workers} worker(s): {fixed:.1f} s fixed + {slope:.1f} s per GB")
    efficiency = fits[1][1] / (2 * fits[2][1])
    seconds = fits[2][0] + 13 * fits[1][1] / (16 * min(efficiency, 1.0))
    print(f"parallel efficiency 1 -> 2 workers: {efficiency:.2f}")
    print(f"projected CIC-IoT-2023 (13 GB) on 16 workers: {seconds / 60:.1f} min, assuming "
          "16 workers of this machine's per-core speed, the 1 -> 2 worker efficiency held "
          "to 16, inputs split into partitions (enough files or byte ranges), and shared "
          "storage that keeps up")


if __name__ == "__main__":
    main()
