"""Association-rule signatures: what distinguishes each class, as IF items THEN class.

Feature columns (roles numeric and categorical) become items: categories and ports as
COLUMN=VALUE, other numbers as quantile bins (--bins), missing values as no item.
Frequent itemsets are mined within each class with FP-growth (mlxtend); each becomes
the rule ITEMS -> CLASS, kept when P(class | items) >= --min-confidence. Per class, the
--top rules by confidence, then lift, with their support counts, go to --out (JSON);
'iotforge report --rules FILE' shows them.

--target picks the classes: label, attack_family or is_attack (default: the target the
split recorded in DATA's metadata, else label), the classes the pipeline learns.

Exit 2 (one line) when DATA has a single class or no usable feature column. A threshold
no itemset reaches is not an error: the JSON lists no rules for that class, with a note,
and a line on standard error says so (exit 0).

examples:
  iotforge rules data/split/train.parquet --out reports/rules.json
  iotforge rules curated.parquet --out rules.json --min-support 0.05 --max-len 2 --top 5
"""

from __future__ import annotations

import argparse
import json
import sys

from iotforge.commands.validate import add_input_arguments, load_input

NAME = "rules"
HELP = "association-rule signatures per class (JSON)"


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], found {text!r}"
                                         ) from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], found {text!r}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_input_arguments(p)
    p.add_argument("--out", required=True, metavar="FILE", help="rules JSON to write")
    p.add_argument("--min-support", type=_fraction, default=0.1, metavar="S",
                   help="least share of a class's rows a rule covers (default 0.1)")
    p.add_argument("--min-confidence", type=_fraction, default=0.5, metavar="C",
                   help="least P(class | items) of a rule (default 0.5)")
    p.add_argument("--max-len", type=int, default=3, metavar="N",
                   help="most items per rule (default 3)")
    p.add_argument("--top", type=int, default=10, metavar="N",
                   help="rules kept per class (default 10)")
    p.add_argument("--bins", type=int, default=4, metavar="N",
                   help="quantile bins per numeric column (default 4)")
    p.add_argument("--target", choices=("label", "attack_family", "is_attack"), default=None,
                   help="classes to mine rules for (default: the split's target, else label)")


def run(args: argparse.Namespace) -> int:
    from iotforge.curation.schema import LABEL, atomic_text
    from iotforge.curation.targets import target_values
    from iotforge.evaluation.assoc_rules import mine_rules
    from iotforge.evaluation.evaluate import feature_columns, prepare_features

    data = load_input(args)
    frame = data.frame
    numeric, categorical = feature_columns(data.meta.roles, list(frame.columns))
    X = prepare_features(frame, numeric, categorical)
    target = args.target or data.meta.extra.get("target") or LABEL
    if target != LABEL or LABEL in frame.columns:
        X[LABEL] = target_values(frame, target)  # type: ignore[arg-type]  # mined as "label"
    rules = mine_rules(X, numeric=numeric, categorical=categorical, label=LABEL,
                       min_support=args.min_support, min_confidence=args.min_confidence,
                       max_len=args.max_len, top=args.top, n_bins=args.bins)
    out = rules.to_dict()
    out["config"]["data"] = list(args.data)
    out["config"]["target"] = target
    atomic_text(args.out, json.dumps(out, indent=2) + "\n")
    _print(out, args.out)
    if rules.rules.empty:
        print(f"iotforge rules: no rule reached support {args.min_support} and confidence "
              f"{args.min_confidence} in any class; lower --min-support or --min-confidence",
              file=sys.stderr)
    return 0


def _print(out: dict, path: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    table = Table(title="best rule per class (confidence, lift, rows of the class it covers)")
    for name in ("class", "rows", "rules", "best rule", "confidence", "lift", "covers"):
        table.add_column(name, overflow="fold")
    by_size = sorted(out["classes"].items(), key=lambda kv: kv[1]["rows"])
    for cls, entry in by_size:
        best = entry["rules"][0] if entry["rules"] else None
        table.add_row(cls, str(entry["rows"]), str(len(entry["rules"])),
                      " AND ".join(best["if"]) if best else "-",
                      f"{best['confidence']:.3f}" if best else "-",
                      f"{best['lift']:.1f}" if best else "-",
                      f"{best['support_count']}/{entry['rows']}" if best else "-")
    console.print(table)
    console.print(f"rules -> {path}")
