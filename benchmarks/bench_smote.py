"""Overhead of the iotforge SMOTE-family wrappers over raw imbalanced-learn.

Same data, same run, same machine: each raw sampler and its wrapper resample the same
table ``--repeats`` times; the table shows median seconds and the wrapper's overhead
(goal: under 10 %). The wrapper does more than the library (exact counts, validity rules,
duplicate rejection, dtype round-trip); the overhead is the price of that.

Data: the CIC-IDS2017 sample in ``$IOTFORGE_DATASETS`` (or ``../shared/datasets``) when
present, numeric flow features only; otherwise ``make_classification`` with a similar
skew. Run: ``python benchmarks/bench_smote.py [--repeats 5]``; prints Markdown.
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

import imblearn
import numpy as np
import pandas as pd
from imblearn.over_sampling import ADASYN, SMOTE, BorderlineSMOTE, RandomOverSampler
from iotforge.augment import (
    ADASYNAugmenter,
    BorderlineSMOTEAugmenter,
    RandomOverSamplerAugmenter,
    SMOTEAugmenter,
)
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

COLUMNS = [
    "Flow Duration", "Total Fwd Packet", "Total Bwd packets", "Total Length of Fwd Packet",
    "Total Length of Bwd Packet", "Fwd Packet Length Max", "Fwd Packet Length Mean",
    "Bwd Packet Length Max", "Flow IAT Mean", "Flow IAT Max", "Fwd IAT Total",
    "Packet Length Mean", "Average Packet Size", "Subflow Fwd Bytes", "FWD Init Win Bytes",
    "Idle Mean",
]  # fmt: skip


def load_data() -> tuple[str, pd.DataFrame, np.ndarray]:
    root = Path(__file__).resolve().parents[1]
    folder = Path(os.environ.get("IOTFORGE_DATASETS", root.parent / "shared" / "datasets"))
    folder = folder / "cicids2017_improved_sample"
    if folder.is_dir():
        frames = [pd.read_csv(f, usecols=[*COLUMNS, "Label"]) for f in sorted(folder.glob("*.csv"))]
        df = pd.concat(frames, ignore_index=True)
        df = df[np.isfinite(df[COLUMNS].to_numpy(dtype=float)).all(axis=1)]
        return "CIC-IDS2017 sample (16 numeric columns)", df[COLUMNS], df["Label"].to_numpy()
    X, y = make_classification(
        n_samples=25_000, n_features=16, n_informative=8, n_classes=6,
        weights=[0.6, 0.2, 0.1, 0.07, 0.02, 0.01], random_state=0,
    )  # fmt: skip
    return "make_classification (16 features, 6 classes)", pd.DataFrame(X), y


def paired_seconds(raw, wrapped, repeats: int) -> tuple[float, float]:
    """Median seconds of each, runs interleaved so machine load hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for fn, out in ((raw, times[0]), (wrapped, times[1])):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    name, X, y = load_data()
    # The smallest class (Heartbleed, 11 rows) still has more than k rows, so raw runs too.
    pairs = [
        ("SMOTE", SMOTE(random_state=0), SMOTEAugmenter(random_state=0)),
        (
            "BorderlineSMOTE",
            BorderlineSMOTE(random_state=0),
            BorderlineSMOTEAugmenter(random_state=0),
        ),
        ("ADASYN", ADASYN(random_state=0), ADASYNAugmenter(random_state=0)),
        (
            "RandomOverSampler",
            RandomOverSampler(random_state=0),
            RandomOverSamplerAugmenter(random_state=0),
        ),
    ]
    rows = []
    # one thread each: on a shared machine OpenMP threads add noise, not speed
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        for label, raw, wrapped in pairs:
            raw_s, wrap_s = paired_seconds(
                lambda r=raw: r.fit_resample(X, y),
                lambda w=wrapped: w.fit_resample(X, y),
                args.repeats,
            )
            added = int(sum(wrapped.n_synthetic_.values()))
            rows.append((label, raw_s, wrap_s, added))
    print(f"### SMOTE-family wrapper overhead ({dt.date.today().isoformat()})\n")
    print(
        f"Data: {name}, {len(X):,} rows, {len(np.unique(y))} classes, balanced with 'auto'. "
        f"Median of {args.repeats} interleaved runs, one BLAS/OpenMP thread.\n"
    )
    print(
        f"Machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}, "
        f"imbalanced-learn {imblearn.__version__}, pandas {pd.__version__}\n"
    )
    print("| sampler | rows added | imbalanced-learn (s) | iotforge wrapper (s) | overhead |")
    print("|---|---:|---:|---:|---:|")
    for label, raw_s, wrap_s, added in rows:
        overhead = 100 * (wrap_s / raw_s - 1)
        print(f"| {label} | {added:,} | {raw_s:.3f} | {wrap_s:.3f} | {overhead:+.1f} % |")


if __name__ == "__main__":
    main()
