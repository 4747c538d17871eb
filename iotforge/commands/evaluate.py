"""Train classifiers with and without synthetic rows; score them on the real test split.

Arms: none (real training rows), real+synthetic, synthetic-only (train on synthetic,
test on real), each over every --seeds value; the test split is never augmented.
Classes are those of --target (label, attack_family or is_attack; default: the target
the split recorded, else label); a target column that is missing or holds one class
on either side is exit 2.

Synthetic rows come from --synthetic files (the augment stage's output: rows with
is_synthetic true; a directory means every *.parquet in it; real rows in the file are
ignored) and/or from --augment NAME[:STRATEGY], run here once per seed on the training
rows (STRATEGY defaults to power:0.5, as in 'iotforge augment' and params.yaml;
--augment auto runs AutoAugmenter per seed, with the split's groups and, for a target
coarser than label, label-holdout folds: its selection runs once per seed, up to its
time limit, 600 s by default, each time). A file that records how it was made (iotforge
augment writes the method, strategy, parameters and target into its metadata) is drawn
again for every seed (--synthetic-seeds per-seed, the default: the augmenter is refitted
with a seed derived from the replicate seed, checked against --suite contracts like the
augment stage), so the comparison's interval covers the augmenter's seed too;
--synthetic-seeds fixed uses the file's rows for every seed (faster, but the interval
then covers the classifier's seed only, and the report says so).

--baseline DIR reuses the none arm of an earlier 'iotforge evaluate --arms none' run on
the same split, target, classifiers and seeds instead of training it again (the DVC
pipeline's evaluate_none stage).

Each augmenter arm is compared with none by a paired bootstrap over test rows
(stratified by class) and seeds (--bootstrap resamples): macro-F1 and every class's
recall, with 95% intervals and a verdict: helped, hurt, no detectable difference.

Writes DIR/results.parquet (tidy: augmenter, arm, classifier, seed, metric, class,
value), DIR/predictions.parquet (every run's test predictions), DIR/metrics.json
({classifier: {macro_f1, recall_<rare class>...}} for 'dvc metrics show';
{augmenter: {classifier: ...}} with several augmenters), DIR/comparison.csv (every
comparison with its interval, what it covers and the verdict), DIR/plots/*.csv (for
'dvc plots') and DIR/details.json (class counts, fidelity and privacy, rare-class
diagnostics, confusion matrices). 'iotforge report' turns DIR into HTML.

classifiers (default: the first nine): decision_tree, random_forest, svm,
naive_bayes, knn, ensemble, gradient_boosting, mlp, kmeans (unsupervised baseline);
association_rules (the best matching class association rule); deep models in torch:
deep_mlp, cnn, rnn, dbn, deep_ensemble; autoencoder (unsupervised anomaly detection,
trained on normal rows only; scored by detection rate per class and false-positive
rate instead of macro-F1).

examples:
  iotforge evaluate --train data/split/train.parquet --test data/split/test.parquet \\
      --arms none --seeds 0,1,2,3,4 --out data/evaluation/none
  iotforge evaluate --train data/split/train.parquet --test data/split/test.parquet \\
      --synthetic data/augmented/smote.parquet --baseline data/evaluation/none \\
      --seeds 0,1,2,3,4 --suite demo_flows --out data/evaluation/smote
  iotforge evaluate --train train.parquet --test test.parquet --augment smote:power:0.5 \\
      --augment random_oversampler --classifiers random_forest,knn --target attack_family \\
      --out eval
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path
from typing import Any

# --augment NAME takes the names of `iotforge augment --method`: augment's registry,
# which imports no scikit-learn until a class is asked for
from iotforge.augment import get_augmenter, method_names
from iotforge.augment._registry import AUTO, DEFAULT_STRATEGY

NAME = "evaluate"
HELP = "classifiers x augmenters x seeds on the real test split"

TARGETS = ("label", "attack_family", "is_attack")  # iotforge.curation.targets.TARGETS, import-free

# the names of iotforge.evaluation.classifiers.CLASSIFIERS, kept here so that building the parser
# imports no scikit-learn (tests/test_evaluation.py checks the two agree)
CLASSICAL = ("decision_tree", "random_forest", "svm", "naive_bayes", "knn", "ensemble",
             "gradient_boosting", "mlp", "kmeans")
CLASSIFIER_NAMES = (*CLASSICAL, "association_rules", "deep_mlp", "cnn", "rnn", "dbn",
                    "deep_ensemble", "autoencoder")


def _csv(kind: str, cast: Any = str) -> Any:
    def parse(text: str) -> list[Any]:
        items = [t.strip() for t in text.split(",") if t.strip()]
        try:
            return [cast(t) for t in items]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated {kind}, found {text!r}") from None
    return parse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--train", required=True, metavar="FILE", help="training split (Parquet)")
    p.add_argument("--test", required=True, metavar="FILE", help="test split (Parquet)")
    p.add_argument("--synthetic", action="append", default=[], metavar="FILE|DIR",
                   help="synthetic rows from 'iotforge augment' (repeatable; a directory "
                        "means its *.parquet files)")
    p.add_argument("--augment", action="append", default=[], metavar="NAME[:STRATEGY]",
                   help=f"run an augmenter here, once per seed "
                        f"({', '.join(method_names(auto=True))}); STRATEGY defaults to "
                        f"{DEFAULT_STRATEGY}, e.g. smote:power:0.25")
    p.add_argument("--classifiers", type=_csv("classifier names"),
                   default=",".join(CLASSICAL), metavar="A,B,C",
                   help=f"classifiers to train, of {', '.join(CLASSIFIER_NAMES)} "
                        "(default: the first nine)")
    p.add_argument("--seeds", type=_csv("integer seeds", int), default="0,1,2",
                   metavar="0,1,2", help="replicate seeds (default 0,1,2)")
    p.add_argument("--arms", type=_csv("arms"), default="none,real+synthetic,synthetic-only",
                   metavar="A,B", help="arms to run (default: all three)")
    p.add_argument("--target", choices=TARGETS, default=None,
                   help="classes to learn (default: the split's target, else label)")
    p.add_argument("--baseline", metavar="DIR",
                   help="reuse the none arm of 'iotforge evaluate --arms none' in DIR")
    p.add_argument("--synthetic-seeds", choices=("per-seed", "fixed"), default="per-seed",
                   help="draw a --synthetic file's rows again per seed from its recorded "
                        "recipe (default), or use its rows for every seed")
    p.add_argument("--suite", nargs="+", action="extend", default=[], metavar="NAME|PATH",
                   help="data contracts that synthetic rows drawn per seed must meet")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="paired bootstrap resamples (default 1000)")
    p.add_argument("--pca", type=float, metavar="X",
                   help="add PCA after encoding: variance fraction (0.95) or components (10)")
    p.add_argument("--max-categories", type=int, default=32, metavar="N",
                   help="one-hot columns per categorical column at most, rarer values "
                        "grouped (default 32; 0: one per value); the notes name every "
                        "column the cap groups")
    p.add_argument("--quality", action="store_true",
                   help="also compute SDMetrics' quality score per class (slower)")
    p.add_argument("--no-rules", dest="rules", action="store_false",
                   help="skip the association-rule fidelity of synthetic rows")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    from iotforge.commands._common import add_engine_arguments

    add_engine_arguments(p)  # dask: one task per seed (iotforge.evaluation.fanout)


def _read(path: str, side: str) -> tuple[Any, Any]:
    import pandas as pd

    from iotforge.curation.errors import UsageError
    from iotforge.curation.schema import read_meta

    if not Path(path).is_file():
        raise UsageError(f"expected the {side} split as a Parquet file, found no file",
                         path=path)
    meta = read_meta(path)
    if meta.split is not None and meta.split != side:
        raise UsageError(f"expected the {side} split, found split={meta.split!r}", path=path,
                         hint="pass train.parquet to --train and test.parquet to --test")
    return pd.read_parquet(path), meta


def _synthetic(paths: list[str], mode: str, recipe_from: Any,
               notes: list[str]) -> dict[str, Any]:
    """Name -> synthetic rows, or -> ``seed -> rows`` for a file with a recipe drawn
    again per seed (``recipe_from(path, recipe)`` makes that function)."""
    import pandas as pd

    from iotforge.curation.errors import UsageError
    from iotforge.curation.schema import AUGMENTER, read_meta

    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(p.glob("*.parquet"))
        elif p.is_file():
            files.append(p)
        else:
            raise UsageError("expected a synthetic-rows file or directory, found nothing",
                             path=str(p))
    out: dict[str, Any] = {}
    for f in files:
        meta = read_meta(f)
        if meta.split == "test":
            raise UsageError("expected synthetic rows made from the train split, found the "
                             "test split", path=str(f))
        recipe = meta.extra.get("augment")
        frame = pd.read_parquet(f)
        if recipe:
            groups = {f.stem: recipe_from(f, recipe) if mode == "per-seed" else frame}
        elif AUGMENTER in frame.columns and frame[AUGMENTER].notna().any():
            groups = {str(k): g for k, g in frame.groupby(AUGMENTER)}
        else:
            groups = {f.stem: frame}
        if not recipe and mode == "per-seed":
            notes.append(f"{f}: records no augment recipe, so its rows serve every seed")
        for name, g in groups.items():
            if name in out:
                raise UsageError(f"expected one synthetic file per augmenter, found {name!r} "
                                 "twice", path=str(f), hint="evaluate them in separate runs")
            out[name] = g
    return out


def _split_groups(train: Any, meta: Any) -> Any:
    """The inner-CV groups the augment stage gives ``auto`` (the split's own grouping)."""
    from iotforge.augment import split_groups

    return split_groups(train, meta)


def _recipes(train: Any, meta: Any, suites: list[Any], target: str,
             notes: list[str]) -> Any:
    """``(path, recipe) -> (seed -> synthetic rows)``: the augment stage's call again."""

    def recipe_from(path: Path, recipe: dict[str, Any]) -> Any:
        from iotforge.commands.augment import _strategy

        method = str(recipe["method"])
        made_for = recipe.get("target") or target
        if made_for != target:
            notes.append(f"{path.name}: synthetic rows grow the classes of target "
                         f"{made_for!r}; scored on target {target!r}")
        threads = recipe.get("threads")
        groups = _split_groups(train, meta) if method == "auto" else None
        torch_used = method == "auto" or method in ("ctgan", "tvae", "gaussian_copula",
                                                    "copulagan")

        def draw(seed: int) -> Any:
            from threadpoolctl import threadpool_limits

            from iotforge.augment._gen_base import torch_threads
            from iotforge.augment._table import augment_table

            with threadpool_limits(threads), torch_threads(threads if torch_used else None):
                result = augment_table(train, meta, method=method,
                                       strategy=_strategy(str(recipe.get("strategy", "auto"))),
                                       random_state=seed, params=recipe.get("params") or {},
                                       suites=suites, target=made_for, groups=groups)
            rows = result.synthetic.copy()
            rows.attrs["chosen"] = {str(src): str(e["selection"].get("choice"))
                                    for src, e in result.report["sources"].items()
                                    if e.get("selection")}
            return rows

        return draw

    return recipe_from


def _augmenters(specs: list[str], auto_params: dict[str, Any] | None = None) -> dict[str, Any]:
    """``--augment`` specs -> ``seed -> sampler``; ``auto_params`` (groups, subtypes) go
    to ``auto``."""
    from iotforge.curation.errors import UsageError

    out: dict[str, Any] = {}
    for spec in specs:
        name, _, strategy = spec.partition(":")
        if name not in method_names(auto=True):
            raise UsageError(f"expected an augmenter in {sorted(method_names(auto=True))}, "
                             f"found {name!r}")
        cls = get_augmenter(name)
        kwargs = {"sampling_strategy": strategy or DEFAULT_STRATEGY,
                  **((auto_params or {}) if name == AUTO else {})}

        def make(seed: int, cls: Any = cls, kwargs: dict[str, Any] = kwargs) -> Any:
            return cls(random_state=seed, **kwargs)

        out[spec] = make
    return out


def _auto_params(train: Any, meta: Any, target: str) -> dict[str, Any]:
    """What ``augment_table`` gives ``auto`` besides the rows: the split's groups, and the
    labels as subtypes when the target is coarser."""
    import numpy as np

    params: dict[str, Any] = {}
    groups = _split_groups(train, meta)
    if groups is not None:
        params["groups"] = groups
    if target != "label" and "label" in train.columns:
        params["subtypes"] = train["label"].astype(str).to_numpy(dtype=object)
    return {k: np.asarray(v, dtype=object) for k, v in params.items()}


def run(args: argparse.Namespace) -> int:
    from iotforge.curation.contracts.suites import load_suite
    from iotforge.curation.errors import UsageError
    from iotforge.curation.targets import target_values
    from iotforge.evaluation.classifiers import CLASSIFIERS
    from iotforge.evaluation.evaluate import ARMS, evaluate, feature_columns
    from iotforge.evaluation.store import read_results, write_results

    bad = [c for c in args.classifiers if c not in CLASSIFIERS]
    if bad:
        raise UsageError(f"expected classifiers in {sorted(CLASSIFIERS)}, found {bad}")
    bad = [a for a in args.arms if a not in ARMS]
    if bad:
        raise UsageError(f"expected arms in {list(ARMS)}, found {bad}")
    if args.max_categories < 0:
        raise UsageError(f"--max-categories: expected 0 (no cap) or more, found "
                         f"{args.max_categories}")
    if args.bootstrap < 1:
        raise UsageError(f"--bootstrap: expected at least 1 resample, found {args.bootstrap}")
    train, meta = _read(args.train, "train")
    test, _ = _read(args.test, "test")
    target = args.target or meta.extra.get("target") or "label"
    for path, frame in ((args.train, train), (args.test, test)):
        try:
            target_values(frame, target)  # type: ignore[arg-type]
        except UsageError as exc:
            raise UsageError(exc.message, path=path, column=exc.column, hint=exc.hint) from None
    numeric, categorical = feature_columns(meta.roles, list(train.columns))
    pca = (int(args.pca) if args.pca is not None and args.pca >= 1 else args.pca)
    baseline = read_results([args.baseline]) if args.baseline else None
    notes: list[str] = []
    suites = [load_suite(s) for s in args.suite]
    synthetic = _synthetic(args.synthetic, args.synthetic_seeds,
                           _recipes(train, meta, suites, target, notes), notes)
    from iotforge.commands._common import engine_from

    with _progress() as step, engine_from(args) as engine:
        grid: Any = evaluate
        if engine != "local":
            from iotforge.evaluation.fanout import evaluate_dask

            grid = functools.partial(evaluate_dask, client=engine)
        result = grid(train, test, numeric=numeric, categorical=categorical,
                      augmenters=_augmenters(args.augment, _auto_params(train, meta, target)),
                      synthetic=synthetic,
                      classifiers=args.classifiers, seeds=args.seeds, arms=args.arms,
                      pca=pca, max_categories=args.max_categories, quality=args.quality,
                      rules=args.rules, target=target,
                      baseline=baseline, n_boot=args.bootstrap, progress=step)
    result.notes += [n for n in notes if n not in result.notes]
    write_results(result, args.out)
    _print(result, Path(args.out))
    return 0


def _progress() -> Any:
    import contextlib

    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    if not sys.stderr.isatty():  # dvc repro, CI: one timestamped line per step
        import time

        start = time.monotonic()

        def line(text: str) -> None:
            elapsed = time.monotonic() - start
            print(f"[{elapsed:7.0f} s] {text}", file=sys.stderr, flush=True)

        return contextlib.nullcontext(line)

    @contextlib.contextmanager
    def bar() -> Any:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      transient=True) as progress:
            task = progress.add_task("evaluating", total=None)
            yield lambda text: progress.update(task, description=text)

    return bar()


def _print(result: Any, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from iotforge.evaluation.comparisons import sentence
    from iotforge.evaluation.summary import (
        ALL_CLASSIFIERS,
        detection_summary,
        leaderboard,
        run_label,
    )

    console = Console(width=None if sys.stdout.isatty() else 160)
    board = leaderboard(result.results)
    table = Table(title="macro-F1 on the real test split (mean ± sd over seeds)")
    classifiers = [c for c in result.config.get("classifiers", [])
                   if c in set(board["classifier"])]
    table.add_column("run")
    for clf in classifiers:
        table.add_column(clf, justify="right")
    cells = {(run_label(r.augmenter, r.arm), r.classifier): f"{r.mean:.3f} ± {r.sd:.3f}"
             for r in board.itertuples()}
    for run in dict.fromkeys(["none", *(k[0] for k in cells)]):
        if any(k[0] == run for k in cells):
            table.add_row(run, *[cells.get((run, c), "–") for c in classifiers])
    console.print(table)
    for r in detection_summary(result.results).itertuples():
        console.print(f"{r.classifier} ({r.run}): detection rate {r.detection_rate:.3f}, "
                      f"false-positive rate {r.false_positive_rate:.3f}")
    comps = result.comparisons
    pooled = comps[(comps["classifier"] == ALL_CLASSIFIERS) & (comps["metric"] == "macro_f1")]
    for row in pooled.to_dict("records"):
        n = comps[(comps["augmenter"] == row["augmenter"]) & (comps["arm"] == row["arm"])
                  & (comps["classifier"] != ALL_CLASSIFIERS)]["classifier"].nunique()
        console.print(f"- {sentence(row, n)}", markup=False, highlight=False)
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    console.print(f"results -> {out}")
