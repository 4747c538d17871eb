"""The inputs of one evaluation: the split's feature frames and classes, and per seed
every augmenter's training table.

:func:`target_classes` reads the classes; :func:`prepare_inputs` checks the feature
columns and builds the frames the classifiers take (and the imputed copies the samplers
take); :func:`augment_seed` runs every sampler, or reads every set of precomputed
synthetic rows, for one seed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from iotforge.curation.errors import UsageError
from iotforge.curation.targets import target_values

from ._features import Augmented, impute, prepare_features, resample, synthetic_rows
from ._runs import derive_seed
from ._typing import SamplerFactory, SyntheticFactory
from .predictions import fingerprint


@dataclass
class Prepared:
    """The split as the classifiers and samplers see it.

    ``X_impute`` and ``X_test_impute`` have missing values filled (for samplers, which
    refuse them) when samplers run here, else they are ``X_train`` and ``X_test``;
    ``prints`` are the fingerprints of the training and test rows.
    """

    X_train: pd.DataFrame
    y_train: np.ndarray
    X_test: pd.DataFrame
    y_test: np.ndarray
    numeric: list[str]
    categorical: list[str]
    labels: list[str]
    X_impute: pd.DataFrame
    X_test_impute: pd.DataFrame
    prints: dict[str, str] = field(default_factory=dict)


def _target(frame: pd.DataFrame, target: str, side: str) -> np.ndarray:
    try:
        values = target_values(frame, target)  # type: ignore[arg-type]
    except UsageError as exc:
        raise UsageError(f"{side} rows: {exc.message}", column=exc.column,
                         hint=exc.hint) from None
    return np.asarray(values, dtype=object).astype(str)


def target_classes(train: pd.DataFrame, test: pd.DataFrame,
                   target: str) -> tuple[np.ndarray, np.ndarray]:
    """The classes of ``target`` in the training and in the test rows, as text."""
    return _target(train, target, "train"), _target(test, target, "test")


def prepare_inputs(train: pd.DataFrame, test: pd.DataFrame, y_train: np.ndarray,
                   y_test: np.ndarray, numeric: Sequence[str], categorical: Sequence[str], *,
                   impute_for_samplers: bool, notes: list[str]) -> Prepared:
    """Feature frames of ``train`` and ``test`` (classes ``y_train``, ``y_test``); feature
    columns missing on every training row are dropped (and said in ``notes``)."""
    X_train = prepare_features(train, numeric, categorical)
    empty = [c for c in X_train.columns if X_train[c].isna().all()]
    if empty:
        notes.append(f"dropped {len(empty)} feature columns missing on every training row: "
                     + ", ".join(empty))
    numeric = [c for c in numeric if c not in empty]
    categorical = [c for c in categorical if c not in empty]
    if not numeric and not categorical:
        raise UsageError("expected numeric or categorical feature columns, found none",
                         hint="check the column roles in the Parquet metadata")
    X_train = X_train[[*numeric, *categorical]]
    X_test = prepare_features(test, numeric, categorical)
    labels = sorted(str(c) for c in set(y_train) | set(y_test))
    X_impute = impute(X_train, X_train, numeric) if impute_for_samplers else X_train
    X_test_impute = impute(X_test, X_train, numeric) if impute_for_samplers else X_test
    prints = {"train_fingerprint": fingerprint(X_train, y_train),
              "test_fingerprint": fingerprint(X_test, y_test)}
    return Prepared(X_train, y_train, X_test, y_test, numeric, categorical, labels,
                    X_impute, X_test_impute, prints)


def augment_seed(seed: int, data: Prepared, train: pd.DataFrame, target: str,
                 augmenters: Mapping[str, SamplerFactory],
                 synthetic: Mapping[str, pd.DataFrame | SyntheticFactory],
                 progress: Callable[[str], None] | None) -> dict[str, Augmented]:
    """Every augmenter's training table for replicate ``seed``: samplers run on the
    imputed training rows, then the precomputed synthetic rows (drawn for this seed when
    they come from a function)."""
    generated: dict[str, Augmented] = {}
    for name, make in augmenters.items():
        if progress is not None:
            progress(f"{name} augment seed {seed}")
        sampler = make(derive_seed(seed, "augment", name))
        generated[name] = resample(sampler, data.X_train, data.X_impute, data.y_train)
        if hasattr(sampler, "choice_"):  # auto: what it chose for this seed
            generated[name].chosen = {"train": str(sampler.choice_)}
    for name, source in synthetic.items():
        if callable(source):
            if progress is not None:
                progress(f"{name} synthesize seed {seed}")
            source = source(derive_seed(seed, "augment", name))
        X_pre, y_pre = synthetic_rows(source, train, data.numeric, data.categorical, target)
        generated[name] = Augmented(pd.concat([data.X_train, X_pre], ignore_index=True),
                                    np.concatenate([data.y_train, y_pre]), X_pre, y_pre,
                                    chosen=source.attrs.get("chosen"))
    return generated
