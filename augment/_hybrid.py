"""SMOTE followed by a cleaning step: SMOTE-Tomek and SMOTE-ENN.

What "exact counts" means here: the over-sampling step adds exactly the rows the
strategy asks for (``n_oversampled_``); the cleaning step then removes rows, real and
synthetic, of every class by design (Tomek links, or rows their neighbours disagree
with). What it removed is reported in ``n_removed_``; ``n_synthetic_`` and
``synthetic_mask_`` describe the final output. The cleaning is imbalanced-learn's own
``TomekLinks`` / ``EditedNearestNeighbours`` with ``sampling_strategy='all'``, the
defaults of ``imblearn.combine.SMOTETomek`` / ``SMOTEENN``, run on the numeric columns
plus one-hot encoded categorical columns.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
from imblearn.under_sampling import EditedNearestNeighbours, TomekLinks
from sklearn.utils._param_validation import Interval, StrOptions

from ._smote import Encoded, SMOTEAugmenter

__all__ = ["SMOTEENNAugmenter", "SMOTETomekAugmenter"]


class _HybridAugmenter(SMOTEAugmenter):
    def _cleaner(self) -> Any:
        raise NotImplementedError

    def _fit_resample(self, X: pd.DataFrame, y: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        X_res, y_res = super()._fit_resample(X, y)
        self.n_oversampled_ = dict(self.n_synthetic_)
        cleaner = self._cleaner()
        cleaner.fit_resample(Encoded(X_res, self.categorical_features_, "onehot").Z, y_res)
        keep = np.sort(cleaner.sample_indices_)
        before = _counts(y_res)
        X_res, y_res = X_res.iloc[keep].reset_index(drop=True), y_res[keep]
        self.synthetic_mask_ = self.synthetic_mask_[keep]
        after = _counts(y_res)
        self.n_removed_ = {c: before[c] - after.get(c, 0) for c in before}
        synthetic = _counts(y_res[self.synthetic_mask_])
        self.n_synthetic_ = {c: synthetic.get(c, 0) for c in before}
        return X_res, y_res


def _counts(y: np.ndarray) -> dict[Hashable, int]:
    classes, counts = np.unique(y, return_counts=True)
    return dict(zip(classes.tolist(), counts.tolist(), strict=True))


class SMOTETomekAugmenter(_HybridAugmenter):
    """SMOTE (exact counts), then remove Tomek links between classes.

    Use it when classes overlap and a cleaner boundary helps more than the extra rows;
    the cleaning makes final counts smaller than asked (module docstring).

    Parameters
    ----------
    sampling_strategy, random_state, categorical_features, constrain, reject_duplicates, \
max_retries, k_neighbors, jitter
        See :class:`augment.SMOTEAugmenter`.

    Attributes
    ----------
    n_oversampled_ : dict
        Class -> rows the SMOTE step added (exactly the strategy's numbers).
    n_removed_ : dict
        Class -> rows (real or synthetic) the cleaning removed.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=200, weights=[0.9], flip_y=0.1, random_state=3)
    >>> aug = SMOTETomekAugmenter(sampling_strategy="floor:50", random_state=0)
    >>> _, y_res = aug.fit_resample(X, y)
    >>> aug.n_oversampled_, aug.n_removed_
    ({0: 0, 1: 19}, {0: 3, 1: 3})
    """

    def _cleaner(self) -> Any:
        return TomekLinks(sampling_strategy="all")


class SMOTEENNAugmenter(_HybridAugmenter):
    """SMOTE (exact counts), then Edited Nearest Neighbours removes contested rows.

    Cleans more aggressively than SMOTE-Tomek; use it on noisy labels.

    Parameters
    ----------
    sampling_strategy, random_state, categorical_features, constrain, reject_duplicates, \
max_retries, k_neighbors, jitter
        See :class:`augment.SMOTEAugmenter`.
    n_neighbors : int, default=3
        Neighbours ENN consults.
    kind_sel : {'all', 'mode'}, default='all'
        Remove a row when all / most of its neighbours disagree with its class.

    Attributes
    ----------
    n_oversampled_ : dict
        Class -> rows the SMOTE step added (exactly the strategy's numbers).
    n_removed_ : dict
        Class -> rows (real or synthetic) the cleaning removed.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=200, weights=[0.9], flip_y=0.05, random_state=0)
    >>> aug = SMOTEENNAugmenter(sampling_strategy="floor:50", random_state=0)
    >>> _, y_res = aug.fit_resample(X, y)
    >>> aug.n_oversampled_, aug.n_removed_
    ({0: 0, 1: 26}, {0: 62, 1: 24})
    """

    _parameter_constraints: dict = {
        **SMOTEAugmenter._parameter_constraints,
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "kind_sel": [StrOptions({"all", "mode"})],
    }

    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        random_state: Any = None,
        categorical_features: Any = "auto",
        constrain: bool = True,
        reject_duplicates: bool = True,
        max_retries: int = 10,
        k_neighbors: int = 5,
        jitter: float = 0.05,
        n_neighbors: int = 3,
        kind_sel: str = "all",
    ) -> None:
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            categorical_features=categorical_features,
            constrain=constrain,
            reject_duplicates=reject_duplicates,
            max_retries=max_retries,
            k_neighbors=k_neighbors,
            jitter=jitter,
        )
        self.n_neighbors = n_neighbors
        self.kind_sel = kind_sel

    def _cleaner(self) -> Any:
        return EditedNearestNeighbours(
            sampling_strategy="all", n_neighbors=self.n_neighbors, kind_sel=self.kind_sel
        )
