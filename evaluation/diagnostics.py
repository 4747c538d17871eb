"""Rare-class diagnostics: which classes are rare, and where their synthetic rows land.

The usual way augmentation hurts is synthetic rows of a rare class placed inside
another class's region: a classifier then learns to call the other class's rows rare,
or gives up the rare class's border. :func:`neighbour_overlap` measures it: the share
of a class's synthetic rows whose nearest real training rows are mostly of other
classes, next to the same share for the class's own real rows (some classes overlap
with others in the real data already; the synthetic share matters as a difference).

>>> rare_classes({"normal": 1000, "dos": 400, "r2l": 40, "u2r": 5})
['u2r', 'r2l']
>>> rare_classes({"normal": 600, "attack": 400})
['attack']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._preprocess import _preprocessor

__all__ = ["MAX_QUERY_ROWS", "MAX_RARE", "MAX_REFERENCE_ROWS", "NEIGHBOURS", "RARE_SHARE",
           "neighbour_overlap", "rare_classes"]

RARE_SHARE = 0.1
"""A class is rare when it has fewer training rows than this share of the largest."""
MAX_RARE = 10
"""At most this many rare classes (the rarest) get their own metrics and diagnostics."""
NEIGHBOURS = 5
MAX_QUERY_ROWS = 1000
MAX_REFERENCE_ROWS = 50_000


def rare_classes(train_counts: Mapping[str, int], test_classes: Iterable[str] | None = None,
                 *, share: float = RARE_SHARE, limit: int = MAX_RARE) -> list[str]:
    """Rare classes, rarest first: fewer training rows than ``share`` times the largest
    class, at most ``limit``; when none is that rare, the rarest class other than the
    largest. Classes without training rows (nothing to augment) and, when
    ``test_classes`` is given, classes without test rows (no recall) are left out.
    """
    counts = {str(c): int(n) for c, n in train_counts.items() if int(n) > 0}
    if test_classes is not None:
        tested = set(map(str, test_classes))
        candidates = {c: n for c, n in counts.items() if c in tested}
    else:
        candidates = dict(counts)
    if len(counts) < 2 or not candidates:
        return []
    largest = max(counts.values())
    majority = min((c for c, n in counts.items() if n == largest))
    order = sorted((c for c in candidates if c != majority), key=lambda c: (counts[c], c))
    rare = [c for c in order if counts[c] < share * largest][:limit]
    return rare or order[:1]


def neighbour_overlap(X_train: pd.DataFrame, y_train: np.ndarray, X_syn: pd.DataFrame,
                      y_syn: np.ndarray, classes: Sequence[str], *, k: int = NEIGHBOURS,
                      random_state: int = 0) -> dict[str, dict[str, Any]]:
    """Per class of ``classes`` with synthetic rows: how many land in other classes.

    Rows are encoded like the scaled classifiers' inputs (median imputation, signed log,
    standardisation, one-hot), on the columns the class's real rows fill, among the real
    training rows that fill any of them (in a multi-source table: the class's source).
    A row lies *inside another class's region* when most of its ``k`` nearest real
    training rows belong to other classes.

    Returns
    -------
    dict
        class -> ``synthetic_rows`` (checked, at most 1,000, a seeded sample),
        ``overlap`` (share of them inside another class's region), ``real_overlap``
        (the same for the class's real rows, each left out of its own neighbours) and
        ``landed_in`` (the classes whose region they land in most, with shares).
    """
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(random_state)
    y_train = np.asarray(y_train, dtype=object).astype(str)
    y_syn = np.asarray(y_syn, dtype=object).astype(str)
    out: dict[str, dict[str, Any]] = {}
    for cls in classes:
        real_of = np.flatnonzero(y_train == cls)
        syn = X_syn[y_syn == cls]
        observed = [c for c in X_train.columns if X_train[c].iloc[real_of].notna().any()]
        if len(real_of) < 2 or syn.empty or not observed:
            continue
        filled = X_train[observed].notna().any(axis=1).to_numpy()
        reference = np.flatnonzero(filled)
        if len(reference) > MAX_REFERENCE_ROWS:  # a uniform sample keeps the local mix
            reference = np.sort(rng.choice(reference, MAX_REFERENCE_ROWS, replace=False))
        ref_y = y_train[reference]
        if len(reference) <= k:
            continue
        prepare = _preprocessor(scale=True).fit(X_train[observed].iloc[reference])
        space = prepare.transform(X_train[observed].iloc[reference])
        nn = NearestNeighbors(n_neighbors=k + 1).fit(space)
        if len(syn) > MAX_QUERY_ROWS:
            syn = syn.iloc[np.sort(rng.choice(len(syn), MAX_QUERY_ROWS, replace=False))]
        near = nn.kneighbors(prepare.transform(syn[observed]), n_neighbors=k,
                             return_distance=False)
        own = np.flatnonzero(ref_y == cls)
        if len(own) > MAX_QUERY_ROWS:
            own = np.sort(rng.choice(own, MAX_QUERY_ROWS, replace=False))
        near_real = nn.kneighbors(space[own], return_distance=False)
        # leave each real row out of its own neighbours (drop it, or the farthest)
        keep = near_real != own[:, None]
        keep[keep.all(axis=1), -1] = False
        near_real = near_real[keep].reshape(len(own), k)
        syn_inside, landed = _inside(ref_y[near], cls)
        real_inside, _ = _inside(ref_y[near_real], cls)
        out[cls] = {"synthetic_rows": int(len(syn)), "overlap": float(syn_inside.mean()),
                    "real_overlap": float(real_inside.mean()) if len(own) else None,
                    "landed_in": landed}
    return out


def _inside(labels: np.ndarray, cls: str) -> tuple[np.ndarray, dict[str, float]]:
    """Which rows have most neighbours of other classes, and the classes they land in."""
    other = labels != cls
    inside = other.sum(axis=1) * 2 > labels.shape[1]
    landed: dict[str, float] = {}
    for row in labels[inside]:
        values, n = np.unique(row[row != cls], return_counts=True)
        top = str(values[n.argmax()])
        landed[top] = landed.get(top, 0.0) + 1.0
    total = max(len(labels), 1)
    top3 = sorted(landed.items(), key=lambda kv: -kv[1])[:3]
    return inside, {c: round(v / total, 4) for c, v in top3}
