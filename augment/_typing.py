"""Literal aliases for every string option of the augment API."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

ImblearnStrategyName = Literal["auto", "minority", "not minority", "not majority", "all"]
"""imbalanced-learn's named over-sampling strategies (``'auto'`` = ``'not majority'``)."""

SkewStrategyName = Literal["floor", "power", "scale"]
"""Skew-preserving strategies; as strings ``'floor:0.05'``, ``'power:0.5'``, ``'scale:3'``."""

SamplingStrategy: TypeAlias = float | str | Mapping[Any, int] | Callable[[Any], Mapping[Any, int]]
"""Anything :class:`iotforge.augment.BaseAugmenter` accepts as ``sampling_strategy``."""

CategoricalFeatures: TypeAlias = Literal["auto"] | Sequence[str | int]
"""``'auto'`` (object, category and bool dtypes) or explicit column names/positions."""

SmoteVariant = Literal["SMOTE", "SMOTENC", "SMOTEN"]
"""Which imbalanced-learn SMOTE :class:`iotforge.augment.SMOTEAugmenter` chose for the data."""

BorderlineKind = Literal["borderline-1", "borderline-2"]
"""The two variants of Borderline-SMOTE (Han et al., 2005)."""

HybridClean = Literal["others", "imblearn"]
"""Which classes the cleaning step of SMOTE-Tomek/SMOTE-ENN may remove rows of:
``'others'`` (those the strategy did not grow) or ``'imblearn'`` (all, imbalanced-learn's
behaviour)."""

AutoScoring: TypeAlias = Literal["macro_f1"] | Mapping[Literal["recall", "floor"], Any]
"""What :class:`iotforge.augment.AutoAugmenter` maximises: ``'macro_f1'`` or
``{'recall': [classes], 'floor': 0.01}`` (the mean recall of the named classes, for
candidates whose macro-F1 loss is at most ``floor``)."""

FoldSchemeOption = Literal["auto", "stratified", "grouped", "label-holdout"]
"""How :class:`iotforge.augment.AutoAugmenter` cuts its inner folds (``auto``: grouped when
groups are given, else label-holdout when subtypes split a class, else stratified)."""

AutoCandidate: TypeAlias = str | tuple[str, Any]
"""A candidate of :class:`iotforge.augment.AutoAugmenter`: a registry method with an optional
strategy (``'smote'``, ``'adasyn:power:0.5'``) or a ``(name, sampler)`` pair."""

AugmenterName = Literal["smote", "borderline_smote", "svm_smote", "adasyn", "kmeans_smote",
                        "random_oversampler", "smote_tomek", "smote_enn", "ctgan", "tvae",
                        "gaussian_copula", "copulagan"]
"""The built-in augmenter methods (:data:`iotforge.augment._registry.BUILTIN`); plugins add more."""
