"""Draft a data contract (a Great Expectations suite) from reference data.

DATA is curated Parquet or raw captures (curated on the fly). The draft holds,
per column: existence, storage type, null fraction, numeric range widened by
--margin, the value set of low-cardinality categoricals, the label set, id
uniqueness; and for the table: its exact column set and a row-count floor. Each
expectation says in meta.why what produced it. Review and edit the draft, then
commit it under expectations/ (see expectations/README.md).

examples:
  iotforge profile data/curated/curated.parquet --out expectations/my_capture.json
  iotforge profile Train_Test_IoT_Fridge.csv --out fridge.json --margin 0.2 \\
      --allow-label scanning --allow-label normal
  iotforge profile big/curated.parquet --out big.json --engine dask --scheduler tcp://h:8786
"""

from __future__ import annotations

import argparse
from pathlib import Path

from iotforge.commands._common import add_engine_arguments, engine_from, engine_kind
from iotforge.commands.validate import add_input_arguments, load_input

NAME = "profile"
HELP = "draft a data-contract suite (JSON) from reference data"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_input_arguments(p)
    p.add_argument("--out", required=True, metavar="SUITE.json", help="suite file to write")
    p.add_argument("--name", help="suite name (default: the --out file name)")
    p.add_argument("--margin", type=float, default=0.1,
                   help="fraction of each numeric range added on both sides (default 0.1)")
    p.add_argument("--max-categories", type=int, default=30, metavar="N",
                   help="string columns with at most N values get a value set (default 30)")
    p.add_argument("--allow-label", action="append", default=[], metavar="CLASS",
                   help="a class allowed in 'label' though absent from DATA (repeatable)")
    p.add_argument("--alias", action="append", default=[], metavar="NAME",
                   help="another name --suite may use for this suite (repeatable)")
    add_engine_arguments(p)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from iotforge.curation.contracts.profile import dump_suite, profile_frame
    from iotforge.curation.schema import atomic_text

    name = args.name or Path(args.out).stem
    if engine_kind(args) != "local":
        from iotforge.commands.validate import dask_input
        from iotforge.curation.engines.dask_profile import profile_dask

        with engine_from(args) as client, dask_input(args, client) as table:
            suite = profile_dask(table, client, margin=args.margin, name=name,
                                 max_categories=args.max_categories,
                                 extra_labels=args.allow_label)
            rows, columns = table.rows, len(table.columns)
    else:
        data = load_input(args)
        suite = profile_frame(data.frame, data.meta, margin=args.margin, name=name,
                              max_categories=args.max_categories,
                              extra_labels=args.allow_label)
        rows, columns = len(data.frame), data.frame.shape[1]
    if args.alias:
        suite["meta"]["iotforge"]["aliases"] = list(args.alias)
    atomic_text(args.out, dump_suite(suite))
    Console(stderr=True).print(
        f"drafted {len(suite['expectations'])} expectations over {columns} columns "
        f"from {rows} rows -> {args.out} (review it before committing)")
    return 0
