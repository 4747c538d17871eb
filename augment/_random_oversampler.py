"""Random over-sampling: the honest baseline, duplicates or a smoothed bootstrap."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from imblearn.over_sampling import RandomOverSampler
from sklearn.utils._param_validation import Interval

from ._base import BaseAugmenter
from ._smote import _ImblearnAugmenter

__all__ = ["RandomOverSamplerAugmenter"]


class RandomOverSamplerAugmenter(_ImblearnAugmenter):
    """Random over-sampling: smoothed bootstrap with ``shrinkage``, or duplicate rows.

    The honest baseline every other augmenter must beat. Synthetic rows must be new, so
    by default it is the smoothed bootstrap (imbalanced-learn's ``shrinkage``: Gaussian
    noise on numeric columns, categorical columns copied from the drawn row) with
    duplicate rejection on; ``shrinkage=None, reject_duplicates=False`` gives plain
    copies back. Works for any class size.

    Parameters
    ----------
    sampling_strategy, random_state, categorical_features, constrain, reject_duplicates, \
max_retries
        See :class:`iotforge.augment.BaseAugmenter`.
    shrinkage : float or dict, default=0.1
        imbalanced-learn's smoothed-bootstrap factor; None duplicates.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"bytes": [10.0, 20.0, 30.0, 40.0], "flag": ["S", "SA", "S", "F"]})
    >>> aug = RandomOverSamplerAugmenter(sampling_strategy={"a": 3, "b": 3}, random_state=0)
    >>> X_res, y_res = aug.fit_resample(X, ["a", "a", "a", "b"])
    >>> list(y_res), int(aug.synthetic_mask_.sum())
    (['a', 'a', 'a', 'b', 'b', 'b'], 2)
    """

    _encoding = "codes"
    _min_rows = 1
    _class_local = True  # draws (and smooths) within the class

    _parameter_constraints: dict = {
        **BaseAugmenter._parameter_constraints,
        "shrinkage": [Interval(numbers.Real, 0, None, closed="left"), dict, None],
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
        shrinkage: Any = 0.1,
    ) -> None:
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            categorical_features=categorical_features,
            constrain=constrain,
            reject_duplicates=reject_duplicates,
            max_retries=max_retries,
        )
        self.shrinkage = shrinkage

    @property
    def _k(self) -> int:
        return 1  # no neighbours: every class is one group

    def _make_sampler(self, strategy: dict, k: int, seed: int) -> Any:
        return RandomOverSampler(
            sampling_strategy=strategy, shrinkage=self.shrinkage, random_state=seed
        )

    def _call(self, sampler: Any, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        new_Z, new_y = super()._call(sampler, y)
        cat = self.encoded_.cat_idx
        if cat and self.shrinkage is not None:  # noise is for numbers, not category codes
            drawn = sampler.sample_indices_[len(y) :]
            new_Z[:, cat] = self.encoded_.Z[drawn][:, cat]
        return new_Z, new_y
