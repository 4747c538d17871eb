"""Write seeded demo captures (telemetry CSV, Zeek conn.log, CICFlowMeter CSV).

They carry the noise real captures have and rare classes of tens of rows; they are
the default input of `make demo` and `dvc repro`.

example:
  iotforge demo data/demo --seed 0
"""

from __future__ import annotations

import argparse

NAME = "demo"
HELP = "write seeded multi-format demo captures"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out_dir", metavar="OUT_DIR")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def run(args: argparse.Namespace) -> int:
    from iotforge.curation.demo import write_demo

    for path in write_demo(args.out_dir, seed=args.seed):
        print(path)
    return 0
