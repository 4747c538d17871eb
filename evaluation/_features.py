"""Feature frames of the evaluation, and training tables with synthetic rows.

:func:`prepare_features` turns canonical rows into the frame every classifier takes;
:func:`resample` runs a sampler and tells its synthetic rows from the real ones;
:func:`synthetic_rows` reads a table of synthetic rows (the augment stage's output).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from iotforge.curation.errors import UsageError
from iotforge.curation.schema import ATTACK_FAMILY, IS_ATTACK, IS_SYNTHETIC, LABEL
from iotforge.curation.targets import target_values

__all__ = ["feature_columns", "prepare_features"]

MISSING = "__missing__"


def feature_columns(roles: Mapping[str, str], columns: Sequence[str]) -> tuple[list[str],
                                                                                 list[str]]:
    """The ``numeric`` and ``categorical`` columns of ``columns``, in table order.

    >>> feature_columns({"x": "numeric", "p": "categorical", "ip": "endpoint"}, ["ip", "p", "x"])
    (['x'], ['p'])
    """
    numeric = [c for c in columns if roles.get(c) == "numeric"]
    categorical = [c for c in columns if roles.get(c) == "categorical"]
    return numeric, categorical


def prepare_features(frame: pd.DataFrame, numeric: Sequence[str],
                     categorical: Sequence[str]) -> pd.DataFrame:
    """Float numeric columns (inf -> missing) and string categorical columns.

    >>> prepare_features(pd.DataFrame({"x": [1, np.inf], "p": [True, None]}), ["x"], ["p"])
         x     p
    0  1.0  True
    1  NaN   NaN
    """
    out = {}
    for col in numeric:
        v = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        out[col] = np.where(np.isfinite(v), v, np.nan)
    for col in categorical:
        s = frame[col]
        out[col] = s.astype(str).where(s.notna(), np.nan).to_numpy(dtype=object)
    return pd.DataFrame(out, index=range(len(frame)), columns=[*numeric, *categorical])


def impute(X: pd.DataFrame, reference: pd.DataFrame, numeric: Sequence[str]) -> pd.DataFrame:
    """Missing values filled for samplers, which refuse them: medians of ``reference``
    for numeric columns, the category ``"__missing__"`` for the others."""
    filled = X.copy()
    for col in X.columns:
        if col in numeric:
            median = reference[col].median()
            filled[col] = X[col].fillna(0.0 if pd.isna(median) else median)
        else:
            filled[col] = X[col].fillna(MISSING)
    return filled


@dataclass
class Augmented:
    """One augmenter's training table (``X``, ``y``) and its synthetic rows, if known."""

    X: pd.DataFrame
    y: np.ndarray
    X_syn: pd.DataFrame | None
    y_syn: np.ndarray | None
    appends: bool = True
    chosen: dict[str, str] | None = None


def resample(sampler: Any, X_raw: pd.DataFrame, X: pd.DataFrame, y: np.ndarray) -> Augmented:
    """Run ``sampler`` on the imputed rows ``X``; tell real from synthetic rows.

    An over-sampler returns the input rows first: then the training table is the *raw*
    real rows (missing values kept) plus the synthetic rows. A hybrid or under-sampler
    changes the real rows: its whole output is the training table.
    """
    X_res, y_res = sampler.fit_resample(X, y)
    X_res = pd.DataFrame(X_res, columns=X.columns).reset_index(drop=True)
    y_res = np.asarray(y_res).astype(str)
    n = len(X)
    appends = (len(X_res) >= n and X_res.iloc[:n].equals(X.reset_index(drop=True))
               and np.array_equal(y_res[:n], y))
    mask = getattr(sampler, "synthetic_mask_", None)
    if mask is None and appends:
        mask = np.arange(len(X_res)) >= n
    X_syn = y_syn = None
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        X_syn, y_syn = X_res[mask].reset_index(drop=True), y_res[mask]
    if appends and X_syn is not None and y_syn is not None:
        return Augmented(pd.concat([X_raw, X_syn], ignore_index=True),
                         np.concatenate([y, y_syn]), X_syn, y_syn)
    return Augmented(X_res, y_res, X_syn, y_syn, appends=False)


def synthetic_rows(frame: pd.DataFrame, train: pd.DataFrame, numeric: Sequence[str],
                   categorical: Sequence[str], target: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Features and target classes of the synthetic rows of ``frame`` (rows with
    ``is_synthetic`` false, when that column exists, are ignored)."""
    if IS_SYNTHETIC in frame.columns:
        frame = frame[frame[IS_SYNTHETIC].fillna(False).astype(bool).to_numpy()]
    missing = [c for c in (*numeric, *categorical, target) if c not in frame.columns]
    if missing:
        raise UsageError(f"synthetic rows: expected the training columns, found none of "
                         f"{missing}")
    # the classes of a few rows (maybe one class) through the train rows' rule
    cols = [c for c in (LABEL, IS_ATTACK, ATTACK_FAMILY) if c in frame.columns
            and c in train.columns]
    both = pd.concat([train[cols], frame[cols]], ignore_index=True)
    y = target_values(both, target)[len(train):]  # type: ignore[arg-type]
    return prepare_features(frame, numeric, categorical), np.asarray(y, dtype=object).astype(str)


def class_counts(y: np.ndarray) -> dict[str, int]:
    """Rows per class, largest first.

    >>> class_counts(np.array(["a", "b", "b"]))
    {'b': 2, 'a': 1}
    """
    values, n = np.unique(y, return_counts=True)
    return {str(v): int(k) for v, k in sorted(zip(values, n, strict=True), key=lambda t: -t[1])}
