"""What the columns of ``X`` are: a DataFrame from any input, and which columns are
categorical.

DataFrames keep their dtypes. Object arrays and lists carry no column types, so they
are inferred (:func:`_infer_numeric`): a column of numbers is numeric, anything else
categorical.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse


def _categorical_columns(X: pd.DataFrame, spec: Any) -> list[Hashable]:
    non_numeric = [
        c
        for c in X.columns
        if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])
    ]
    if isinstance(spec, str):  # 'auto', checked by _parameter_constraints
        return non_numeric
    chosen = []
    for item in spec:
        if item in X.columns:
            chosen.append(item)
        elif isinstance(item, numbers.Integral) and 0 <= int(item) < X.shape[1]:
            chosen.append(X.columns[int(item)])
        else:
            raise ValueError(
                f"categorical_features: expected column names or positions of X, "
                f"found {item!r}; columns are {list(X.columns)[:10]}"
            )
    return list(dict.fromkeys(chosen + non_numeric))


def _as_frame(X: Any) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        dense = {
            c: X[c].sparse.to_dense() for c in X.columns if isinstance(X[c].dtype, pd.SparseDtype)
        }
        return X.assign(**dense) if dense else X
    array = X.toarray() if sparse.issparse(X) else np.asarray(X)
    if array.dtype.kind in "US" and not hasattr(X, "dtype"):
        array = np.asarray(X, dtype=object)  # a list of numbers and strings: keep the numbers
    if array.ndim != 2:
        raise ValueError(f"expected a 2-d X, found an array of shape {array.shape}")
    return pd.DataFrame(array)


_NUMBER_KINDS = {"integer", "floating", "mixed-integer-float", "decimal"}


def _infer_numeric(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Hashable]]:
    """Give the columns of an object array that hold only numbers a numeric dtype.

    ``X.to_numpy()`` of a mixed frame is one object array: without this every column,
    counts and durations too, would be categorical (SMOTEN over all of them). A column
    is numeric when every value is a number (Python or NumPy; bools and strings stay
    categorical, as they are in a DataFrame). Returns the frame and the columns left
    categorical.
    """
    out, categorical = {}, []
    for col in frame.columns:
        s = frame[col]
        kind = pd.api.types.infer_dtype(s, skipna=False)
        if kind not in _NUMBER_KINDS:
            categorical.append(col)
            out[col] = s
            continue
        try:  # integers stay integers, so the validity rules round synthetic values
            out[col] = s.astype("int64") if kind == "integer" else s.astype("float64")
        except (OverflowError, TypeError, ValueError):
            out[col] = s.astype("float64")
    return pd.DataFrame(out, columns=frame.columns), categorical
