"""curate on the local engine versus the Dask engine, same file, same machine, same run.

Generates (or reuses) a CICFlowMeter-like CSV (``benchmarks/gen_cic.py``), then curates
it in fresh subprocesses:

- ``local``: ``curate([csv], out)``, the streaming engine;
- ``dask, N workers``: ``curate([csv], out, engine=client)`` on a ``LocalCluster`` of N
  single-threaded worker processes started inside the run (its start-up time counts).

Wall time of each run; peak RSS of the driver process, of each worker process and of
all of them together (sampled every 0.1 s with psutil). The two engines' report.json
must agree (the run stops otherwise). With ``--scaling``, every size in ``--sizes`` is
run on 1 and 2 workers and the seconds per GB give a projection for CIC-IoT-2023
(13 GB) on 16 workers; the assumptions are printed with it.

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

HERE = Path(__file__).resolve().parent

RUN = """
import json, logging, sys, time
from curation.curate import curate
if __name__ == "__main__":
    csv, out, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    t = time.perf_counter()
    if workers == 0:
        report = curate([csv], out)
    else:
        from distributed import Client, LocalCluster
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=logging.CRITICAL) as cluster, \\
                Client(cluster) as client:
            report = curate([csv], out, engine=client)
    print(json.dumps({"seconds": time.perf_counter() - t, "total": report["total"],
                      "engine": report.get("engine")}))
"""


def measure(csv: Path, out: Path, workers: int) -> dict[str, object]:
    """One run in a fresh process; its time and the peak memory of its processes."""
    import psutil

    proc = subprocess.Popen([sys.executable, "-c", RUN, str(csv), str(out), str(workers)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent = psutil.Process(proc.pid)
    peak: dict[int, int] = {}
    peak_total = 0
    while proc.poll() is None:
        try:
            procs = [parent, *parent.children(recursive=True)]
            rss = {}
            for p in procs:
                try:
                    rss[p.pid] = p.memory_info().rss
                except psutil.Error:
                    continue
        except psutil.Error:
            break
        for pid, r in rss.items():
            peak[pid] = max(peak.get(pid, 0), r)
        peak_total = max(peak_total, sum(rss.values()))
        time.sleep(0.1)
    stdout, stderr = proc.communicate()
    if proc.returncode:
        sys.exit(stderr[-3000:])
    result = json.loads(stdout.strip().splitlines()[-1])
    others = [v for pid, v in peak.items() if pid != proc.pid]
    result.update(driver_mb=peak.get(proc.pid, 0) / 2**20,
                  worker_mb=max(others, default=0) / 2**20, total_mb=peak_total / 2**20)
    return result


def generate(gigabytes: float, work: Path) -> Path:
    csv = work / f"cic_{gigabytes:g}gb.csv"
    if not csv.exists():
        subprocess.run([sys.executable, str(HERE / "gen_cic.py"), str(csv), "--gigabytes",
                        str(gigabytes)], check=True)
    return csv


def row(label: str, csv: Path, r: dict[str, object], base: float | None) -> str:
    gb = csv.stat().st_size / 1e9
    secs = float(r["seconds"])  # type: ignore[arg-type]
    ratio = f"{base / secs:.2f}" if base else "1.00"
    return (f"| {gb:.2f} GB | {label} | {secs:.1f} | {secs / gb:.1f} | {ratio} | "
            f"{r['driver_mb']:,.0f} | {r['worker_mb']:,.0f} | {r['total_mb']:,.0f} |")


HEAD = ("| input | engine | seconds | s/GB | speed-up vs local | driver peak RSS (MB) | "
        "peak RSS per worker (MB) | peak RSS in total (MB) |\n|---|---|---:|---:|---:|---:|"
        "---:|---:|")


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
          f"{platform.python_version()}, {dt.date.today()}\n")
    csv = generate(args.gigabytes, args.work)
    local = measure(csv, args.work / "out_local", 0)
    dask = measure(csv, args.work / "out_dask", args.workers)
    if local["total"] != dask["total"]:
        sys.exit(f"the engines disagree: {local['total']} != {dask['total']}")
    print(HEAD)
    print(row("local", csv, local, None))
    print(row(f"dask, {args.workers} workers", csv, dask, float(local["seconds"])))  # type: ignore[arg-type]
    print(f"\npartitions: {dask['engine']}")
    if not args.scaling:
        return
    per_gb: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    print("\n" + HEAD)
    for size in (float(s) for s in args.sizes.split(",")):
        path = generate(size, args.work)
        gb = path.stat().st_size / 1e9
        for workers in (1, 2):
            r = measure(path, args.work / f"out_{size:g}_{workers}", workers)
            per_gb[workers].append((gb, float(r["seconds"])))  # type: ignore[arg-type]
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
