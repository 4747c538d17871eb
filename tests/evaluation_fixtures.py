"""Small seeded canonical tables with a rare class, and a planted useless augmenter."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from iotforge.curation.schema import TableMeta

ROLES = {"source": "provenance", "source_file": "provenance", "source_row": "provenance",
         "is_synthetic": "provenance", "augmenter": "provenance", "label": "label",
         "label_raw": "label", "is_attack": "label", "attack_family": "label",
         "src_ip": "endpoint", "bytes": "numeric", "duration": "numeric",
         "dst_port": "numeric", "proto": "categorical"}
NUMERIC = ["bytes", "duration", "dst_port"]
CATEGORICAL = ["proto"]
CLASSES = {"normal": (0.0, "tcp"), "ddos": (3.0, "udp"), "heartbleed": (6.0, "tcp")}


def table(counts: dict[str, int], seed: int, start_row: int = 0) -> pd.DataFrame:
    """Canonical-looking rows: classes separated on bytes/duration, with noise and NaNs."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(list(counts), list(counts.values()))
    rng.shuffle(labels)
    n = len(labels)
    shift = np.array([CLASSES[c][0] for c in labels])
    bytes_ = np.exp(rng.normal(4 + shift, 0.9))
    bytes_[rng.random(n) < 0.1] = np.nan  # curated tables have holes
    frame = pd.DataFrame({
        "source": "fixture", "source_file": "fixture.csv",
        "source_row": np.arange(start_row, start_row + n), "is_synthetic": False,
        "augmenter": None, "label": labels, "label_raw": labels,
        "is_attack": labels != "normal", "attack_family": None,
        "src_ip": rng.choice([f"10.0.0.{i}" for i in range(5)], n),
        "bytes": bytes_, "duration": rng.normal(shift, 1.2),
        "dst_port": rng.choice([80, 443, 8080], n).astype(float),
        "proto": np.where(rng.random(n) < 0.8, [CLASSES[c][1] for c in labels],
                          rng.choice(["tcp", "udp", "icmp"], n)),
    })
    frame["augmenter"] = frame["augmenter"].astype(object)
    return frame


def split_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    train = table({"normal": 300, "ddos": 80, "heartbleed": 12}, seed=1)
    test = table({"normal": 100, "ddos": 25, "heartbleed": 6}, seed=2, start_row=10_000)
    return train, test


def meta(side: str) -> TableMeta:
    return TableMeta(stage="split", roles=dict(ROLES), split=side, seed=0)


class NoiseSampler:
    """A useless augmenter: for every minority class, ``factor`` times its rows of pure
    noise (uniform over each numeric column's range, random categories)."""

    def __init__(self, *, factor: int = 4, random_state: int = 0) -> None:
        self.factor = factor
        self.random_state = random_state

    def fit_resample(self, X: pd.DataFrame, y: Any) -> tuple[pd.DataFrame, np.ndarray]:
        rng = np.random.default_rng(self.random_state)
        y = np.asarray(y)
        values, counts = np.unique(y, return_counts=True)
        majority = values[counts.argmax()]
        labels = np.concatenate([np.full(self.factor * k, c)
                                 for c, k in zip(values, counts, strict=True) if c != majority])
        n = len(labels)
        noise = {}
        for col in X.columns:
            if X[col].dtype.kind == "f":
                lo, hi = np.nanmin(X[col]), np.nanmax(X[col])
                noise[col] = rng.uniform(lo, hi, n)
            else:
                noise[col] = rng.choice(X[col].dropna().unique(), n)
        X_res = pd.concat([X.reset_index(drop=True), pd.DataFrame(noise)], ignore_index=True)
        self.synthetic_mask_ = np.r_[np.zeros(len(X), bool), np.ones(n, bool)]
        return X_res, np.concatenate([y, labels])
