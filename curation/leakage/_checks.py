"""The whole-table checks of the audit: classes recorded at disjoint times, identical
feature rows with different labels, and test rows identical to a training row.

Feature rows are compared by :func:`feature_keys`, the project's row hash
(:func:`iotforge.curation.rules._hash.frame_hash`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..rules._hash import frame_hash
from ..schema import IS_ATTACK, LABEL
from ._report import Finding, Severity


def _time_ranges(df: pd.DataFrame, col: str) -> Finding | None:
    s = df[col]
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        return None
    frame = pd.DataFrame({"t": s, "y": df[LABEL].astype(str)}).dropna()
    if frame["y"].nunique() < 2:
        return None
    ranges = frame.groupby("y")["t"].agg(["min", "max"])
    isolated = [c for c in ranges.index
                if not any(ranges.at[c, "min"] <= ranges.at[o, "max"]
                           and ranges.at[o, "min"] <= ranges.at[c, "max"]
                           for o in ranges.index if o != c)]
    binary_disjoint = False
    if IS_ATTACK in df.columns:
        flag = df.loc[frame.index, IS_ATTACK]
        if flag.notna().all() and flag.nunique() == 2:
            b = frame.groupby(flag.astype(bool).to_numpy())["t"].agg(["min", "max"])
            binary_disjoint = bool(b.at[True, "min"] > b.at[False, "max"]
                                   or b.at[False, "min"] > b.at[True, "max"])
    if not isolated and not binary_disjoint:
        return None
    severity: Severity = "error" if binary_disjoint or len(isolated) == len(ranges) else "warning"
    spans = {str(c): [str(ranges.at[c, "min"]), str(ranges.at[c, "max"])] for c in ranges.index}
    what = ("normal and attack rows were recorded at disjoint times"
            if binary_disjoint else f"{len(isolated)} classes overlap no other class in time")
    return Finding(id=f"time-disjoint:{col}", check="time_ranges", severity=severity, column=col,
                   message=f"{what} ({col!r}): any time-correlated feature leaks the label; "
                           "prefer a time-based split and check features for drift",
                   details={"isolated_classes": [str(c) for c in isolated],
                            "normal_attack_disjoint": binary_disjoint, "ranges": spans})


def feature_keys(df: pd.DataFrame, features: list[str]) -> pd.Series:
    """One 64-bit hash per row of ``df[features]``: equal rows, equal keys
    (:func:`iotforge.curation.rules._hash.frame_hash`: -0.0 is 0.0, NaN and None are one missing
    value,
    numbers compare by value).

    >>> df = pd.DataFrame({"a": [1.0, 1.0, 2.0], "b": ["x", "x", "x"]})
    >>> k = feature_keys(df, ["a", "b"])
    >>> bool(k[0] == k[1]), bool(k[0] == k[2])
    (True, False)
    """
    return pd.Series(frame_hash(df, features))


def _label_conflicts(df: pd.DataFrame, features: list[str]) -> Finding | None:
    keys = feature_keys(df, features)
    labels = df[LABEL].astype(str).reset_index(drop=True)
    per_key = labels.groupby(keys).nunique()
    bad = per_key[per_key > 1].index
    if len(bad) == 0:
        return None
    rows = keys.isin(bad)
    examples = []
    for key in bad[:3]:
        members = df.reset_index(drop=True)[(keys == key).to_numpy()]
        examples.append({"features": {c: _plain(members.iloc[0][c]) for c in features},
                         "labels": members[LABEL].astype(str).value_counts().to_dict()})
    return Finding(id="label-conflict", check="label_conflict", severity="warning",
                   message=f"{int(rows.sum())} rows ({rows.mean():.2%}) in {len(bad)} groups of "
                           "identical features carry different labels",
                   details={"rows": int(rows.sum()), "groups": len(bad), "examples": examples})


def _overlap(train: pd.DataFrame, test: pd.DataFrame, features: list[str]) -> Finding | None:
    missing = [c for c in features if c not in test.columns]
    if missing:
        raise UsageError(f"expected the test split to have the feature columns, found "
                         f"{missing} missing")
    in_train = feature_keys(test, features).isin(set(feature_keys(train, features)))
    n = int(in_train.sum())
    if n == 0:
        return None
    return Finding(id="train-test-overlap", check="train_test_overlap", severity="error",
                   message=f"{n} test rows ({in_train.mean():.2%}) have identical features to "
                           "a training row: the model is tested on rows it memorised",
                   details={"rows": n, "test_rows": int(len(test))})


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
