"""Ingest captures of any supported format into one clean, fully accounted table.

Writes OUT/curated.parquet, OUT/quarantine.parquet (every rejected row with its
rule and reason) and OUT/report.json (per file and in total: rows_read, rows_out,
rows_quarantined, rows_duplicate, and counts per rule).

examples:
  iotforge curate captures/*.csv --out data/curated
  iotforge curate conn.log.labeled Train_Test_IoT_Fridge.csv --out data/curated
  iotforge curate flows.csv --format mapping --mapping my_tool.yaml --out data/curated
  iotforge curate capture.pcap --label-rules rules.yaml --out data/curated
  iotforge curate x.csv --policy range=quarantine --taxonomy extra_labels.yaml --out d
  iotforge curate captures/ --on-bad-file skip --out data/curated
  iotforge curate export_de.csv --mapping sensor.yaml --delimiter ';' --decimal , --out d
  iotforge curate big/*.csv --engine dask --scheduler tcp://10.0.0.5:8786 --out data/curated

The three outputs are replaced together: an interrupted run leaves the previous
set, and a second run into the same --out while one is writing stops with exit 2.
Every input that cannot be read at all is named in one error (exit 2); with
--on-bad-file skip the others are curated and the unusable ones are listed under
"skipped" in report.json.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, cast

from iotforge.commands._common import (
    add_engine_arguments,
    engine_from,
    load_yaml,
    parse_policies,
    progress_bar,
)

if TYPE_CHECKING:
    from iotforge.curation._typing import Policy

NAME = "curate"
HELP = "ingest, clean, dedupe and account captures -> curated.parquet"
SHOWN = 10
"""Skipped files listed on the terminal; report.json lists them all."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="capture files, directories (read recursively) or glob patterns")
    p.add_argument("--inputs", dest="more_inputs", nargs="+", default=[], metavar="INPUT",
                   help="more inputs, as an option: how params.yaml passes a list "
                        "(curate.args.inputs)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    from iotforge.curation.sources import format_help  # the adapter registry, plugins included

    p.add_argument("--format", metavar="F", help=format_help())
    p.add_argument("--mapping", metavar="FILE", help="YAML mapping for --format mapping")
    p.add_argument("--taxonomy", action="append", default=[], metavar="FILE",
                   help="extra label taxonomy YAML merged over the built-in one")
    p.add_argument("--policy", action="append", default=[], metavar="RULE=POLICY",
                   help="change a cleaning rule's policy, e.g. range=quarantine")
    p.add_argument("--default-label", metavar="CLASS",
                   help="label for records that carry none (an unlabelled capture)")
    p.add_argument("--label-rules", metavar="FILE", help="pcap label rules (YAML)")
    p.add_argument("--on-bad-file", choices=("fail", "skip"), default="fail",
                   help="inputs that cannot be read at all (unreadable, empty, unknown "
                        "format): fail names them all and writes nothing (default); skip "
                        "curates the others and lists them in report.json")
    p.add_argument("--dedupe-scope", choices=("global", "file"), default="global",
                   help="exact duplicates across all inputs (default), or within each file "
                        "only: for official train/test files, whose shared records the "
                        "predefined split then removes from train")
    p.add_argument("--delimiter", metavar="CHAR",
                   help="field delimiter of CSV inputs, e.g. ';' (default: sniffed per file; "
                        "over a mapping's delimiter:)")
    p.add_argument("--decimal", choices=(".", ","),
                   help="decimal separator of numbers in CSV inputs (default: detected per "
                        "file: ',' in a ';' file whose numbers read 30,5; over a mapping's "
                        "decimal:)")
    p.add_argument("--clock", metavar="COLUMN",
                   help="when records carry two clocks (an epoch 'ts' and a date and time), "
                        "the column that holds the true time: 'timestamp' is made from it "
                        "(default: both kept, their differences counted)")
    add_engine_arguments(p, partitions=True)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from iotforge.curation.curate import curate
    from iotforge.curation.errors import UsageError

    args.inputs = [*args.inputs, *args.more_inputs]
    if not args.inputs:
        raise UsageError("expected at least one INPUT (or --inputs), found none")
    mapping = load_yaml(args.mapping) if args.mapping else None
    if mapping is not None and args.format is None:
        args.format = "mapping"
    total = sum(_size(Path(p)) for p in args.inputs)
    with engine_from(args) as engine, progress_bar("curating", total) as advance:
        report = curate(
            args.inputs, args.out, format=args.format, mapping=mapping,
            taxonomy_files=args.taxonomy,
            policies=cast("dict[str, Policy]", parse_policies(args.policy)),  # curate checks
            default_label=args.default_label, label_rules=args.label_rules,
            progress=advance, on_bad_file=args.on_bad_file,
            dedupe_scope=args.dedupe_scope, engine=engine,
            partition_bytes=args.partition_size << 20,
            delimiter=_delimiter(args.delimiter), decimal=args.decimal, clock=args.clock,
        )
    t = report["total"]
    console = Console(stderr=True)
    console.print(
        f"[bold]{t['rows_read']}[/] rows read: {t['rows_out']} out, "
        f"{t['rows_quarantined']} quarantined, {t['rows_duplicate']} duplicates "
        f"-> {Path(args.out) / 'curated.parquet'}", soft_wrap=True)
    quarantined: Counter[str] = Counter()  # summed over the files, as report.json's total
    for f in report["files"]:
        quarantined.update(f["quarantine_rules"])
    if quarantined:
        console.print("quarantine by rule: " + ", ".join(
            f"{k} {v}" for k, v in sorted(quarantined.items())))
    for warning in report.get("warnings", []):
        console.print(f"[bold yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    unusable = [s for s in report.get("skipped", []) if s.get("unusable")]
    if unusable:
        console.print(f"[bold yellow]warning:[/] skipped {len(unusable)} unusable input "
                      f"file{'s' if len(unusable) > 1 else ''} (listed under 'skipped' in "
                      f"{Path(args.out) / 'report.json'}):", highlight=False, soft_wrap=True)
        for s in unusable[:SHOWN]:
            console.print(f"  {s['path']}: {s['reason']}", highlight=False, markup=False,
                          soft_wrap=True)
        if len(unusable) > SHOWN:
            console.print(f"  ... and {len(unusable) - SHOWN} more", highlight=False)
    return 0


def _delimiter(text: str | None) -> str | None:
    """``\\t`` and ``tab`` as a tab (what a shell passes for them)."""
    return "\t" if text in ("\\t", "tab", "TAB") else text


def _size(path: Path) -> int:
    """Bytes of a file named on the command line, for the progress bar (0 otherwise)."""
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:  # curate itself reports what is wrong with the path
        return 0
