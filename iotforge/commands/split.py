"""Split curated data into train and test with no feature row on both sides.

Modes: stratified (per class, the default), time (every training row strictly
earlier than every test row; --by picks the time column) and group (whole
groups of --by COLUMN, e.g. source_file or a host, on one side). Rows with
identical features always stay together. Writes DIR/train.parquet and
DIR/test.parquet (TableMeta.split = "train" / "test", so augmentation can refuse
anything but train) and DIR/split.json (rows per class per side, too-small and
one-sided classes, dropped rows).

examples:
  iotforge split data/curated/curated.parquet --out data/split
  iotforge split curated.parquet --out data/split --mode time --test-size 0.3
  iotforge split curated.parquet --out data/split --mode group --by source_file --seed 7
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from iotforge.commands.validate import add_input_arguments, load_data

if TYPE_CHECKING:
    import pandas as pd

    from curation.split import SplitSide

NAME = "split"
HELP = "leakage-safe train/test split (stratified, time or group)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_input_arguments(p)
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--mode", choices=("stratified", "time", "group"), default="stratified",
                   help="how rows are assigned (default stratified)")
    p.add_argument("--by", metavar="COLUMN", help="group column (group) or time column (time)")
    p.add_argument("--test-size", type=float, default=0.2, help="test fraction (default 0.2)")
    p.add_argument("--seed", type=int, default=0, dest="random_state", metavar="N",
                   help="seed of every random choice (default 0)")


def run(args: argparse.Namespace) -> int:
    import pyarrow as pa

    from curation.schema import atomic_text, write_table_atomic
    from curation.split import split

    data = load_data(args.data, args.format)
    result = split(data.frame, data.meta, mode=args.mode, by=args.by,
                   test_size=args.test_size, random_state=args.random_state)
    out = Path(args.out)
    schema = data.schema.remove_metadata()
    sides: tuple[tuple[SplitSide, pd.DataFrame], ...] = (("train", result.train),
                                                         ("test", result.test))
    for side, frame in sides:
        table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        write_table_atomic(table, out / f"{side}.parquet", result.meta_for(side, data.meta))
    atomic_text(out / "split.json", json.dumps(result.report, indent=2, default=str) + "\n")
    _print(result.report, out)
    return 0


def _print(report: dict, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    table = Table(title=f"{report['mode']} split"
                        + (f" by {report['by']}" if report.get("by") else ""))
    for name in ("class", "train", "test", "dropped", "note"):
        table.add_column(name, justify="left" if name in ("class", "note") else "right")
    for cls, n in report["classes"].items():
        note = ("too small: train only" if cls in report["too_small"]
                else "no train rows" if cls in report["no_train_rows"]
                else "no test rows" if cls in report["no_test_rows"] else "")
        table.add_row(cls, str(n["train"]), str(n["test"]), str(n["dropped"]), note)
    console.print(table)
    rows = report["rows"]
    console.print(f"{rows['train']} train, {rows['test']} test, {rows['dropped']} dropped; "
                  f"0 feature rows shared -> {out}")
