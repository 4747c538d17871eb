"""The single-column check of the audit: each column alone as a predictor of the label.

A depth-4 decision tree on a column's value (its sort order for strings), a lookup
table of its exact values, and for strings the encoding of the value (its length, its
surrounding whitespace), each scored by balanced accuracy on held-out rows of a
class-stratified sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import IS_ATTACK, LABEL
from ._report import ARTIFACT_PROBES, ColumnScore

Targets = list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]
"""Per target (``label``, ``is_attack``): its name, values, training and held-out rows."""


def _sample(df: pd.DataFrame, max_rows: int, random_state: int) -> pd.DataFrame:
    if len(df) <= max_rows:
        return df.reset_index(drop=True)
    frac = max_rows / len(df)
    rng = np.random.default_rng(random_state)
    keep: list[np.ndarray] = []
    for _, idx in df.groupby(LABEL, sort=True).indices.items():
        n = min(len(idx), max(int(np.ceil(frac * len(idx))), 20))
        keep.append(rng.choice(idx, size=n, replace=False))
    return df.iloc[np.sort(np.concatenate(keep))].reset_index(drop=True)


def _targets(df: pd.DataFrame) -> dict[str, np.ndarray]:
    out = {LABEL: df[LABEL].astype(str).to_numpy()}
    if IS_ATTACK in df.columns and df[LABEL].nunique() > 2:
        flag = df[IS_ATTACK]
        if flag.notna().all() and flag.nunique() == 2:
            out[IS_ATTACK] = flag.astype(str).to_numpy()
    return out


def probe_targets(sample: pd.DataFrame, random_state: int) -> Targets:
    """The targets with at least two classes in ``sample``, each with its held-out rows."""
    return [(name, y, *_holdout(y, random_state)) for name, y in _targets(sample).items()
            if len(np.unique(y)) >= 2]


def _probes(s: pd.Series) -> dict[str, tuple[np.ndarray, bool]]:
    """probe name -> (values, is a lookup table rather than a tree)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        ns = s.astype("datetime64[ns, UTC]" if isinstance(s.dtype, pd.DatetimeTZDtype)
                      else "datetime64[ns]")
        values = ns.astype("int64").astype(float)
        values[ns.isna().to_numpy()] = np.nan
        return {"value": (np.asarray(values, dtype=float), False)}
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return {"value": (pd.to_numeric(s, errors="coerce").astype(float).to_numpy(), False)}
    text = s.astype(object).where(s.notna(), None)
    as_str = text.map(lambda v: v if isinstance(v, str) else (None if v is None else str(v)))
    codes = pd.factorize(as_str, sort=True)[0].astype(float)
    codes[codes < 0] = np.nan
    stripped = as_str.map(lambda v: len(v) - len(v.strip()) if v is not None else np.nan)
    return {
        "lookup": (codes, True),
        "order": (codes, False),
        "length": (as_str.map(lambda v: len(v) if v is not None else np.nan)
                   .astype(float).to_numpy(), False),
        "whitespace": (stripped.astype(float).to_numpy(), False),
    }


def _holdout(y: np.ndarray, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    _, counts = np.unique(y, return_counts=True)
    stratify = y if counts.min() >= 2 else None
    return train_test_split(idx, test_size=0.3, random_state=random_state, stratify=stratify)


def _balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    classes = np.unique(y_true)
    return float(np.mean([np.mean(y_pred[y_true == c] == c) for c in classes]))


def _predict(x: np.ndarray, lookup: bool, y: np.ndarray, tr: np.ndarray, te: np.ndarray,
             random_state: int) -> np.ndarray:
    if lookup:
        classes, yc = np.unique(y[tr], return_inverse=True)
        majority = np.bincount(yc).argmax()
        codes = np.where(np.isnan(x), -1, x).astype(np.int64) + 1  # 0 = missing
        table = np.zeros((int(codes.max()) + 1, len(classes)))
        np.add.at(table, (codes[tr], yc), 1)
        best = np.where(table.sum(axis=1) > 0, table.argmax(axis=1), majority)
        return classes[best[codes[te]]]
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(max_depth=4, min_samples_leaf=5, random_state=random_state)
    tree.fit(x[tr].reshape(-1, 1), y[tr])
    return tree.predict(x[te].reshape(-1, 1))


def _best_probe(df: pd.DataFrame, col: str, role: str,
                targets: Targets, random_state: int) -> ColumnScore | None:
    s = df[col]
    if s.isna().all() or len(df) < 10:
        return None
    probes = {name: (x, lookup) for name, (x, lookup) in _probes(s).items()
              if not np.all(np.isnan(x))
              and not (np.nanmin(x) == np.nanmax(x) and not np.isnan(x).any())}
    best: ColumnScore | None = None
    for target, y, tr, te in targets:
        k = len(np.unique(y))
        for probe, (x, lookup) in probes.items():
            bacc = _balanced_accuracy(y[te], _predict(x, lookup, y, tr, te, random_state))
            lift = max(0.0, (bacc - 1 / k) / (1 - 1 / k))
            score = ColumnScore(col, role, probe, target, round(bacc, 4), round(1 / k, 4),
                                round(lift, 4))
            # Ties go to the meaning of a value, not to its encoding.
            if best is None or score.lift > best.lift + (0.02 if probe in ARTIFACT_PROBES
                                                         else 0.0):
                best = score
    return best
