"""Autoencoder anomaly detection: the unsupervised deep baseline beside k-means.

:class:`AutoencoderDetector` learns to reconstruct **normal** rows only: the rows of
``normal_label`` in the training labels; attack rows are removed before anything is
fitted. Given the evaluation's prepared feature frame, it builds the classifiers'
preprocessing (imputation, one-hot, signed log, scaling) itself, on the normal rows,
so not even a median or a category comes from an attack row; given an array, it
standardizes it on the normal rows. A row is flagged when its reconstruction error
(mean squared error over the standardized features) exceeds ``threshold_``, the
``quantile`` (0.99) of the errors of held-out normal *training* rows: a validation slice
of ``validation_fraction`` of them, also used for early stopping. With fewer than
``MIN_VALIDATION_ROWS`` normal rows in that slice, the network trains ``max_epochs`` on
every normal row and the threshold comes from those rows' own errors (lower than unseen
rows', so more rows get flagged); ``early_stopping_`` says which happened.

It predicts ``normal_label`` or :data:`ANOMALY`, never an attack class, so the
evaluation scores it with :func:`detection_metrics` instead of the classification
metrics: per attack class the **detection rate** (share flagged, stored as that class's
recall), for the normal class the share not flagged (its recall, 1 - false-positive
rate), and overall the detection rate, the false-positive rate and their balanced
accuracy (mean recall over classes). It has no macro-F1, so it is not in the leaderboard
or the paired comparison; the report shows it in the per-class recall and anomaly
detection tables.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = np.r_[rng.normal(0, 1, (300, 6)), rng.normal(6, 1, (20, 6))]
>>> y = np.array(["normal"] * 300 + ["ddos"] * 20)
>>> det = AutoencoderDetector(max_epochs=30, random_state=0).fit(X, y)
>>> det.n_fit_rows_, float((det.predict(X[300:]) == ANOMALY).mean())
(300, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from iotforge.curation.errors import TooLittleDataError
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._preprocess import _preprocessor
from ._typing import Device
from .deep import _device, _train_network, torch_session

__all__ = ["ANOMALY", "MIN_VALIDATION_ROWS", "AutoencoderDetector", "detection_metrics"]

ANOMALY = "anomaly"
"""What a detector predicts for a flagged row."""
MIN_VALIDATION_ROWS = 20


class AutoencoderDetector(BaseEstimator):
    """Reconstruction-error anomaly detector trained on the normal rows only.

    Parameters
    ----------
    normal_label : str
        The class whose rows are normal (the taxonomy's ``normal``).
    hidden, bottleneck : int
        Widths: ``n -> hidden -> bottleneck -> hidden -> n``.
    quantile : float
        Of the held-out normal errors; the threshold.
    max_epochs, batch_size, learning_rate, validation_fraction, patience, n_threads, device
        As for :class:`iotforge.evaluation.deep.DeepMLPClassifier`.
    random_state : int

    Attributes
    ----------
    threshold_ : float
    n_fit_rows_ : int
        Normal rows the network was trained on or validated with.
    """

    is_anomaly_detector = True

    def __init__(self, *, normal_label: str = "normal", hidden: int = 32, bottleneck: int = 8,
                 quantile: float = 0.99, max_epochs: int = 100, batch_size: int = 128,
                 learning_rate: float = 3e-3, validation_fraction: float = 0.2,
                 patience: int = 5, n_threads: int = 1, device: Device = "cpu",
                 random_state: int = 0) -> None:
        self.normal_label = normal_label
        self.hidden = hidden
        self.bottleneck = bottleneck
        self.quantile = quantile
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.n_threads = n_threads
        self.device = device
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> AutoencoderDetector:
        y = column_or_1d(np.asarray(y, dtype=object), warn=True)
        normal = np.asarray([str(v) == str(self.normal_label) for v in y], dtype=bool)
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=True, dtype=None, ensure_all_finite=False)
        else:
            X = validate_data(self, X, dtype=np.float64)
        if len(y) != len(X):
            raise ValueError(f"expected as many labels as rows, found {len(y)} and {len(X)}")
        if not normal.any():
            raise TooLittleDataError(f"expected training rows of the normal class "
                                     f"{self.normal_label!r}, found none",
                                     hint="an autoencoder learns what normal looks like")
        self.classes_ = np.array(sorted({str(self.normal_label), ANOMALY}), dtype=object)
        self.prepare_ = None
        if isinstance(X, pd.DataFrame):
            # imputation, one-hot and scaling learn from normal rows too, not attacks
            self.prepare_ = _preprocessor(scale=True).fit(X[normal])
            self._train(np.asarray(self.prepare_.transform(X[normal]), dtype=np.float64))
        else:
            self._train(X[normal])
        return self

    def _train(self, X: np.ndarray) -> None:
        """Scaling, network and threshold from normal rows ``X`` (and nothing else)."""
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        Z = (X - self.mean_) / self.scale_
        rng = np.random.default_rng(self.random_state)
        k = int(np.floor(self.validation_fraction * len(Z)))
        self.early_stopping_ = k >= MIN_VALIDATION_ROWS and k < len(Z)
        val = np.sort(rng.permutation(len(Z))[:k]) if self.early_stopping_ else np.array(
            [], dtype=int)
        from ._nets import Autoencoder

        with torch_session(self.random_state, self.n_threads) as torch:
            self.net_ = Autoencoder(Z.shape[1], max(2, self.hidden), max(1, self.bottleneck))
            self.n_epochs_, self.best_epoch_ = _train_network(
                torch, self.net_, Z, Z.astype(np.float32), torch.nn.MSELoss(), val=val,
                max_epochs=self.max_epochs, batch_size=self.batch_size,
                learning_rate=self.learning_rate, patience=self.patience,
                seed=self.random_state, device=_device(self.device))
        errors = self._errors(Z[val] if len(val) else Z)
        self.threshold_ = float(np.quantile(errors, self.quantile))
        self.n_fit_rows_ = len(Z)

    def _errors(self, Z: np.ndarray) -> np.ndarray:
        with torch_session(self.random_state, self.n_threads) as torch, torch.no_grad():
            z = torch.as_tensor(Z, dtype=torch.float64)
            return ((self.net_(z) - z) ** 2).mean(dim=1).numpy().astype(np.float64)

    def score_samples(self, X: Any) -> np.ndarray:
        """Reconstruction error of every row (higher = more anomalous)."""
        check_is_fitted(self, "threshold_")
        if self.prepare_ is not None:
            validate_data(self, X, reset=False, dtype=None, ensure_all_finite=False)
            X = np.asarray(self.prepare_.transform(X), dtype=np.float64)
        else:
            X = validate_data(self, X, dtype=np.float64, reset=False)
        return self._errors((X - self.mean_) / self.scale_)

    def predict(self, X: Any) -> np.ndarray:
        flagged = self.score_samples(X) > self.threshold_
        return np.where(flagged, ANOMALY, str(self.normal_label)).astype(object)


def detection_metrics(y_true: Sequence[Any] | np.ndarray, y_pred: Sequence[Any] | np.ndarray,
                      normal_label: str) -> dict[str, Any]:
    """Per-class detection (recall) of a detector's ``normal``/``anomaly`` predictions.

    Returns
    -------
    dict
        ``per_class``: class -> ``{"recall", "support"}`` (share flagged for an attack
        class, share not flagged for the normal class); ``detection_rate`` (attack rows
        flagged), ``false_positive_rate`` (normal rows flagged), ``balanced_accuracy``
        (mean per-class recall); None where the test rows lack that side.

    Examples
    --------
    >>> m = detection_metrics(["normal", "normal", "ddos", "scan"],
    ...                       ["normal", "anomaly", "anomaly", "normal"], "normal")
    >>> m["per_class"]["ddos"]["recall"], m["false_positive_rate"], m["detection_rate"]
    (1.0, 0.5, 0.5)
    """
    y_true = np.asarray(y_true).astype(str)
    flagged = np.asarray(y_pred).astype(str) == ANOMALY
    per_class: dict[str, dict[str, float]] = {}
    for cls in sorted(set(y_true)):
        rows = y_true == cls
        share = float(flagged[rows].mean())
        per_class[cls] = {"recall": 1.0 - share if cls == normal_label else share,
                          "support": float(rows.sum())}
    normal = y_true == normal_label
    return {"per_class": per_class,
            "detection_rate": float(flagged[~normal].mean()) if (~normal).any() else None,
            "false_positive_rate": float(flagged[normal].mean()) if normal.any() else None,
            "balanced_accuracy": float(np.mean([v["recall"] for v in per_class.values()]))}
