"""Augmenters: imbalanced-learn samplers that add synthetic rows to rare classes.

Every augmenter is an imbalanced-learn sampler (``fit_resample(X, y)``) that takes and
returns mixed-type pandas DataFrames, adds exactly the requested number of rows per
class, and drops into an ``imblearn.pipeline.Pipeline`` so it runs on training folds
only. :class:`AutoAugmenter` chooses among them by inner cross-validation, or
abstains. Sampling strategies include skew-preserving ones (:class:`Floor`, :class:`Power`,
:class:`Scale`) that keep the rank order of class sizes.
"""

from ._auto import AutoAugmenter, default_estimator
from ._base import (
    BaseAugmenter,
    Constraints,
    apply_constraints,
    learn_constraints,
    resolve_sampling_strategy,
    row_keys,
)

# generative augmenters
from ._generative import (
    CopulaGANAugmenter,
    CTGANAugmenter,
    DCRResult,
    GaussianCopulaAugmenter,
    TVAEAugmenter,
    add_provenance,
    distance_to_closest_record,
    sample_ctgan_conditional,
)
from ._hybrid import SMOTEENNAugmenter, SMOTETomekAugmenter
from ._smote import SMOTEAugmenter
from ._smote_variants import (
    ADASYNAugmenter,
    BorderlineSMOTEAugmenter,
    KMeansSMOTEAugmenter,
    RandomOverSamplerAugmenter,
    SVMSMOTEAugmenter,
)
from ._strategies import Floor, Power, Scale, SkewStrategy, parse_strategy

__all__ = [
    "ADASYNAugmenter",
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
    # generative augmenters
    "CTGANAugmenter",
    "CopulaGANAugmenter",
    "DCRResult",
    "GaussianCopulaAugmenter",
    "TVAEAugmenter",
    "add_provenance",
    "distance_to_closest_record",
    "sample_ctgan_conditional",
]
