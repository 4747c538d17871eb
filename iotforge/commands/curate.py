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
"""

from __future__ import annotations

import argparse
from pathlib import Path

from iotforge.commands._common import load_yaml, parse_policies, progress_bar

NAME = "curate"
HELP = "ingest, clean, dedupe and account captures -> curated.parquet"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="capture files")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--format", metavar="F",
                   help="ton_iot, zeek, cicflowmeter, kdd, unsw_nb15, pcap or mapping "
                        "(default: detected per file)")
    p.add_argument("--mapping", metavar="FILE", help="YAML mapping for --format mapping")
    p.add_argument("--taxonomy", action="append", default=[], metavar="FILE",
                   help="extra label taxonomy YAML merged over the built-in one")
    p.add_argument("--policy", action="append", default=[], metavar="RULE=POLICY",
                   help="change a cleaning rule's policy, e.g. range=quarantine")
    p.add_argument("--default-label", metavar="CLASS",
                   help="label for records that carry none (an unlabelled capture)")
    p.add_argument("--label-rules", metavar="FILE", help="pcap label rules (YAML)")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from curation.curate import curate

    mapping = load_yaml(args.mapping) if args.mapping else None
    if mapping is not None and args.format is None:
        args.format = "mapping"
    total = sum(Path(p).stat().st_size for p in args.inputs if Path(p).is_file())
    with progress_bar("curating", total) as advance:
        report = curate(
            args.inputs, args.out, format=args.format, mapping=mapping,
            taxonomy_files=args.taxonomy, policies=parse_policies(args.policy),
            default_label=args.default_label, label_rules=args.label_rules,
            progress=advance,
        )
    t = report["total"]
    console = Console(stderr=True)
    console.print(
        f"[bold]{t['rows_read']}[/] rows read: {t['rows_out']} out, "
        f"{t['rows_quarantined']} quarantined, {t['rows_duplicate']} duplicates "
        f"-> {Path(args.out) / 'curated.parquet'}")
    quarantined = {k: v for f in report["files"] for k, v in f["quarantine_rules"].items()}
    if quarantined:
        console.print("quarantine by rule: " + ", ".join(
            f"{k} {v}" for k, v in sorted(quarantined.items())))
    return 0
