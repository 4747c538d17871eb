"""SMOTE followed by a cleaning step: SMOTE-Tomek and SMOTE-ENN.

What "exact counts" means here: the over-sampling step adds exactly the rows the
strategy asks for (``n_oversampled_``); the cleaning step then removes contested rows
(Tomek links, or rows their neighbours disagree with), and ``cleaning_removed_`` says
how many of each class. ``n_synthetic_`` and ``synthetic_mask_`` describe the final
output.

Which classes the cleaning may touch is the ``clean`` parameter:

- ``'others'`` (default): only the classes the strategy did not grow. A class the
  augmenter was asked to grow ends at exactly its requested count. imbalanced-learn's
  hybrids clean every class, and on a noisy capture that can remove every real and
  synthetic row of the rare class they were asked to grow (ENN on the TON_IoT
  thermostat capture leaves 0 of 300 ``scanning`` rows).
- ``'imblearn'``: every class, as ``imblearn.combine.SMOTETomek`` / ``SMOTEENN`` do
  (``sampling_strategy='all'`` on the cleaner).

The cleaning is imbalanced-learn's own ``TomekLinks`` / ``EditedNearestNeighbours``,
with neighbours found among all rows, on the numeric columns plus one-hot encoded
categorical columns.
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
from ._typing import HybridClean

__all__ = ["SMOTEENNAugmenter", "SMOTETomekAugmenter"]


class _HybridAugmenter(SMOTEAugmenter):
    _class_local = False  # the cleaning step looks at every class's rows
    _parameter_constraints: dict = {
        **SMOTEAugmenter._parameter_constraints,
        "clean": [StrOptions({"others", "imblearn"})],
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
        clean: HybridClean = "others",
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
        self.clean = clean

    def _cleaner(self, targets: Any) -> Any:
        """The imbalanced-learn cleaner that removes rows of the classes ``targets``."""
        raise NotImplementedError

    def _resample(self, X: pd.DataFrame, y: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        X_res, y_res = super()._resample(X, y)
        self.n_oversampled_ = dict(self.n_synthetic_)
        before = _counts(y_res)
        if self.clean == "imblearn":
            targets: Any = "all"
        else:
            targets = [c for c in before if self.sampling_strategy_.get(c, 0) == 0]
        if targets:
            cleaner = self._cleaner(targets)
            cleaner.fit_resample(Encoded(X_res, self.categorical_features_, "onehot").Z, y_res)
            keep = np.sort(cleaner.sample_indices_)
            X_res, y_res = X_res.iloc[keep].reset_index(drop=True), y_res[keep]
            self.synthetic_mask_ = self.synthetic_mask_[keep]
        after = _counts(y_res)
        self.cleaning_removed_ = {c: before[c] - after.get(c, 0) for c in before}
        synthetic = _counts(y_res[self.synthetic_mask_])
        self.n_synthetic_ = {c: synthetic.get(c, 0) for c in before}
        return X_res, y_res

    @property
    def n_removed_(self) -> dict[Hashable, int]:
        """Former name of ``cleaning_removed_``."""
        return self.cleaning_removed_


def _counts(y: np.ndarray) -> dict[Hashable, int]:
    classes, counts = np.unique(y, return_counts=True)
    return dict(zip(classes.tolist(), counts.tolist(), strict=True))


class SMOTETomekAugmenter(_HybridAugmenter):
    """SMOTE (exact counts), then remove Tomek links between classes.

    Use it when classes overlap and a cleaner boundary helps more than the extra rows.
    By default only the classes the strategy did not grow lose rows (module docstring).

    Parameters
    ----------
    sampling_strategy, random_state, categorical_features, constrain, reject_duplicates, \
max_retries, k_neighbors, jitter
        See :class:`iotforge.augment.SMOTEAugmenter`.
    clean : {'others', 'imblearn'}, default='others'
        ``'others'``: remove rows only of classes the strategy did not grow, so grown
        classes end at their requested count; ``'imblearn'``: of every class, as
        ``imblearn.combine.SMOTETomek`` does.

    Attributes
    ----------
    n_oversampled_ : dict
        Class -> rows the SMOTE step added (exactly the strategy's numbers).
    cleaning_removed_ : dict
        Class -> rows (real or synthetic) the cleaning removed.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=200, weights=[0.9], flip_y=0.1, random_state=3)
    >>> aug = SMOTETomekAugmenter(sampling_strategy="floor:50", random_state=0)
    >>> _, y_res = aug.fit_resample(X, y)
    >>> aug.n_oversampled_, aug.cleaning_removed_
    ({0: 0, 1: 19}, {0: 3, 1: 0})
    """

    def _cleaner(self, targets: Any) -> Any:
        return TomekLinks(sampling_strategy=targets)


class SMOTEENNAugmenter(_HybridAugmenter):
    """SMOTE (exact counts), then Edited Nearest Neighbours removes contested rows.

    Cleans more aggressively than SMOTE-Tomek; use it on noisy labels. By default only
    the classes the strategy did not grow lose rows (module docstring).

    Parameters
    ----------
    sampling_strategy, random_state, categorical_features, constrain, reject_duplicates, \
max_retries, k_neighbors, jitter
        See :class:`iotforge.augment.SMOTEAugmenter`.
    clean : {'others', 'imblearn'}, default='others'
        ``'others'``: remove rows only of classes the strategy did not grow, so grown
        classes end at their requested count; ``'imblearn'``: of every class, as
        ``imblearn.combine.SMOTEENN`` does.
    n_neighbors : int, default=3
        Neighbours ENN consults.
    kind_sel : {'all', 'mode'}, default='all'
        Remove a row when all / most of its neighbours disagree with its class.

    Attributes
    ----------
    n_oversampled_ : dict
        Class -> rows the SMOTE step added (exactly the strategy's numbers).
    cleaning_removed_ : dict
        Class -> rows (real or synthetic) the cleaning removed.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=200, weights=[0.9], flip_y=0.05, random_state=0)
    >>> aug = SMOTEENNAugmenter(sampling_strategy="floor:50", random_state=0)
    >>> _, y_res = aug.fit_resample(X, y)
    >>> aug.n_oversampled_, aug.cleaning_removed_
    ({0: 0, 1: 26}, {0: 62, 1: 0})
    >>> raw = SMOTEENNAugmenter(sampling_strategy="floor:50", random_state=0, clean="imblearn")
    >>> _, y_raw = raw.fit_resample(X, y)
    >>> raw.cleaning_removed_
    {0: 62, 1: 24}
    """

    _parameter_constraints: dict = {
        **_HybridAugmenter._parameter_constraints,
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
        clean: HybridClean = "others",
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
            clean=clean,
        )
        self.n_neighbors = n_neighbors
        self.kind_sel = kind_sel

    def _cleaner(self, targets: Any) -> Any:
        return EditedNearestNeighbours(
            sampling_strategy=targets, n_neighbors=self.n_neighbors, kind_sel=self.kind_sel
        )
