"""The generative augmenters: CTGAN, TVAE, Gaussian copula and CopulaGAN.

Public names live in small modules: :mod:`iotforge.augment._ctgan` and
:mod:`iotforge.augment._tvae` (ctgan networks),
:mod:`iotforge.augment._sdv` (SDV synthesizers), :mod:`iotforge.augment._ctgan_core` (the corrected
conditional sampler), :mod:`iotforge.augment._gen_base` (shared machinery, provenance) and
:mod:`iotforge.augment._privacy` (distance to closest record). ctgan, SDV, rdt and copulas are
BUSL-1.1 licensed; they are imported only when a generator is fitted or loaded.
"""

from __future__ import annotations

from ._ctgan import CTGANAugmenter
from ._ctgan_core import sample_ctgan_conditional
from ._gen_base import add_provenance
from ._privacy import DCRResult, distance_to_closest_record
from ._sdv import CopulaGANAugmenter, GaussianCopulaAugmenter
from ._tvae import TVAEAugmenter

__all__ = [
    "CTGANAugmenter",
    "CopulaGANAugmenter",
    "DCRResult",
    "GaussianCopulaAugmenter",
    "TVAEAugmenter",
    "add_provenance",
    "distance_to_closest_record",
    "sample_ctgan_conditional",
]
