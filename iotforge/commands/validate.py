"""Check a capture against its data contract (a Great Expectations suite).

DATA is curated Parquet (from 'iotforge curate'; its 'iotforge' metadata is
optional when it has the canonical columns) or any capture 'curate' reads; a raw
capture is curated on the fly into a temporary directory first, with the same
--format/--mapping/--default-label options as 'curate'. --suite is a NAME
(./expectations/NAME.json in the current directory first, then the suites
shipped with iotforge; --list-suites shows them with their origin) or a path
to a suite JSON file. A suite Great Expectations cannot
build in full (a misspelled type, an unknown or missing argument) is refused
with exit 2, every problem named.

Exit status: 0 the data meets the contract, 1 it does not (a table of failed
expectations with counts and example values is printed), 2 usage or input error.

examples:
  iotforge validate --list-suites
  iotforge validate data/curated/curated.parquet --suite cicflowmeter
  iotforge validate Train_Test_IoT_Fridge.csv --suite ton_iot_fridge --json
  iotforge validate new_capture.csv --suite expectations/flows.json --docs build/data_docs
  iotforge validate curated.parquet --suite zeek_conn cicflowmeter --out reports/validation.json
  iotforge validate big/curated.parquet --suite cicflowmeter --engine dask --scheduler tcp://h:8786
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iotforge.curation.tables import Loaded

NAME = "validate"
HELP = "check a capture against a data contract (exit 1 when it fails)"


def add_input_arguments(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    """DATA and how to read it, shared by profile, validate, audit and split.

    The options are curate's input options: a raw capture is curated on the fly
    with them, so every hint an adapter gives ("give --format", "--mapping FILE",
    "--default-label", "--label-rules") names an option these commands have.
    """
    p.add_argument("data", nargs="+" if required else "*", metavar="DATA",
                   help="curated Parquet (with or without its 'iotforge' metadata), or "
                        "capture files (or directories) 'iotforge curate' reads")
    g = p.add_argument_group("reading raw captures (curated on the fly, as 'iotforge curate')")
    from iotforge.curation.sources import format_help

    g.add_argument("--format", metavar="F", help=f"capture format: {format_help()}")
    g.add_argument("--mapping", metavar="FILE",
                   help="YAML mapping for any other CSV/TSV/Parquet/JSON-lines capture (implies "
                        "--format mapping); on curated Parquet its roles: set column roles")
    g.add_argument("--default-label", metavar="CLASS",
                   help="label for records that carry none (an unlabelled capture)")
    g.add_argument("--label-rules", metavar="FILE", help="pcap label rules (YAML)")
    g.add_argument("--taxonomy", action="append", default=[], metavar="FILE",
                   help="extra label taxonomy YAML merged over the built-in one")


def load_input(args: argparse.Namespace, paths: list[str] | None = None) -> Loaded:
    """:func:`iotforge.curation.tables.load_data` with the options of
    :func:`add_input_arguments`."""
    from iotforge.commands._common import load_yaml
    from iotforge.curation.tables import load_data

    mapping = load_yaml(args.mapping) if args.mapping else None
    return load_data(args.data if paths is None else paths, args.format, mapping=mapping,
                     mapping_path=args.mapping, default_label=args.default_label,
                     label_rules=args.label_rules, taxonomy=args.taxonomy)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_input_arguments(p, required=False)
    p.add_argument("--suite", action="extend", nargs="+", metavar="NAME|PATH",
                   help="suite name (./expectations/NAME.json, else the suite shipped with "
                        "iotforge) or a suite JSON file; several for a table of several "
                        "formats (each suite checks the rows it applies to)")
    p.add_argument("--list-suites", action="store_true",
                   help="list the suite names --suite finds, with their origin, and exit")
    p.add_argument("--json", action="store_true",
                   help="print the result as JSON on stdout (nothing else)")
    p.add_argument("--docs", metavar="DIR", help="also write GX Data Docs (HTML) into DIR")
    p.add_argument("--synthetic", action="store_true",
                   help="check only the synthetic rows (is_synthetic) of augmented data, "
                        "against the suite's expectations on feature and label columns")
    p.add_argument("--out", metavar="RESULT.json",
                   help="also write the JSON result to this file (pass or fail)")
    from iotforge.commands._common import add_engine_arguments

    add_engine_arguments(p)


def run(args: argparse.Namespace) -> int:
    from iotforge.commands._common import engine_kind
    from iotforge.curation.contracts.suites import load_suite
    from iotforge.curation.contracts.validate import validate_frame

    if args.list_suites:
        return _list_suites()
    if not args.data or not args.suite:
        from iotforge.curation.errors import UsageError

        raise UsageError("expected DATA and --suite NAME|PATH (or --list-suites), found "
                         + ("no DATA" if not args.data else "no --suite"))
    suites = [load_suite(s) for s in args.suite]
    if engine_kind(args) != "local":
        return _finish(args, *_validate_dask(args, suites))
    data = load_input(args)
    frame = data.frame
    if args.synthetic:  # what an augmenter made: its rows, feature and label columns
        from iotforge.curation.contracts.contract import for_synthetic_rows

        roles = data.meta.roles if data.meta is not None else {}
        frame, suites = for_synthetic_rows(frame, roles, suites, path=str(args.data[0]))
        if not suites:  # the augmenter added no row (or abstained): not a failure
            print("no synthetic rows for any of the suites: nothing to check")
    reports = [validate_frame(frame, suite, docs_dir=args.docs) for suite in suites]
    return _finish(args, reports, data.curation)


def _list_suites() -> int:
    from iotforge.curation.contracts.suites import suite_locations

    seen: set[str] = set()
    for name, origin, path in suite_locations():
        note = "" if name not in seen else "  (hidden by the user's suite of that name)"
        print(f"{name}\t{origin}\t{path}{note}")
        seen.add(name)
    return 0


def dask_input(args: argparse.Namespace, client: Any, paths: list[str] | None = None) -> Any:
    """:func:`load_input` for the Dask engine: the data as partitions (a context manager)."""
    from iotforge.commands._common import load_yaml
    from iotforge.curation.engines.dask_tables import open_input

    mapping = load_yaml(args.mapping) if args.mapping else None
    return open_input(args.data if paths is None else paths, client, fmt=args.format,
                      mapping=mapping, mapping_path=args.mapping,
                      default_label=args.default_label, label_rules=args.label_rules,
                      taxonomy=args.taxonomy)


def _validate_dask(args: argparse.Namespace, suites: list[Any]) -> tuple[list[Any], Any]:
    """The suites over the data's partitions on a Dask cluster (docs/scale.md)."""
    from iotforge.commands._common import engine_from
    from iotforge.curation.engines.dask_validate import validate_dask
    from iotforge.curation.errors import UsageError

    if args.synthetic:
        raise UsageError("--synthetic runs on the local engine (augmented data is one "
                         "training split)", hint="leave out --engine dask")
    with engine_from(args) as client, dask_input(args, client) as table:
        return [validate_dask(table, s, client, docs_dir=args.docs) for s in suites], \
            table.curation


def _finish(args: argparse.Namespace, reports: list[Any], curation: Any) -> int:
    out: dict[str, Any] = {"success": all(r.success for r in reports),
                           "suites": [r.to_dict() for r in reports]}
    if curation is not None:
        out["curation"] = curation
    if args.out:
        from iotforge.curation.schema import atomic_text

        atomic_text(args.out, json.dumps(out, indent=2) + "\n")
    if args.json:
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        _print(out)
    return 0 if out["success"] else 1


def _print(out: dict[str, Any]) -> None:
    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else 160)
    cur = out.get("curation")
    if cur:
        console.print(f"curated on the fly: {cur.get('rows_read')} rows read, "
                      f"{cur.get('rows_out')} out, {cur.get('rows_quarantined')} quarantined, "
                      f"{cur.get('rows_duplicate')} duplicates")
    for rep in out["suites"]:
        _print_one(console, rep)


def _print_one(console: Any, out: dict[str, Any]) -> None:
    from rich.table import Table

    n_failed = len(out["failures"])
    if out["success"]:
        console.print(f"[green]PASS[/] {out['rows']} rows meet suite {out['suite']!r} "
                      f"({out['evaluated']} expectations)")
    else:
        table = Table(title=f"suite {out['suite']!r}: {n_failed} of {out['evaluated']} "
                            "expectations failed")
        for name in ("column", "expectation", "unexpected", "examples", "message"):
            table.add_column(name, overflow="fold")
        for f in out["failures"]:
            count = f["unexpected_count"]
            pct = f["unexpected_percent"]
            table.add_row(
                str(f["column"] or "(table)"),
                f["expectation"].removeprefix("expect_"),
                "" if count is None else f"{count}" + (f" ({pct:.2f}%)" if pct else ""),
                ", ".join(map(repr, f["examples"][:3])),
                f["message"],
            )
        console.print(table)
        console.print(f"[red]FAIL[/] suite {out['suite']!r}: {out['rows']} rows, "
                      f"{n_failed} failed expectations")
    if out.get("docs"):
        console.print(f"data docs: {out['docs']}")
