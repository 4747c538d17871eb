"""Split curated data into train and test with no feature row on both sides.

Modes: stratified (per class, the default), time (every training row strictly
earlier than every test row; --by picks the time column), group (whole
groups of --by COLUMN, e.g. source_file or a host, on one side) and predefined
(the dataset's own test side: the source files matching --test-files GLOB, or the
rows where --test-where COLUMN=VALUE; every test row is kept as is, and training
rows identical to a test row are removed from train and counted). A GLOB matches
the source_file path as stored or its base name (case-sensitive). Rows with
identical features never end up on both sides.

--target picks the classes to stratify on and report: label (the canonical
class), attack_family (dos, probe, r2l, u2r, ...; normal rows are 'normal') or
is_attack (attack / normal); it is recorded in the output metadata for the
later stages.

Writes DIR/train.parquet and DIR/test.parquet (TableMeta.split = "train" /
"test", so augmentation can refuse anything but train) and DIR/split.json (rows
per class per side, too-small and one-sided classes, dropped rows, source files
per side).

examples:
  iotforge split data/curated/curated.parquet --out data/split
  iotforge split curated.parquet --out data/split --mode time --test-size 0.3
  iotforge split curated.parquet --out data/split --mode group --by source_file --seed 7
  iotforge split curated.parquet --out data/split --mode predefined --test-files 'KDDTest+*' \\
      --target attack_family
  iotforge split curated.parquet --out data/split --mode predefined --test-where split=test
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from iotforge.commands.validate import add_input_arguments, load_input

if TYPE_CHECKING:
    import pandas as pd

    from iotforge.curation.leakage.split import SplitSide

NAME = "split"
HELP = "leakage-safe train/test split (stratified, time, group or predefined)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_input_arguments(p)
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--mode", choices=("stratified", "time", "group", "predefined"),
                   default="stratified", help="how rows are assigned (default stratified)")
    p.add_argument("--by", metavar="COLUMN", help="group column (group) or time column (time)")
    p.add_argument("--test-size", type=float, default=0.2,
                   help="test fraction (default 0.2; not used by predefined)")
    p.add_argument("--seed", type=int, default=0, dest="random_state", metavar="N",
                   help="seed of every random choice (default 0)")
    p.add_argument("--target", choices=("label", "attack_family", "is_attack"),
                   default="label", help="classes to stratify on and report (default label)")
    p.add_argument("--test-files", action="extend", nargs="+", metavar="GLOB",
                   help="predefined: the source files of the test side (repeatable)")
    p.add_argument("--test-where", action="extend", nargs="+", metavar="COLUMN=VALUE",
                   help="predefined: test rows are those where COLUMN has VALUE (several "
                        "values of one column: any of them)")


def run(args: argparse.Namespace) -> int:
    import pyarrow as pa

    from iotforge.curation.errors import UsageError
    from iotforge.curation.leakage.split import split
    from iotforge.curation.schema import atomic_text, write_table_atomic

    column, values = _test_where(args.test_where)
    if (args.test_files or column) and args.mode != "predefined":
        raise UsageError(f"--test-files and --test-where need --mode predefined, found "
                         f"--mode {args.mode}")
    data = load_input(args)
    result = split(data.frame, data.meta, mode=args.mode, by=args.by,
                   test_size=args.test_size, random_state=args.random_state,
                   target=args.target, test_files=args.test_files, test_column=column,
                   test_value=values)
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


def _test_where(items: list[str] | None) -> tuple[str | None, list[str] | None]:
    """``COLUMN=VALUE ...`` (one column) as the column and its values."""
    from iotforge.curation.errors import UsageError

    if not items:
        return None, None
    pairs = [item.partition("=") for item in items]
    bad = [item for item, (col, sep, _) in zip(items, pairs, strict=True)
           if not sep or not col.strip()]
    if bad:
        raise UsageError(f"--test-where: expected COLUMN=VALUE, found {bad[0]!r}",
                         hint="e.g. --test-where split=test")
    columns = sorted({col.strip() for col, _, _ in pairs})
    if len(columns) > 1:
        raise UsageError(f"--test-where: expected values of one column, found columns "
                         f"{columns}")
    return columns[0], [value.strip() for _, _, value in pairs]


def _print(report: dict, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    table = Table(title=f"{report['mode']} split"
                        + (f" by {report['by']}" if report.get("by") else "")
                        + (f", target {report['target']}" if report["target"] != "label"
                           else ""))
    for name in ("class", "train", "test", "dropped", "note"):
        table.add_column(name, justify="left" if name in ("class", "note") else "right")
    for cls, n in report["classes"].items():
        note = ("too small: train only" if cls in report["too_small"]
                else "no train rows" if cls in report["no_train_rows"]
                else "no test rows" if cls in report["no_test_rows"] else "")
        table.add_row(cls, str(n["train"]), str(n["test"]), str(n["dropped"]), note)
    console.print(table)
    rows = report["rows"]
    files = report.get("source_files")
    if report["mode"] == "predefined" and files:
        console.print(f"test files: {', '.join(files['test'])}")
    removed = report.get("train_rows_removed_as_test_duplicates")
    if removed:
        console.print(f"{removed['rows']} training rows identical to a test row removed from "
                      "train (all test rows kept)")
    console.print(f"{rows['train']} train, {rows['test']} test, {rows['dropped']} dropped; "
                  f"0 feature rows shared -> {out}")
