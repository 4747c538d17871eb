"""The classifiers' preprocessing: imputation, one-hot encoding and, for the models that
compare distances or follow gradients, a signed log and standardization.

A leaf of the package: :mod:`iotforge.evaluation.classifiers`, the anomaly detector, the
diagnostics and the fidelity projection all build their preprocessing here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._features import MISSING

MAX_CATEGORIES = 32
"""One-hot columns per categorical column at most by default; rarer values are grouped
into one column (scikit-learn's ``max_categories``). ``iotforge evaluate
--max-categories N`` (0: no cap) changes it, and the evaluation notes every column the cap
groups (:func:`capped_columns`)."""


def capped_columns(X: Any, categorical: Any, max_categories: int | None) -> dict[str, int]:
    """Categorical columns with more distinct values than ``max_categories`` one-hot
    columns keep: column -> its number of values (missing counted as one).

    >>> import pandas as pd
    >>> capped_columns(pd.DataFrame({"service": list("abcde"), "flag": list("xxyyx")}),
    ...                ["service", "flag"], 4)
    {'service': 5}
    """
    if not max_categories:
        return {}
    counts = {c: int(X[c].nunique(dropna=False)) for c in categorical}
    return {c: n for c, n in counts.items() if n > max_categories}


def _signed_log(x: Any) -> Any:
    return np.sign(x) * np.log1p(np.abs(x))


def _preprocessor(scale: bool, max_categories: int | None = MAX_CATEGORIES) -> Any:
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numeric: list[tuple[str, Any]] = [
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True))]
    if scale:
        numeric += [("log", FunctionTransformer(_signed_log, feature_names_out="one-to-one")),
                    ("scale", StandardScaler())]
    categorical = Pipeline([
        ("impute", SimpleImputer(strategy="constant", fill_value=MISSING)),
        ("onehot", OneHotEncoder(handle_unknown="ignore", max_categories=max_categories or None,
                                 sparse_output=False)),
    ])
    return ColumnTransformer(
        [("numeric", Pipeline(numeric), make_column_selector(dtype_include="number")),
         ("categorical", categorical, make_column_selector(dtype_exclude="number"))],
        sparse_threshold=0.0)
