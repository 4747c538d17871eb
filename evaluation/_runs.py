"""One run of the evaluation grid: a classifier fit on one arm's training rows, scored on
the real test rows, its metrics, confusion matrix and predictions recorded.

Every random choice of a run comes from :func:`derive_seed`: a classifier's seed from the
replicate seed and its name, an augmenter's from the seed and its own, so the ``none``
and ``real+synthetic`` runs of a classifier and seed differ only in their training rows.
"""

from __future__ import annotations

import logging
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from iotforge.curation.errors import TooLittleDataError

from ._typing import ClassifierFactory
from .anomaly import detection_metrics
from .metrics import classification_metrics, confusion
from .predictions import Predictions

log = logging.getLogger(__name__)

DETECTION_METRICS = ("balanced_accuracy", "detection_rate", "false_positive_rate")
"""Overall metrics of an anomaly detector (it has no macro-F1: it names no class)."""
CLASSIFICATION_METRICS = ("macro_f1", "balanced_accuracy", "accuracy")
"""Overall metrics of a classifier."""


def derive_seed(seed: int, *names: str) -> int:
    """A child seed of ``seed`` for the component ``names`` (stable across runs).

    Examples
    --------
    >>> derive_seed(0, "classifier", "svm") == derive_seed(0, "classifier", "svm")
    True
    >>> derive_seed(0, "classifier", "svm") == derive_seed(1, "classifier", "svm")
    False
    """
    words = [int(seed), *(zlib.crc32(n.encode()) for n in names)]
    return int(np.random.SeedSequence(words).generate_state(1)[0] & 0x7FFFFFFF)


def _detector(model: Any) -> Any:
    """The final step of ``model`` when it is an anomaly detector, else None."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    return final if getattr(final, "is_anomaly_detector", False) else None


@dataclass
class RunLog:
    """Fits and scores runs against one test side, and keeps what they found.

    ``runs`` are the tidy metric rows, ``matrices`` the confusion matrices of the
    classifiers, ``predictions`` every run's test predictions, ``detectors`` the
    classifiers that turned out to be anomaly detectors; a run that cannot train says
    why in ``notes``.
    """

    factories: dict[str, ClassifierFactory]
    X_test: pd.DataFrame
    y_test: np.ndarray
    labels: list[str]
    notes: list[str]
    progress: Callable[[str], None] | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)
    matrices: list[dict[str, Any]] = field(default_factory=list)
    detectors: set[str] = field(default_factory=set)
    predictions: Predictions = field(init=False)

    def __post_init__(self) -> None:
        self.predictions = Predictions(list(self.labels))
        self.predictions.set_truth(self.y_test)

    def fit_score(self, aug: str, arm: str, clf: str, seed: int, X: pd.DataFrame,
                  y: np.ndarray) -> None:
        """Train classifier ``clf`` on ``X, y`` with its seed, score it, record it."""
        if len(np.unique(y)) < 2:  # one note per arm, not per classifier and seed
            held = ("no rows (the augmenter added none)" if not len(y)
                    else f"one class ({np.unique(y)[0]})")
            note = (f"{aug} / {arm}: skipped for every classifier and seed whose training "
                    f"rows hold {held}")
            if note not in self.notes:
                self.notes.append(note)
            return
        if self.progress is not None:
            self.progress(f"{aug} {arm} {clf} seed {seed}")
        model = self.factories[clf](derive_seed(seed, "classifier", clf))
        predicted = self._fit_predict(model, X, y, f"{aug} / {arm} / {clf}",
                                      (aug, arm, clf, seed))
        if predicted is not None:
            self._record({"augmenter": aug, "arm": arm, "classifier": clf, "seed": seed},
                         model, predicted)

    def _fit_predict(self, model: Any, X: pd.DataFrame, y: np.ndarray, what: str,
                     key: tuple[str, str, str, int]) -> np.ndarray | None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                model.fit(X, y)
            except TooLittleDataError as exc:  # e.g. a detector without normal rows
                self.notes.append(f"{what}: skipped, {exc.message}")
                return None
            predicted = np.asarray(model.predict(self.X_test)).astype(str)
        for w in caught:
            log.info("%s %s %s seed %d: %s", *key, w.message)
        return predicted

    def _record(self, key: dict[str, Any], model: Any, predicted: np.ndarray) -> None:
        y_test = self.y_test
        self.predictions.add((key["augmenter"], key["arm"], key["classifier"], key["seed"]),
                             predicted)
        detector = _detector(model)
        if detector is not None:
            self.detectors.add(key["classifier"])
            m = detection_metrics(y_test, predicted, str(detector.normal_label))
            overall: tuple[str, ...] = DETECTION_METRICS
        else:
            m = classification_metrics(y_test, predicted, sorted(set(y_test)))
            overall = CLASSIFICATION_METRICS
            self.matrices.append({**key, "labels": self.labels,
                                  "matrix": confusion(y_test, predicted, self.labels).tolist()})
        for metric in overall:
            if m[metric] is not None:
                self.runs.append({**key, "metric": metric, "class": "", "value": m[metric]})
        for cls, values in m["per_class"].items():
            for metric, value in values.items():
                self.runs.append({**key, "metric": metric, "class": cls, "value": value})
