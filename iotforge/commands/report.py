"""Turn evaluation results into one self-contained HTML report and a Markdown summary.

--results takes one or more directories written by 'iotforge evaluate' (merged into
one report). --validation, --audit and --rules take the JSON of 'iotforge validate
--json', 'iotforge audit' and 'iotforge rules' (repeatable); a path that does not
exist is noted in the report rather than failing the run, so a pipeline without those
stages still gets a report.

Writes DIR/report.html (inline CSS and SVG, no scripts) and DIR/report.md.

examples:
  iotforge report --results data/evaluation --out data/report
  iotforge report --results eval_smote eval_ctgan --out report \\
      --validation data/validation.json --audit data/audit.json --rules reports/rules.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

NAME = "report"
HELP = "HTML + Markdown report of an evaluation"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--results", required=True, nargs="+", metavar="DIR",
                   help="directories written by 'iotforge evaluate'")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--validation", action="append", default=[], metavar="JSON",
                   help="'iotforge validate --json' output (repeatable)")
    p.add_argument("--audit", action="append", default=[], metavar="JSON",
                   help="'iotforge audit' output (repeatable)")
    p.add_argument("--rules", action="append", default=[], metavar="JSON",
                   help="'iotforge rules' output: what distinguishes each class (repeatable)")
    p.add_argument("--title", default="iotforge evaluation", help="report title")


def _load(paths: list[str], notes: list[str]) -> list[tuple[str, dict[str, Any]]]:
    from iotforge.curation.errors import InputError

    out = []
    for p in paths:
        path = Path(p)
        if not path.is_file():
            notes.append(f"{p} was given but not found; left out of the report")
            continue
        try:
            data = json.loads(path.read_text("utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"expected JSON, found invalid text ({exc.msg})", path=p,
                             line=exc.lineno) from None
        if not isinstance(data, dict):
            raise InputError(f"expected a JSON object, found {type(data).__name__}", path=p)
        out.append((path.name, data))
    return out


def run(args: argparse.Namespace) -> int:
    from iotforge.evaluation.report import build_report, write_report
    from iotforge.evaluation.store import read_results

    result = read_results(args.results)
    notes: list[str] = []
    validation = _load(args.validation, notes)
    audit = _load(args.audit, notes)
    rules = _load(args.rules, notes)
    result.notes += notes
    html, md = write_report(build_report(result, validation=validation, audit=audit,
                                         rules=rules, title=args.title), args.out)
    for note in notes:
        print(f"note: {note}")
    print(f"report -> {html} and {md}")
    return 0
