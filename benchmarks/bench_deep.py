"""Training time of the deep models against a random forest, and the rule miner's time
against the number of rows.

Data: the CIC-IDS2017 sample in ``$IOTFORGE_DATASETS`` (or ``../shared/datasets``),
curated by iotforge (every capture file, all 16 classes) and split stratified 75/25 with
seed 0; every model sees the same training rows through the evaluation's preprocessing
(:func:`iotforge.evaluation.classifiers.make_classifier` at its defaults, seed 0), one thread each
(torch and BLAS), so the ratios to the random forest measured in the same run are what
to compare across machines. Quality on the test split is printed beside each time:
macro-F1, or for the autoencoder its detection and false-positive rates.

The rule miner (:func:`iotforge.evaluation.assoc_rules.mine_rules`, default thresholds) runs on
seeded stratified subsamples of the training rows of growing size.

Run: ``python benchmarks/bench_deep.py [--repeats 1] [--rows 1000,2000,5000,10000,ALL]``;
prints Markdown. Work files go to ``benchmarks/_work/`` (ignored by git).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
MODELS = ["random_forest", "deep_mlp", "cnn", "rnn", "dbn", "deep_ensemble", "autoencoder",
          "association_rules"]


def load_split() -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    from iotforge.curation.curate import curate
    from iotforge.curation.leakage.split import split
    from iotforge.curation.schema import read_meta

    folder = Path(os.environ.get("IOTFORGE_DATASETS", ROOT.parent / "shared" / "datasets"))
    folder = folder / "cicids2017_improved_sample"
    if not folder.is_dir():
        raise SystemExit(f"CIC-IDS2017 sample not found at {folder} (set IOTFORGE_DATASETS)")
    work = ROOT / "benchmarks" / "_work" / "deep"
    if not (work / "curated.parquet").is_file():
        curate(sorted(folder.glob("*.csv")), work)
    meta = read_meta(work / "curated.parquet")
    parts = split(pd.read_parquet(work / "curated.parquet"), meta, test_size=0.25,
                  random_state=0)
    return parts.train, parts.test, meta


def fit_seconds(name: str, X: pd.DataFrame, y: np.ndarray, repeats: int) -> tuple[float, Any]:
    from iotforge.evaluation.classifiers import make_classifier

    times, model = [], None
    for _ in range(repeats):
        model = make_classifier(name, 0)
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
    return statistics.median(times), model


def quality(name: str, model: Any, Xt: pd.DataFrame, yt: np.ndarray) -> str:
    from iotforge.evaluation.anomaly import detection_metrics
    from iotforge.evaluation.metrics import classification_metrics

    pred = np.asarray(model.predict(Xt)).astype(str)
    if name == "autoencoder":
        m = detection_metrics(yt, pred, "normal")
        return f"detection {m['detection_rate']:.3f}, FPR {m['false_positive_rate']:.3f}"
    return f"macro-F1 {classification_metrics(yt, pred)['macro_f1']:.3f}"


def epochs(model: Any) -> str:
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    members = getattr(final, "members_", None) or [final]
    runs = [f"{m.n_epochs_}" for m in members if hasattr(m, "n_epochs_")]
    return "/".join(runs) if runs else "–"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--rows", default="1000,2000,5000,10000,ALL")
    args = parser.parse_args()

    import mlxtend
    import sklearn
    import torch
    from iotforge.evaluation.assoc_rules import mine_rules
    from iotforge.evaluation.classifiers import capped_indices
    from iotforge.evaluation.evaluate import feature_columns, prepare_features

    train, test, meta = load_split()
    numeric, categorical = feature_columns(meta.roles, list(train.columns))
    X, Xt = (prepare_features(f, numeric, categorical) for f in (train, test))
    keep = [c for c in X.columns if X[c].notna().any()]
    X, Xt = X[keep], Xt[keep]
    y, yt = train["label"].to_numpy(), test["label"].to_numpy()

    rows = []
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        torch.set_num_threads(1)
        make_first = fit_seconds("deep_mlp", X.iloc[:200], y[:200], 1)  # torch warm-up
        del make_first
        for name in MODELS:
            seconds, model = fit_seconds(name, X, y, args.repeats)
            rows.append((name, seconds, epochs(model), quality(name, model, Xt, yt)))
        forest = rows[0][1]

        sizes = [len(X) if s.strip().upper() == "ALL" else int(s) for s in args.rows.split(",")]
        mining = []
        frame = X.assign(label=y)
        for n in sizes:
            idx = capped_indices(y, n, 10, np.random.default_rng(0))
            start = time.perf_counter()
            found = mine_rules(frame.iloc[idx], numeric=[c for c in numeric if c in keep],
                               categorical=[c for c in categorical if c in keep])
            mining.append((len(idx), time.perf_counter() - start, len(found.rules)))

    today = dt.date.today().isoformat()
    print(f"### Deep models against a random forest ({today})\n")
    print(f"Data: CIC-IDS2017 sample, curated, {len(X):,} training rows x {X.shape[1]} "
          f"feature columns, {len(np.unique(y))} classes; {len(Xt):,} test rows. "
          f"Median of {args.repeats} fit(s), one thread.\n")
    print(f"Machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs; Python {platform.python_version()}, torch "
          f"{torch.__version__}, scikit-learn {sklearn.__version__}, mlxtend "
          f"{mlxtend.__version__}\n")
    print("| model | fit (s) | × random forest | epochs run | test quality |")
    print("|---|---:|---:|---:|---|")
    for name, seconds, run, q in rows:
        print(f"| {name} | {seconds:.1f} | {seconds / forest:.1f}x | {run} | {q} |")
    print("\n### Rule miner against rows\n")
    print("| rows | mine_rules (s) | rules |")
    print("|---:|---:|---:|")
    for n, seconds, k in mining:
        print(f"| {n:,} | {seconds:.2f} | {k} |")


if __name__ == "__main__":
    main()
