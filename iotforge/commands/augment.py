"""Add synthetic rows to the rare classes of a training split.

TRAIN must be the train side of 'iotforge split' (its Parquet metadata says so):
augmenting anything else would leak synthetic copies of test rows. Each source
(capture format) is augmented on its own feature columns. Writes FILE with the
real rows followed by the synthetic ones (is_synthetic, augmenter set), and
FILE's report (.json beside it): per source and class, counts before and after,
rejected rows, conditional hit rates, and distance to closest record when
--holdout is given. Nothing falls back silently: the report also lists, per class,
classes made by plain SMOTE because the method could not (fallbacks), rows topped
up with plain SMOTE (topped_up), and what the cleaning step of smote_tomek /
smote_enn removed (cleaning_removed; every real row stays in FILE all the same);
the same is printed as a summary.

smote_tomek and smote_enn clean only the classes the strategy did not grow, so a
grown class ends at its requested count; --param clean=imblearn cleans every
class, as imbalanced-learn does (a rare class can then lose all its rows).

methods: smote, borderline_smote, svm_smote, adasyn, kmeans_smote,
random_oversampler, smote_tomek, smote_enn, ctgan, tvae, gaussian_copula, copulagan

strategies: auto, minority, not majority, all, a float, floor:F|N, power:A, scale:K

examples:
  iotforge augment data/split/train.parquet --method smote --strategy power:0.5 \\
      --out data/augmented/smote.parquet
  iotforge augment train.parquet --method ctgan --param epochs=30 --suite demo_flows \\
      --holdout data/split/test.parquet --out ctgan.parquet
  iotforge augment train.parquet --method smote_enn --strategy "floor:300" \\
      --param clean=imblearn --out smote_enn.parquet
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

NAME = "augment"
HELP = "synthesize rare-class rows for a train split"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("train", metavar="TRAIN", help="train.parquet from 'iotforge split'")
    p.add_argument("--method", required=True, metavar="NAME")
    p.add_argument("--strategy", default="auto", metavar="S",
                   help="sampling strategy (default: auto)")
    p.add_argument("--out", required=True, metavar="FILE", help="output Parquet")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="augmenter parameter, e.g. epochs=30 (value parsed as YAML)")
    p.add_argument("--suite", nargs="+", action="extend", default=[], metavar="NAME|PATH",
                   help="data contracts the synthetic rows must meet")
    p.add_argument("--holdout", metavar="FILE",
                   help="real rows the generator never saw (the test split) for DCR")


def _strategy(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        return text


def run(args: argparse.Namespace) -> int:
    import pandas as pd
    import pyarrow.parquet as pq
    import yaml
    from rich.console import Console

    from augment._table import augment_table
    from curation.errors import UsageError
    from curation.schema import atomic_text, conform, read_meta, write_table_atomic
    from curation.validate import load_suite

    meta = read_meta(args.train)
    params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"expected KEY=VALUE, found {item!r}")
        params[key.strip()] = yaml.safe_load(value)
    suites = [load_suite(s) for s in args.suite]
    schema = pq.read_schema(args.train)
    df = pq.read_table(args.train).to_pandas()
    result = augment_table(df, meta, method=args.method, strategy=_strategy(args.strategy),
                           random_state=args.seed, params=params, suites=suites)
    report = result.report
    if args.holdout:
        report["dcr"] = _dcr(result, df, pd.read_parquet(args.holdout), meta)
    meta.stage = "augment"
    meta.seed = args.seed
    meta.extra = {**meta.extra, "augment": {"method": args.method, "strategy": args.strategy,
                                            "params": params}}
    write_table_atomic(conform(result.frame, schema), args.out, meta)
    report_path = Path(args.out).with_suffix(".json")
    atomic_text(report_path, json.dumps(report, indent=2, default=str) + "\n")
    n = int(result.frame["is_synthetic"].sum())
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for line in _notes(report):
        console.print(line, markup=False)
    console.print(f"{len(df)} real + {n} synthetic rows ({args.method}, "
                  f"{args.strategy}) -> {args.out}; report {report_path}", markup=False)
    return 0


def _notes(report: dict[str, Any]) -> Iterator[str]:
    """One line per source for each thing the report says the augmenter fell back to."""
    for source, entry in report["sources"].items():
        for cls, reason in (entry.get("fallbacks") or {}).items():
            short = reason if len(reason) <= 160 else reason[:157] + "..."
            yield f"{source}: class {cls!r} made by {short}"
        topped = {c: n for c, n in (entry.get("topped_up") or {}).items() if n}
        if topped:
            yield f"{source}: rows topped up with plain SMOTE per class: {topped}"
        removed = {c: n for c, n in (entry.get("cleaning_removed") or {}).items() if n}
        if removed:
            yield (f"{source}: the cleaning step removed per class (real rows are kept in "
                   f"the output): {removed}")


def _dcr(result, train, holdout, meta):  # type: ignore[no-untyped-def]
    import numpy as np

    from augment import distance_to_closest_record

    out = {}
    synth = result.synthetic
    for source, rows in synth.groupby("source"):
        feats = [c for c in meta.feature_columns(train.columns)
                 if train.loc[train["source"] == source, c].notna().any()]
        tr = train.loc[train["source"] == source, feats].dropna()
        ho = holdout.loc[holdout["source"] == source, feats].dropna()
        sy = rows[feats].dropna()
        if min(len(tr), len(ho), len(sy)) == 0:
            continue
        r = distance_to_closest_record(sy, tr, ho)
        out[source] = {"median_to_train": float(np.median(r.to_train)),
                       "median_to_holdout": float(np.median(r.to_holdout)),
                       "exact_copies": int(r.exact_copies)}
    return out
