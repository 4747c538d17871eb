"""Out-of-fold predicted probabilities: K folds, one model per fold, locally or as Dask tasks.

Folds follow the split the table came from: whole groups in one fold when the split
was grouped (:class:`~sklearn.model_selection.StratifiedGroupKFold`), contiguous blocks
of time when it was by time, stratified folds otherwise. Each fold's model is a clone
of one estimator, so a row's probabilities come from a model that never saw it, and the
result is the same whichever engine runs the folds.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any, Literal

import numpy as np

from ..errors import TooLittleDataError

FoldMode = Literal["stratified", "group", "time"]
"""How rows are assigned to folds (the split modes that matter for leakage)."""

log = logging.getLogger(__name__)

__all__ = ["FoldMode", "fold_ids", "oof_probabilities"]


def fold_ids(codes: np.ndarray, *, n_folds: int = 5, groups: np.ndarray | None = None,
             time: np.ndarray | None = None, random_state: int = 0) -> tuple[np.ndarray,
                                                                               FoldMode]:
    """The fold (``0..n_folds-1``) of every row, and the mode used.

    ``time``: ``n_folds`` contiguous blocks of equal size in time order (missing times
    last). ``groups``: stratified folds of whole groups. Otherwise stratified folds.

    >>> ids, mode = fold_ids(np.array([0, 1] * 5), n_folds=2, time=np.arange(10.0))
    >>> ids.tolist(), mode
    ([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], 'time')
    """
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    n = len(codes)
    if n_folds < 2:
        raise TooLittleDataError(f"expected at least 2 folds, found {n_folds}")
    if n < n_folds:
        raise TooLittleDataError(f"expected at least {n_folds} rows for {n_folds} folds, "
                                 f"found {n}")
    ids = np.empty(n, dtype=np.int64)
    if time is not None:
        order = np.argsort(np.asarray(time), kind="stable")
        for k, block in enumerate(np.array_split(order, n_folds)):
            ids[block] = k
        return ids, "time"
    with warnings.catch_warnings():  # classes with fewer rows than folds: sklearn warns
        warnings.simplefilter("ignore", UserWarning)
        if groups is not None:
            distinct = len(np.unique(groups))
            if distinct < 2:
                raise TooLittleDataError(f"expected at least 2 groups for grouped folds, "
                                         f"found {distinct}")
            splitter: Any = StratifiedGroupKFold(n_splits=min(n_folds, distinct),
                                                 shuffle=True, random_state=random_state)
            parts = splitter.split(np.zeros(n), codes, groups)
            mode: FoldMode = "group"
        else:
            splitter = StratifiedKFold(n_splits=n_folds, shuffle=True,
                                       random_state=random_state)
            parts = splitter.split(np.zeros(n), codes)
            mode = "stratified"
        for k, (_, test) in enumerate(parts):
            ids[test] = k
    return ids, mode


def _rows(X: Any, idx: np.ndarray) -> Any:
    return X.iloc[idx] if hasattr(X, "iloc") else X[idx]


def fit_fold(estimator: Any, X: Any, codes: np.ndarray, folds: np.ndarray, k: int,
             n_classes: int) -> np.ndarray:
    """Fit a clone of ``estimator`` on every fold but ``k``; probabilities of fold ``k``'s
    rows, one column per class code (0 for a class the fold's model never saw)."""
    from sklearn.base import clone

    train, test = np.flatnonzero(folds != k), np.flatnonzero(folds == k)
    out = np.zeros((len(test), n_classes))
    seen = np.unique(codes[train])
    if len(seen) == 1:  # one class left: a model cannot fit, the answer is certain
        out[:, seen[0]] = 1.0
        return out
    with warnings.catch_warnings():  # a fold where a mostly-missing column is all missing
        warnings.filterwarnings("ignore", message="Skipping features without any observed")
        model = clone(estimator).fit(_rows(X, train), codes[train])
        proba = np.asarray(model.predict_proba(_rows(X, test)), dtype=float)
    out[:, np.asarray(model.classes_, dtype=np.int64)] = proba
    return out


def oof_probabilities(estimator: Any, X: Any, codes: np.ndarray, folds: np.ndarray,
                      n_classes: int, *, client: Any = None) -> np.ndarray:
    """Out-of-fold probabilities (rows x classes): each fold predicted by a model fitted
    on the other folds; with a Dask ``client``, one task per fold (same result).

    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = np.array([[0.0], [0.1], [0.2], [1.0], [1.1], [1.2]])
    >>> codes = np.array([0, 0, 0, 1, 1, 1])
    >>> p = oof_probabilities(DecisionTreeClassifier(random_state=0), X, codes,
    ...                       np.array([0, 1, 2, 0, 1, 2]), 2)
    >>> p.argmax(axis=1).tolist()
    [0, 0, 0, 1, 1, 1]
    """
    ks = sorted(int(k) for k in np.unique(folds))
    probs = np.zeros((len(codes), n_classes))
    if client is None:
        parts = []
        for k in ks:
            log.info("label audit: fold %d of %d", k + 1, len(ks))
            parts.append(fit_fold(estimator, X, codes, folds, k, n_classes))
    else:
        X_f, codes_f, folds_f = client.scatter([X, codes, folds], broadcast=True)
        futures = [client.submit(fit_fold, estimator, X_f, codes_f, folds_f, k, n_classes,
                                 pure=False) for k in ks]
        parts = client.gather(futures)
    for k, part in zip(ks, parts, strict=True):
        probs[folds == k] = part
    return probs
