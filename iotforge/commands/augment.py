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

--target picks the classes to augment: label, attack_family or is_attack (default:
the target the split recorded, else label). For a target coarser than label, a
synthetic row takes the label of the nearest real row of its class.

--method auto chooses, per source, among --candidates (default:
%(candidates)s) by inner cross-validation on TRAIN with a random forest and macro-F1 (--param
scoring='{recall: [ddos], floor: 0.01}' for the recall of named classes under a macro-F1
floor). Folds are grouped like the split (its column, time blocks or source files) when
the split was group, time or predefined; hold out whole labels of a class when --target
is coarser than label (label-holdout); else stratified. Every training row is predicted
out of fold per repeat; the best candidate is chosen only if the paired-bootstrap lower
bound of its gain over no augmentation (distinct rows within class and repeats resampled, 95%%
familywise over candidates and looks) is above 0; otherwise no synthetic row is
written. Repeats (at most --param n_repeats=6) stop when the decision is resolved or
--time-limit (default %(limit)g s) would be passed; the budget is printed before it
starts. The report's "selection" holds the fold scheme and why, the repeats and why they
stopped, the table, the reason, and classes not validated.

--engine dask [--scheduler ADDRESS] runs one task per (source, class) for the
class-local methods (smote, random_oversampler, per-class generators) and one per
source for the others; FILE is the local engine's, row for row (docs/scale.md).

--threads N runs torch (the generators) and the BLAS/OpenMP pools with N threads
(generators default to 1: faster for these small networks on few cores).

smote_tomek and smote_enn clean only the classes the strategy did not grow, so a
grown class ends at its requested count; --param clean=imblearn cleans every
class, as imbalanced-learn does (a rare class can then lose all its rows).

methods: see --method below; auto chooses among the others, or none. Other packages
add methods through the iotforge.augmenters entry point (docs/plugins.md).

strategies: auto, minority, not majority, all, a float, floor:F|N, power:A, scale:K
(default %(strategy)s for every method, as in params.yaml)

examples:
  iotforge augment data/split/train.parquet --method smote --strategy power:0.5 \\
      --out data/augmented/smote.parquet
  iotforge augment train.parquet --method ctgan --param epochs=30 --suite demo_flows \\
      --holdout data/split/test.parquet --out ctgan.parquet
  iotforge augment train.parquet --method smote_enn --strategy "floor:300" \\
      --param clean=imblearn --out smote_enn.parquet
  iotforge augment train.parquet --method auto \\
      --candidates smote:power:0.5,adasyn:power:0.5 --time-limit 600 --out auto.parquet
  iotforge augment train.parquet --method ctgan --param per_class=true --threads 1 \\
      --target attack_family --out ctgan_families.parquet
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from iotforge.augment._registry import AUTO_CANDIDATES, AUTO_TIME_LIMIT, DEFAULT_STRATEGY

__doc__ = (__doc__ or "") % {"candidates": ", ".join(AUTO_CANDIDATES),
                             "limit": AUTO_TIME_LIMIT, "strategy": DEFAULT_STRATEGY}

NAME = "augment"
HELP = "synthesize rare-class rows for a train split"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from iotforge.augment import method_names

    p.add_argument("train", metavar="TRAIN", help="train.parquet from 'iotforge split'")
    p.add_argument("--method", required=True, metavar="NAME",
                   help=f"one of {', '.join(method_names(auto=True))}")
    p.add_argument("--strategy", default=None, metavar="S",
                   help=f"sampling strategy (default: {DEFAULT_STRATEGY})")
    p.add_argument("--out", required=True, metavar="FILE", help="output Parquet")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="augmenter parameter, e.g. epochs=30 (value parsed as YAML)")
    p.add_argument("--suite", nargs="+", action="extend", default=[], metavar="NAME|PATH",
                   help="data contracts the synthetic rows must meet")
    p.add_argument("--holdout", metavar="FILE",
                   help="real rows the generator never saw (the test split) for DCR")
    p.add_argument("--target", choices=TARGETS, default=None,
                   help="classes to augment (default: the split's target, else label)")
    p.add_argument("--candidates", metavar="M[:S],...",
                   help="--method auto: methods to try, each with an optional strategy")
    p.add_argument("--time-limit", type=float, metavar="SECONDS",
                   help=f"--method auto: seconds per source at most (default "
                        f"{AUTO_TIME_LIMIT:g})")
    p.add_argument("--threads", type=int, metavar="N",
                   help="torch and BLAS/OpenMP threads (default: generators use 1)")
    from iotforge.commands._common import add_engine_arguments

    add_engine_arguments(p)  # dask: one task per (source, class) or per source


TARGETS = ("label", "attack_family", "is_attack")  # iotforge.curation.targets.TARGETS, import-free


def _candidates(text: str) -> list[str]:
    """``smote:power:0.5,adasyn`` as candidate specs, every method and strategy checked."""
    from iotforge.augment import AUTO, method_names
    from iotforge.augment._strategies import parse_strategy
    from iotforge.curation.errors import UsageError

    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise UsageError(f"--candidates: expected METHOD[:STRATEGY],..., found {text!r}")
    methods = method_names()
    for item in items:
        method, _, strategy = item.partition(":")
        if method not in methods:
            raise UsageError(f"--candidates: expected methods in {sorted(methods)}, found "
                             f"{method!r}" + (" (auto is the selection itself)"
                                              if method == AUTO else ""))
        named = {"", "auto", "minority", "not minority", "not majority", "all"}
        try:
            if isinstance(_strategy(strategy), str) and strategy not in named:
                parse_strategy(strategy)
        except ValueError as exc:
            raise UsageError(f"--candidates: {item!r}: {exc}") from None
    return items


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
    from threadpoolctl import threadpool_limits

    from iotforge.augment import method_parameters
    from iotforge.augment._gen_base import torch_threads
    from iotforge.augment._privacy import dcr_by_source
    from iotforge.augment._table import augment_table, split_groups
    from iotforge.commands._common import engine_from
    from iotforge.curation.contracts.suites import load_suite
    from iotforge.curation.errors import UsageError
    from iotforge.curation.schema import atomic_text, conform, read_meta, write_table_atomic

    # the method first: a usage error before any data is read
    takes_threads = "threads" in method_parameters(args.method)
    meta = read_meta(args.train)
    params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"expected KEY=VALUE, found {item!r}")
        params[key.strip()] = yaml.safe_load(value)
    auto = args.method == "auto"
    if not auto and (args.candidates is not None or args.time_limit is not None):
        raise UsageError("--candidates and --time-limit apply to --method auto only, found "
                         f"--method {args.method}")
    if args.time_limit is not None and not args.time_limit > 0:
        raise UsageError(f"--time-limit: expected seconds > 0, found {args.time_limit}")
    if args.threads is not None and args.threads < 1:
        raise UsageError(f"--threads: expected a number of threads >= 1, found {args.threads}")
    if args.candidates is not None:
        params["candidates"] = _candidates(args.candidates)
    if args.time_limit is not None:
        params["time_limit"] = args.time_limit
    # the generators (torch) take threads; the SMOTE family's pools are BLAS/OpenMP's
    uses_torch = auto or takes_threads
    if args.threads is not None and takes_threads:
        params["threads"] = args.threads
    strategy = args.strategy or DEFAULT_STRATEGY
    target = args.target or meta.extra.get("target") or "label"
    suites = [load_suite(s) for s in args.suite]
    schema = pq.read_schema(args.train)
    df = pq.read_table(args.train).to_pandas()
    groups = split_groups(df, meta) if auto else None
    if auto:
        limit = params.get("time_limit", AUTO_TIME_LIMIT)
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"auto: {len(params.get('candidates') or AUTO_CANDIDATES)} candidates on "
            f"{len(df)} rows; at most {limit:g} s per source "
            f"({df['source'].nunique() if 'source' in df.columns else 1} sources)",
            markup=False)
    with threadpool_limits(args.threads), torch_threads(args.threads if uses_torch else None), \
            engine_from(args) as engine:
        mapper = None
        if engine != "local":
            from iotforge.curation.engines.dask_augment import dask_map

            mapper = dask_map(engine)
        result = augment_table(df, meta, method=args.method, strategy=_strategy(strategy),
                               random_state=args.seed, params=params, suites=suites,
                               target=target, groups=groups, mapper=mapper)
    report = result.report
    if args.holdout:
        report["dcr"] = dcr_by_source(result.synthetic, df, pd.read_parquet(args.holdout),
                                      meta.feature_columns(df.columns))
    meta.stage = "augment"
    meta.seed = args.seed
    meta.extra = {**meta.extra, "target": target,
                  "augment": {"method": args.method, "strategy": strategy, "params": params,
                              "target": target, "threads": args.threads}}
    write_table_atomic(conform(result.frame, schema), args.out, meta)
    report_path = Path(args.out).with_suffix(".json")
    atomic_text(report_path, json.dumps(report, indent=2, default=str) + "\n")
    n = len(result.synthetic)
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for line in _notes(report):
        console.print(line, markup=False)
    console.print(f"{len(df)} real + {n} synthetic rows ({args.method}, "
                  f"{strategy}, target {target}) -> {args.out}; report {report_path}",
                  markup=False)
    return 0


def _notes(report: dict[str, Any]) -> Iterator[str]:
    """One line per source for each thing the report says the augmenter fell back to,
    and for --method auto its choice, reason and notes."""
    for source, entry in report["sources"].items():
        selection = entry.get("selection")
        if selection:
            yield f"{source}: auto: {selection['reason']}"
            for note in selection["notes"]:
                yield f"{source}: auto: {note}"
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
