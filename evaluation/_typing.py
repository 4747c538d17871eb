"""Literal aliases for every string option of the evaluation API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeAlias

from iotforge.curation.bootstrap import Verdict as _Verdict

ClassifierName = Literal[
    "decision_tree",
    "random_forest",
    "svm",
    "naive_bayes",
    "knn",
    "ensemble",
    "gradient_boosting",
    "mlp",
    "kmeans",
    "association_rules",
    "deep_mlp",
    "cnn",
    "rnn",
    "dbn",
    "deep_ensemble",
    "autoencoder",
]
"""Built-in classifiers (:data:`iotforge.evaluation.classifiers.CLASSIFIERS`)."""

Device = Literal["cpu", "cuda", "auto"]
"""Where the torch models train: ``"auto"`` takes CUDA when present (not bit-reproducible)."""

Arm = Literal["none", "real+synthetic", "synthetic-only"]
"""What a classifier trains on: real rows only, real plus synthetic rows, synthetic rows
only (train on synthetic, test on real). The test split is never augmented."""

Metric = Literal["precision", "recall", "f1", "support", "macro_f1", "balanced_accuracy",
                 "accuracy", "detection_rate", "false_positive_rate"]
"""Names in the ``metric`` column of the results table (an anomaly detector has
``detection_rate`` and ``false_positive_rate`` instead of macro-F1 and accuracy)."""

Verdict = _Verdict
"""Outcome of a paired comparison against no augmentation (:mod:`iotforge.curation.bootstrap`,
where it is defined once)."""

SyntheticSeeds = Literal["per-seed", "fixed"]
"""Synthetic rows of a stored augment output: drawn again from its recorded recipe for
every replicate seed (the interval then covers the augmenter's seed too), or the same
stored rows for every seed."""

SamplerFactory: TypeAlias = Callable[[int], Any]
"""``seed -> imbalanced-learn sampler`` (anything with ``fit_resample(X, y)``)."""

SyntheticFactory: TypeAlias = Callable[[int], Any]
"""``seed -> synthetic rows`` (a canonical table of synthetic rows, features and label
columns); ``frame.attrs["chosen"]`` may name, per source, the method ``auto`` chose."""

ClassifierFactory: TypeAlias = Callable[[int], Any]
"""``seed -> scikit-learn classifier`` taking the prepared feature frame."""
