"""Curation throughput and peak memory versus a plain pyarrow CSV read, same file, same run.

Generates (or reuses) a CICFlowMeter-like CSV, then runs, each in a fresh
subprocess so peak RSS is its own:

- ``pyarrow``: ``pyarrow.csv.read_csv(path)``, the read a user would otherwise call
  (types inferred, whole table in memory, no cleaning);
- ``pyarrow-stream``: ``pyarrow.csv.open_csv`` iterated batch by batch (bounded memory);
- ``iotforge curate``: detect, parse, clean, label, dedupe, account, write Parquet.

Prints a Markdown table (machine, date, rows/s, MB/s, peak RSS, ratios).

The load average before and after is printed too: the machine may be shared, and a
busy machine slows the three differently (curate overlaps parsing, cleaning and
writing on threads; read_csv parses on all cores).

usage: python benchmarks/bench_curate.py [--gigabytes 1] [--work benchmarks/_work]
       [--repeat N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

RUNNERS = {
    "pyarrow.csv.read_csv": (
        "import pyarrow.csv as c, sys; t = c.read_csv(sys.argv[1]); print(t.num_rows)"),
    "pyarrow.csv.open_csv (streamed)": (
        "import pyarrow.csv as c, sys\n"
        "n = 0\n"
        "for b in c.open_csv(sys.argv[1]): n += b.num_rows\n"
        "print(n)"),
    "iotforge curate": (
        "import sys, json; from iotforge.curation.curate import curate\n"
        "r = curate([sys.argv[1]], sys.argv[2]); print(r['total']['rows_read'])"),
}


def measure(code: str, path: Path, out: Path) -> dict[str, float]:
    wrapper = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run([sys.executable, '-c', sys.argv[1], sys.argv[2], sys.argv[3]],"
        " capture_output=True, text=True)\n"
        "el = time.perf_counter() - t\n"
        "if p.returncode: sys.exit(p.stderr)\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(json.dumps({'seconds': el, 'rows': int(p.stdout.split()[-1]), 'rss_kb': rss}))\n"
    )
    res = subprocess.run([sys.executable, "-c", wrapper, code, str(path), str(out)],
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def _load(avg: tuple[float, float, float]) -> str:
    return "/".join(f"{v:.1f}" for v in avg)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gigabytes", type=float, default=1.0)
    ap.add_argument("--work", default=str(HERE / "_work"))
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"cic_{args.gigabytes:g}g.csv"
    if not path.exists():
        subprocess.run([sys.executable, str(HERE / "gen_cic.py"), str(path), "--gigabytes",
                        str(args.gigabytes)], check=True)
    size = path.stat().st_size
    load_before = os.getloadavg()
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in RUNNERS}
    for _ in range(args.repeat):  # interleaved, so a change of load hits every reader
        for name, code in RUNNERS.items():
            runs[name].append(measure(code, path, work / "curated"))
    results = {name: min(r, key=lambda x: x["seconds"]) for name, r in runs.items()}
    load_after = os.getloadavg()
    base = results["pyarrow.csv.read_csv"]
    import pyarrow

    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, pyarrow {pyarrow.__version__}; date "
          f"{dt.date.today()}; input {size / 1e9:.2f} GB, {base['rows']} rows; load average "
          f"(1, 5, 15 min) before {_load(load_before)}, after {_load(load_after)}; best of "
          f"{args.repeat}\n")
    print("| reader | seconds | rows/s | MB/s | peak RSS (MB) | throughput vs read_csv |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['seconds']:.1f} | {r['rows'] / r['seconds']:,.0f} | "
              f"{size / 1e6 / r['seconds']:.0f} | {r['rss_kb'] / 1024:.0f} | "
              f"{base['seconds'] / r['seconds']:.2f} |")


if __name__ == "__main__":
    main()
