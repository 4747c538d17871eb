"""A test classifier that predicts the majority class and records what it is shown."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class Spy(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; records the ``id`` column of what it sees."""

    log: list[tuple[str, np.ndarray]] = []

    def fit(self, X, y):  # type: ignore[no-untyped-def]
        Spy.log.append(("fit", X["id"].to_numpy().copy()))
        values, counts = np.unique(y, return_counts=True)
        self.classes_, self.majority_ = values, values[np.argmax(counts)]
        return self

    def predict(self, X):  # type: ignore[no-untyped-def]
        Spy.log.append(("predict", X["id"].to_numpy().copy()))
        return np.full(len(X), self.majority_, dtype=object)
