"""Curate every shared dataset and write a canonical digest of each output set.

Run it on two versions of the code and compare the digests: equal digests mean the
same curated rows, the same quarantined rows and the same report (paths made
relative, nothing else left out). The datasets (``../shared/datasets`` or
``$IOTFORGE_DATASETS``):

- each TON_IoT telemetry CSV on its own (7),
- each IoT-23 ``conn.log.labeled`` on its own (3), and each IoT-23 pcap with the
  labels of the conn.log next to it (3),
- the CIC-IDS2017 sample folder as one run (16 files),
- the MQTTset pcaps as one run (12 captures),
- the seeded demo captures (``iotforge.curation.demo``: BOM, CRLF, a truncated line, Zeek
  markers), and 20,000 rows of ``gen_cic.py`` output (``Infinity``, sentinels).

Each dataset is curated twice: with the default policies and with every rule at its
other policy (``strict``), so both branches of every rule are compared.

A digest holds, for ``curated.parquet`` and ``quarantine.parquet``, the schema, the
row count and a SHA-256 per column over the rows in a canonical order (sorted by
file, record number and content), and the whole ``report.json`` with the dataset
root replaced by ``$DATA``.

usage::

    python benchmarks/compare_outputs.py --out benchmarks/_work/before        # digests only
    python benchmarks/compare_outputs.py --out benchmarks/_work/after \
        --against benchmarks/_work/before

Exit status 1 when ``--against`` is given and any digest differs (the differing
parts are printed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from iotforge.curation._typing import Policy  # noqa: E402

STRICT: dict[str, Policy] = {"case": "report", "boolean": "quarantine", "numeric": "set_missing",
          "timestamp": "quarantine", "sentinel": "quarantine", "range": "quarantine",
          "label_conflict": "report", "exact_duplicate": "report", "repeated_except_id": "report"}
VARIANTS: dict[str, dict[str, Policy]] = {"default": {}, "strict": STRICT}


def datasets_dir() -> Path:
    return Path(os.environ.get("IOTFORGE_DATASETS") or ROOT.parent / "shared" / "datasets")


def plan(data: Path, scratch: Path) -> dict[str, list[Path]]:
    """Dataset name -> the inputs of one curate run."""
    runs: dict[str, list[Path]] = {}
    for f in sorted(data.glob("ton_iot_telemetry/*.csv")):
        runs[f"ton_iot/{f.stem}"] = [f]
    for f in sorted(data.glob("iot23/*/conn.log.labeled")):
        runs[f"iot23_log/{f.parent.name}"] = [f]
    for f in sorted(data.glob("iot23/*/*.pcap")):
        runs[f"iot23_pcap/{f.parent.name}"] = [f]
    if (data / "cicids2017_improved_sample").is_dir():
        runs["cicids2017"] = [data / "cicids2017_improved_sample"]
    if (data / "mqttset_pcap").is_dir():
        runs["mqttset"] = [data / "mqttset_pcap"]
    from iotforge.curation.demo import write_demo

    runs["demo"] = sorted(write_demo(scratch / "demo", seed=0))
    gen = scratch / "gen_cic.csv"
    subprocess.run([sys.executable, str(HERE / "gen_cic.py"), str(gen), "--gigabytes",
                    "0.013"], check=True, capture_output=True)
    runs["gen_cic"] = [gen]
    return runs


def _column_digest(arr: pa.ChunkedArray) -> str:
    """SHA-256 of a column's values in order (exact: floats by repr, nulls marked)."""
    h = hashlib.sha256(str(arr.type).encode())
    for v in arr.to_pylist():
        h.update(b"\x00" if v is None else repr(v).encode() + b"\x01")
    return h.hexdigest()


def _canonical(table: pa.Table, keys: list[str]) -> pa.Table:
    """Rows sorted by ``keys`` and then by every column's text (a total order)."""
    text = [c for c in table.column_names if c not in keys]
    tmp = table
    for c in text:
        tmp = tmp.append_column(f"\0{c}", pc.cast(table.column(c), pa.string()))
    order = pc.sort_indices(tmp, sort_keys=[(k, "ascending") for k in keys]
                            + [(f"\0{c}", "ascending") for c in text])
    return table.take(order)


def _relative(value: Any, root: str, scratch: str) -> Any:
    if isinstance(value, str):
        return value.replace(root, "$DATA").replace(scratch, "$SCRATCH")
    if isinstance(value, list):
        return [_relative(v, root, scratch) for v in value]
    if isinstance(value, dict):
        return {k: _relative(v, root, scratch) for k, v in value.items()}
    return value


def _table_digest(path: Path, keys: list[str], fix: Callable[[Any], Any]) -> dict[str, Any]:
    table = pq.read_table(path)
    meta = (table.schema.metadata or {}).get(b"iotforge")
    if "source_file" in table.column_names:
        files = [fix(v) for v in table.column("source_file").to_pylist()]
        table = table.set_column(table.column_names.index("source_file"), "source_file",
                                 pa.array(files, pa.string()))
    if "record" in table.column_names:  # quarantined raw records may hold paths
        recs = [fix(v) for v in table.column("record").to_pylist()]
        table = table.set_column(table.column_names.index("record"), "record",
                                 pa.array(recs, pa.string()))
    table = _canonical(table.replace_schema_metadata(None), keys)
    return {
        "rows": table.num_rows,
        "schema": [f"{f.name}: {f.type}" for f in table.schema],
        "metadata": fix(json.loads(meta)) if meta else None,
        "columns": {c: _column_digest(table.column(c)) for c in table.column_names},
    }


def digest(out: Path, root: Path, scratch: Path) -> dict[str, Any]:
    """The canonical digest of one curate output folder."""
    def fix(v: Any) -> Any:
        return _relative(v, str(root), str(scratch))

    keys = ["source_file", "source_row"]
    return {
        "curated": _table_digest(out / "curated.parquet", keys, fix),
        "quarantine": _table_digest(out / "quarantine.parquet", keys + ["rule"], fix),
        "report": fix(json.loads((out / "report.json").read_text())),
    }


def run_all(dest: Path, only: str | None = None) -> dict[str, float]:
    """Curate every dataset under every variant; one digest JSON each under ``dest``."""
    from iotforge.curation.curate import curate

    data = datasets_dir()
    if not data.is_dir():
        sys.exit(f"shared datasets not found at {data} (set IOTFORGE_DATASETS)")
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="iotforge_compare_") as tmp:
        scratch = Path(tmp)
        for name, inputs in plan(data, scratch).items():
            for variant, policies in VARIANTS.items():
                key = f"{name}@{variant}"
                if only and only not in key:
                    continue
                out = scratch / "out" / key.replace("/", "__")
                start = time.perf_counter()
                curate(inputs, out, policies=policies)
                seconds[key] = time.perf_counter() - start
                target = dest / f"{key.replace('/', '__')}.json"
                target.write_text(json.dumps(digest(out, data, scratch), indent=1,
                                             sort_keys=True) + "\n")
    return seconds


def _diff(a: Any, b: Any, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b)):
            out += _diff(a.get(k), b.get(k), f"{where}/{k}")
        return out
    return [] if a == b else [f"{where}: {json.dumps(b)[:300]} -> {json.dumps(a)[:300]}"]


def compare(new: Path, old: Path) -> int:
    """Print what differs between two digest folders; the number of differing datasets."""
    names = sorted({p.name for p in new.glob("*.json")} | {p.name for p in old.glob("*.json")})
    bad = 0
    for name in names:
        a, b = new / name, old / name
        if not a.exists() or not b.exists():
            print(f"{name}: only in {'new' if a.exists() else 'old'}")
            bad += 1
            continue
        diffs = _diff(json.loads(a.read_text()), json.loads(b.read_text()))
        if diffs:
            bad += 1
            print(f"{name}: {len(diffs)} differences")
            for d in diffs[:20]:
                print("   ", d)
    print(f"{len(names) - bad} of {len(names)} output sets identical")
    return bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="folder for the digests (created)")
    ap.add_argument("--against", help="folder of earlier digests to compare with")
    ap.add_argument("--only", help="only datasets whose name@variant contains this")
    args = ap.parse_args()
    dest = Path(args.out)
    dest.mkdir(parents=True, exist_ok=True)
    seconds = run_all(dest, args.only)
    for key, s in seconds.items():
        print(f"{key}: {s:.1f} s")
    print(f"curate time, all datasets: {sum(seconds.values()):.1f} s")
    if args.against:
        sys.exit(1 if compare(dest, Path(args.against)) else 0)


if __name__ == "__main__":
    main()
