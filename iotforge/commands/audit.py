"""Leakage audit: columns that predict the label alone, time-disjoint classes,
conflicting labels, and (with --test) identical feature rows across train and test.

Every column except provenance and labels is probed on its own (a shallow tree,
a value lookup, and its string encoding: length, whitespace), scored by
balanced accuracy on held-out rows against the majority baseline. Findings have
a severity; the command exits 1 when an error finding is neither accepted
(--accept ID) nor removed by excluding its column (--exclude COL). The full
report, with every column's score, goes to --out.

examples:
  iotforge audit data/curated/curated.parquet --out reports/audit.json
  iotforge audit data/split/train.parquet --test data/split/test.parquet --out audit.json
  iotforge audit curated.parquet --out audit.json --exclude date --accept single-column:time
  iotforge audit big/curated.parquet --out audit.json --engine dask --scheduler tcp://h:8786
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import Any

from iotforge.commands._common import add_engine_arguments, engine_from, engine_kind
from iotforge.commands.validate import add_input_arguments, load_input

NAME = "audit"
HELP = "leakage audit: single-column label leaks, time-disjoint classes, train/test overlap"

_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_input_arguments(p)
    p.add_argument("--out", required=True, metavar="REPORT.json", help="report file to write")
    p.add_argument("--test", metavar="TEST", help="test split (curated Parquet) to check "
                   "for feature rows shared with DATA")
    p.add_argument("--exclude", action="extend", nargs="+", default=[], metavar="COL",
                   help="leave columns out of every check")
    p.add_argument("--accept", action="extend", nargs="+", default=[], metavar="FINDING_ID",
                   help="accept reviewed findings, e.g. single-column:date")
    p.add_argument("--near-perfect", type=float, default=0.9, metavar="LIFT",
                   help="lift at which a single column is an error (non-feature) or a "
                        "warning (feature) (default 0.9)")
    p.add_argument("--strong", type=float, default=0.7, metavar="LIFT",
                   help="lift at which an id/endpoint/time column is a warning (default 0.7)")
    p.add_argument("--seed", type=int, default=0, dest="random_state", metavar="N",
                   help="seed of the sampling and held-out splits (default 0)")
    add_engine_arguments(p)


def run(args: argparse.Namespace) -> int:
    from iotforge.curation.leakage.audit import audit
    from iotforge.curation.schema import atomic_text

    if engine_kind(args) != "local":
        report = _audit_dask(args)
    else:
        data = load_input(args)
        test = load_input(args, [args.test]).frame if args.test else None
        report = audit(data.frame, data.meta, test=test, exclude=args.exclude,
                       accept=args.accept, random_state=args.random_state,
                       near_perfect=args.near_perfect, strong=args.strong)
    out = report.to_dict()
    atomic_text(args.out, json.dumps(out, indent=2, default=str) + "\n")
    _print(out, args.out)
    return 0 if report.ok else 1


def _audit_dask(args: argparse.Namespace) -> Any:
    """The audit over the data's partitions on a Dask cluster (docs/scale.md)."""
    from iotforge.commands.validate import dask_input
    from iotforge.curation.engines.dask_audit import audit_dask

    with contextlib.ExitStack() as stack:
        client = stack.enter_context(engine_from(args))
        table = stack.enter_context(dask_input(args, client))
        test = stack.enter_context(dask_input(args, client, [args.test])) if args.test \
            else None
        return audit_dask(table, client, test=test, exclude=args.exclude, accept=args.accept,
                          random_state=args.random_state, near_perfect=args.near_perfect,
                          strong=args.strong)


def _print(out: dict, path: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    if out["findings"]:
        table = Table(title=f"leakage audit: {len(out['findings'])} findings "
                            f"({out['rows']} rows, {out['sampled_rows']} probed)")
        for name in ("severity", "id", "message"):
            table.add_column(name, overflow="fold")
        for f in out["findings"]:
            sev = f["severity"] + (" (accepted)" if f["accepted"] else "")
            table.add_row(f"[{_STYLE[f['severity']]}]{sev}[/]", f["id"], f["message"])
        console.print(table)
    if out["unmatched_accepts"]:
        console.print(f"[yellow]accepted ids with no finding:[/] "
                      f"{', '.join(out['unmatched_accepts'])}")
    if out["ok"]:
        console.print(f"[green]PASS[/] no unaccepted error findings -> {path}")
    else:
        console.print(f"[red]FAIL[/] {len(out['errors'])} error findings: "
                      f"{', '.join(out['errors'])} -> {path}")
        console.print("fix the data, --exclude the column, or --accept the finding id")
