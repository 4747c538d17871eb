"""Augmenters: imbalanced-learn samplers that add synthetic rows to rare classes.

Every augmenter is an imbalanced-learn sampler (``fit_resample(X, y)``) that takes and
returns mixed-type pandas DataFrames, adds exactly the requested number of rows per
class, and drops into an ``imblearn.pipeline.Pipeline`` so it runs on training folds
only. :class:`AutoAugmenter` chooses among them by inner cross-validation, or
abstains. Sampling strategies include skew-preserving ones (:class:`Floor`, :class:`Power`,
:class:`Scale`) that keep the rank order of class sizes.

The registry (:func:`registry`, :func:`get_augmenter`, :func:`method_names`) maps method
names to classes, plugins' included; :func:`make_augmenter` makes one by name as the
command line does, and :func:`augment_table` augments a canonical train split source by
source (``iotforge augment``). Importing this package is cheap: a class is
imported (with scikit-learn, imbalanced-learn, torch) the first time it is used, so the
command line can list the method names without loading any of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._registry import AUTO, get_augmenter, method_names, method_parameters, registry

if TYPE_CHECKING:
    from ._auto import AutoAugmenter, default_estimator
    from ._base import (
        BaseAugmenter,
        Constraints,
        apply_constraints,
        learn_constraints,
        resolve_sampling_strategy,
        row_keys,
    )
    from ._ctgan import CTGANAugmenter
    from ._ctgan_core import sample_ctgan_conditional
    from ._factory import make_augmenter
    from ._gen_base import add_provenance
    from ._hybrid import SMOTEENNAugmenter, SMOTETomekAugmenter
    from ._privacy import (
        DCRResult,
        closest_record_distance,
        dcr_by_source,
        distance_to_closest_record,
    )
    from ._random_oversampler import RandomOverSamplerAugmenter
    from ._sdv import CopulaGANAugmenter, GaussianCopulaAugmenter
    from ._smote import SMOTEAugmenter
    from ._smote_variants import (
        ADASYNAugmenter,
        BorderlineSMOTEAugmenter,
        KMeansSMOTEAugmenter,
        SVMSMOTEAugmenter,
    )
    from ._strategies import Floor, Power, Scale, SkewStrategy, parse_strategy
    from ._table import AugmentResult, augment_table, split_groups
    from ._tvae import TVAEAugmenter

# public name -> the private module that defines it (imported on first use)
_LAZY: dict[str, str] = {
    "AutoAugmenter": "_auto",
    "default_estimator": "_auto",
    **dict.fromkeys(("BaseAugmenter", "Constraints", "apply_constraints", "learn_constraints",
                     "resolve_sampling_strategy", "row_keys"), "_base"),
    "CTGANAugmenter": "_ctgan",
    "sample_ctgan_conditional": "_ctgan_core",
    "make_augmenter": "_factory",
    "add_provenance": "_gen_base",
    "SMOTEENNAugmenter": "_hybrid",
    "SMOTETomekAugmenter": "_hybrid",
    **dict.fromkeys(("DCRResult", "closest_record_distance", "dcr_by_source",
                     "distance_to_closest_record"), "_privacy"),
    "CopulaGANAugmenter": "_sdv",
    "GaussianCopulaAugmenter": "_sdv",
    "SMOTEAugmenter": "_smote",
    **dict.fromkeys(("ADASYNAugmenter", "BorderlineSMOTEAugmenter", "KMeansSMOTEAugmenter",
                     "SVMSMOTEAugmenter"), "_smote_variants"),
    "RandomOverSamplerAugmenter": "_random_oversampler",
    **dict.fromkeys(("Floor", "Power", "Scale", "SkewStrategy", "parse_strategy"),
                    "_strategies"),
    **dict.fromkeys(("AugmentResult", "augment_table", "split_groups"), "_table"),
    "TVAEAugmenter": "_tvae",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "ADASYNAugmenter",
    "AUTO",
    "AutoAugmenter",
    "BaseAugmenter",
    "BorderlineSMOTEAugmenter",
    "Constraints",
    "Floor",
    "KMeansSMOTEAugmenter",
    "Power",
    "RandomOverSamplerAugmenter",
    "SMOTEAugmenter",
    "SMOTEENNAugmenter",
    "SMOTETomekAugmenter",
    "SVMSMOTEAugmenter",
    "Scale",
    "SkewStrategy",
    "apply_constraints",
    "default_estimator",
    "learn_constraints",
    "parse_strategy",
    "resolve_sampling_strategy",
    "row_keys",
    # the registry
    "get_augmenter",
    "method_names",
    "make_augmenter",
    "method_parameters",
    "registry",
    # a canonical train split
    "AugmentResult",
    "augment_table",
    "split_groups",
    # generative augmenters
    "CTGANAugmenter",
    "CopulaGANAugmenter",
    "DCRResult",
    "GaussianCopulaAugmenter",
    "TVAEAugmenter",
    "add_provenance",
    "closest_record_distance",
    "dcr_by_source",
    "distance_to_closest_record",
    "sample_ctgan_conditional",
]
