"""What every iotforge sampler shares: input checks, strategy resolution, type round-trip.

imbalanced-learn's ``BaseSampler.fit_resample`` checks the target, calls
``_check_X_y``, resolves ``sampling_strategy`` and calls ``_fit_resample``; parameter
constraints are checked before all of it. :class:`_FrameSampler` keeps that contract
and fills in the two hooks:

- ``_check_X_y`` turns any input (DataFrame, array, list, sparse) into a DataFrame with
  its column types, rejects missing and infinite values with one clear message, and
  factorizes the labels once;
- ``_fit_resample`` resolves ``sampling_strategy`` into ``sampling_strategy_`` (rows to
  add per class; imbalanced-learn's forms and the skew strategies of
  :mod:`iotforge.augment._strategies`), calls the frame-level hook ``_resample(X, y)`` that a
  sampler writes, and returns the rows in the input's type (imbalanced-learn turns them
  back into a DataFrame, a list or a Series).

imbalanced-learn's own resolution knows its strategy names only, so the class declares
``_sampling_type = "bypass"``, as its ``FunctionSampler`` does, and resolves here.
"""

from __future__ import annotations

import warnings
from abc import abstractmethod
from typing import Any

import numpy as np
import pandas as pd
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_target_type
from scipy import sparse
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_consistent_length, column_or_1d
from sklearn_compat.base import _fit_context
from sklearn_compat.utils.validation import _check_feature_names, _check_n_features

from ._columns import _as_frame, _infer_numeric
from ._strategies import _factorize, _resolve

__all__: list[str] = []


class _FrameSampler(BaseOverSampler):
    """An imbalanced-learn over-sampler whose generation works on DataFrames.

    A subclass writes ``__init__`` and ``_resample(X, y)`` (X a DataFrame, y the labels;
    returns the real rows followed by the new ones); ``sampling_strategy_`` is resolved
    before it is called.
    """

    _sampling_type = "bypass"  # resolved by _fit_resample: imblearn knows no 'power:0.5'

    @abstractmethod
    def _resample(self, X: pd.DataFrame, y: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        """The real rows of ``X`` followed by the synthetic ones, and their labels."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any, **params: Any) -> _FrameSampler:
        """Validate ``X`` and ``y`` and resolve ``sampling_strategy_``; use ``fit_resample``."""
        check_classification_targets(y)  # as fit_resample does, before _check_X_y
        _, y1d, _ = self._check_X_y(X, y)
        self.sampling_strategy_ = self._resolve_strategy(y1d)
        return self

    def _fit_resample(self, X: pd.DataFrame, y: np.ndarray, **params: Any) -> tuple[Any, Any]:
        self.sampling_strategy_ = self._resolve_strategy(y)
        X_res, y_res = self._resample(X, y)
        is_frame, dtype, fmt = self._input_type
        if not is_frame:  # an array (or list) of the input's dtype, sparse if it was
            X_res = X_res.to_numpy(dtype=dtype)
            if fmt is not None:
                X_res = sparse.csr_matrix(X_res).asformat(fmt)
        return X_res, y_res

    def _resolve_strategy(self, y: np.ndarray) -> dict[Any, int]:
        return _resolve(self.sampling_strategy, y, list(self._label_counts), self._label_codes)

    def _forget_fit(self) -> None:
        """Drop every fitted attribute (name ending in ``_``) of an earlier fit."""
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]:
            delattr(self, name)

    def _check_X_y(self, X: Any, y: Any, accept_sparse: Any = None
                   ) -> tuple[pd.DataFrame, np.ndarray, bool]:
        """``X`` as a typed DataFrame, ``y`` as one label per row, and whether ``y`` was
        one-hot; every fitted attribute of an earlier fit dropped.

        Called after ``check_classification_targets(y)`` (``fit_resample`` and ``fit``
        do it), so a 1-d ``y`` holds class labels and is not sorted a second time.
        """
        self._forget_fit()
        y_type = "multiclass" if np.ndim(y) == 1 else type_of_target(y, input_name="y")
        if y_type == "multilabel-indicator":  # one-hot is fine, multilabel raises
            y1d, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        elif y_type in ("binary", "multiclass"):  # a 1-d y: check_classification_targets
            y1d, binarize_y = column_or_1d(y, warn=False), False
        else:
            raise ValueError("Multilabel and multioutput targets are not supported.")
        frame = _as_frame(X)
        # an object array or a list has no column types (a string array has one)
        untyped = getattr(X, "dtype", np.dtype(object)).kind == "O"
        if not isinstance(X, pd.DataFrame) and untyped and all(t.kind == "O" for t in frame.dtypes):
            frame, categorical = _infer_numeric(frame)
            if categorical:
                shown = f"{categorical[:10]}"[:-1] + (", ...]" if len(categorical) > 10 else "]")
                warnings.warn(
                    f"{type(self).__name__}: X has no column types (an object array or a "
                    f"list), so they were inferred: {len(categorical)} of {frame.shape[1]} "
                    f"columns are treated as categorical (positions {shown}: not all values "
                    f"are numbers), {frame.shape[1] - len(categorical)} as numeric; pass a "
                    "DataFrame with dtypes, or categorical_features, to choose",
                    UserWarning,
                    stacklevel=5,
                )
        check_consistent_length(frame, y1d)
        _check_feature_names(self, X, reset=True)
        _check_n_features(self, X, reset=True)
        _check_values(frame)
        classes, self._label_codes = _factorize(y1d)
        counts = np.bincount(self._label_codes, minlength=len(classes)).tolist()
        self._label_counts = dict(zip(classes, counts, strict=True))
        # how _fit_resample hands the rows back: a DataFrame, or the input's dtype and
        # sparse format (imbalanced-learn makes a list of a list's array)
        self._input_type = (isinstance(X, pd.DataFrame), getattr(X, "dtype", None),
                            X.format if sparse.issparse(X) else None)
        return frame, y1d, binarize_y

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags


def _check_values(frame: pd.DataFrame) -> None:
    """No missing values, no infinities: one message naming every column that has them."""
    missing = frame.isna().sum()
    if missing.any():
        cols = {str(c): int(n) for c, n in missing[missing > 0].items()}
        raise ValueError(
            f"expected no missing values in X, found {cols} (column: count); "
            "impute or drop them before augmenting"
        )
    numeric = frame.select_dtypes("number")
    if numeric.shape[1] and not np.isfinite(numeric.to_numpy(dtype=float)).all():
        bad = [
            str(c)
            for c in numeric.columns
            if not np.isfinite(numeric[c].to_numpy(dtype=float)).all()
        ]
        raise ValueError(
            f"expected finite numeric values in X, found inf in {bad}; "
            "replace them (e.g. with NaN, then impute) before augmenting"
        )
