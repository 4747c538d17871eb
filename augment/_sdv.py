"""SDV-backed augmenters: Gaussian copula (one per class) and CopulaGAN (conditioned).

SDV 2.0 samples a condition by rejection: it draws unconditioned rows and keeps the
matching ones, which for a rare class is slow and can end in "Unable to sample any rows
for the given conditions". Neither augmenter here uses it. The Gaussian copula is fitted
per class (exact by construction); CopulaGAN's inner ``ctgan.CTGAN`` is sampled with the
corrected conditional sampler of :mod:`iotforge.augment._ctgan_core`, then decoded through SDV's
own reverse transforms.

Persistence uses SDV's ``save`` (cloudpickle): see :meth:`GaussianCopulaAugmenter.load`;
it and the SDV glue both augmenters share are in :mod:`iotforge.augment._sdv_base`.
"""

from __future__ import annotations

import json
import numbers
import warnings
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, StrOptions

from ._ctgan import class_batch, spec_with_frequencies
from ._ctgan_core import (
    Device,
    generate,
    resolve_device,
    scoped_global_seed,
    spec_from_transformer,
)
from ._gen_base import _LABEL, _GenerativeAugmenter
from ._sdv_base import _TABLE, _key, _metadata, _sdv_sample, _SDVPersistence

if TYPE_CHECKING:
    from ._gen_base import Contract

__all__ = ["CopulaGANAugmenter", "GaussianCopulaAugmenter"]

class GaussianCopulaAugmenter(_SDVPersistence):
    """Over-sample with one SDV ``GaussianCopulaSynthesizer`` per class to augment.

    Fast (no neural network), and exact: each model only knows its class, so
    ``hit_rate_`` is 1.0. The right first choice for tiny classes and for a quick
    baseline; it keeps each column's marginal and the pairwise (Gaussian) dependence,
    not multi-modal interactions.

    Parameters
    ----------
    sampling_strategy, random_state, categorical_features, constrain, reject_duplicates, \
max_retries
        As in :class:`~iotforge.augment.BaseAugmenter`.
    default_distribution : str, default='truncnorm'
        Marginal family of numeric columns (SDV: 'beta', slower to fit); one of
        'norm', 'beta', 'truncnorm', 'uniform', 'gamma', 'gaussian_kde'.
    device : {'auto', 'cpu', 'cuda'}, default='auto'
        Recorded for symmetry; copulas run on CPU.
    contract : callable or None, default=None
        ``(rows DataFrame) -> bool mask`` of valid rows; failing rows are regenerated.
    threads : int or None, default=1
        torch threads while fitting and sampling (SDV loads torch), restored afterwards.

    Attributes
    ----------
    synthesizers_ : dict
        Class -> fitted ``GaussianCopulaSynthesizer``, one per grown class (always per
        class: a copula has no conditioning).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"bytes": rng.gamma(2, 50, 60).round(), "proto": ["tcp", "udp"] * 30})
    >>> y = np.array(["normal"] * 50 + ["scan"] * 10)
    >>> aug = GaussianCopulaAugmenter(sampling_strategy={"scan": 30}, random_state=0)
    >>> X_res, y_res = aug.fit_resample(X, y)
    >>> int((y_res == "scan").sum()), sorted(X_res["proto"].unique())
    (30, ['tcp', 'udp'])
    """

    method_name = "gaussian_copula"

    _parameter_constraints: dict = {
        **_GenerativeAugmenter._parameter_constraints,
        "default_distribution": [
            StrOptions({"norm", "beta", "truncnorm", "uniform", "gamma", "gaussian_kde"})
        ],
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
        default_distribution: str = "truncnorm",
        device: Device = "auto",
        contract: Contract | None = None,
        threads: int | None = 1,
    ) -> None:
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            categorical_features=categorical_features,
            constrain=constrain,
            reject_duplicates=reject_duplicates,
            max_retries=max_retries,
        )
        self.default_distribution = default_distribution
        self.device = device
        self.contract = contract
        self.threads = threads

    def _fit_models(
        self, X: pd.DataFrame, y: np.ndarray, classes: list[Hashable], seed: int
    ) -> None:
        from sdv.single_table import GaussianCopulaSynthesizer

        categorical = [f"f{list(self.columns_).index(c)}" for c in self.categorical_features_]
        device = resolve_device("cpu")
        seeds = np.random.RandomState(seed).randint(np.iinfo(np.int32).max, size=len(classes))
        self.synthesizers_: dict[Hashable, Any] = {}
        for c, class_seed in zip(classes, seeds, strict=True):
            rows = X.loc[np.asarray(y) == c].reset_index(drop=True)
            synth = GaussianCopulaSynthesizer(
                _metadata(rows, categorical), default_distribution=self.default_distribution
            )
            with scoped_global_seed(int(class_seed), device), warnings.catch_warnings():
                # scipy warns while fitting marginals to a handful of rows
                warnings.simplefilter("ignore", RuntimeWarning)
                synth.fit({_TABLE: rows})
            self.synthesizers_[c] = synth

    def _drawable_classes(self) -> list[Hashable]:
        return list(self.synthesizers_)

    def _draw(self, target_class: Hashable, n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
        rows = _sdv_sample(self.synthesizers_[target_class], n, seed, resolve_device("cpu"))
        rows = rows[[f"f{i}" for i in range(len(self.columns_))]]
        return rows, np.ones(len(rows), dtype=bool)

    def _synthesizers(self) -> dict[str, Any]:
        return {json.dumps(_key(c)): s for c, s in self.synthesizers_.items()}

    def _set_synthesizers(self, synths: dict[str, Any], meta: dict[str, Any]) -> None:
        lookup = {json.dumps(_key(c)): c for c in self.classes_}
        self.synthesizers_ = {lookup[k]: s for k, s in synths.items()}


class CopulaGANAugmenter(_SDVPersistence):
    """Over-sample with SDV's ``CopulaGANSynthesizer``, conditioned on the class label,
    or with one per class.

    CopulaGAN is CTGAN on columns first mapped through fitted marginals (SDV's Gaussian
    normaliser), which helps skewed, heavy-tailed flow features. By default one model
    learns all classes; rows of class ``c`` come from the corrected conditional sampler
    applied to SDV's inner ``ctgan.CTGAN`` (SDV itself would reject-sample), then SDV's
    reverse transforms. ``hit_rate_`` is measured on the decoded label. With
    ``per_class=True`` each class to grow gets its own model, trained on its rows only
    (batch capped at the class size), sampled unconditioned (``hit_rate_`` is 1.0).

    Parameters
    ----------
    sampling_strategy, random_state, categorical_features, constrain, reject_duplicates, \
max_retries
        As in :class:`~iotforge.augment.BaseAugmenter`.
    epochs, batch_size, embedding_dim, generator_dim, discriminator_dim, pac
        As in :class:`~iotforge.augment.CTGANAugmenter` (same small defaults).
    device : {'auto', 'cpu', 'cuda'}, default='auto'
        CUDA when available, else CPU.
    contract : callable or None, default=None
        ``(rows DataFrame) -> bool mask`` of valid rows; failing rows are regenerated.
    per_class : bool, default=False
        One model per class to grow instead of one conditional model.
    threads : int or None, default=1
        torch threads while fitting and sampling (restored afterwards).

    Attributes
    ----------
    synthesizer_ : CopulaGANSynthesizer
        The conditional model (``per_class=False``).
    synthesizers_, specs_ : dict
        Class -> model and its generator's decoding spec (``per_class=True``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"bytes": rng.gamma(2, 50, 120).round(), "dur": rng.random(120)})
    >>> y = np.array(["normal"] * 110 + ["scan"] * 10)
    >>> aug = CopulaGANAugmenter(sampling_strategy={"scan": 30}, epochs=2, batch_size=40,
    ...                          generator_dim=(16,), discriminator_dim=(16,),
    ...                          embedding_dim=8, random_state=0)
    >>> X_res, y_res = aug.fit_resample(X, y)
    >>> int((y_res == "scan").sum()), aug.hit_rate_["scan"] > 0
    (30, True)
    """

    method_name = "copulagan"

    _parameter_constraints: dict = {
        **_GenerativeAugmenter._parameter_constraints,
        "epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "embedding_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "generator_dim": ["array-like"],
        "discriminator_dim": ["array-like"],
        "pac": [Interval(numbers.Integral, 1, None, closed="left")],
        "per_class": ["boolean"],
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
        epochs: int = 50,
        batch_size: int = 200,
        embedding_dim: int = 64,
        generator_dim: tuple[int, ...] = (128, 128),
        discriminator_dim: tuple[int, ...] = (128, 128),
        pac: int = 10,
        device: Device = "auto",
        contract: Contract | None = None,
        per_class: bool = False,
        threads: int | None = 1,
    ) -> None:
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            categorical_features=categorical_features,
            constrain=constrain,
            reject_duplicates=reject_duplicates,
            max_retries=max_retries,
        )
        self.epochs = epochs
        self.batch_size = batch_size
        self.embedding_dim = embedding_dim
        self.generator_dim = generator_dim
        self.discriminator_dim = discriminator_dim
        self.pac = pac
        self.device = device
        self.contract = contract
        self.per_class = per_class
        self.threads = threads

    def _synthesizer(self, data: pd.DataFrame, categorical: list[str], batch_size: int,
                     device: Any) -> Any:
        from sdv.single_table import CopulaGANSynthesizer

        return CopulaGANSynthesizer(
            _metadata(data, categorical),
            epochs=self.epochs,
            batch_size=batch_size,
            embedding_dim=self.embedding_dim,
            generator_dim=tuple(self.generator_dim),
            discriminator_dim=tuple(self.discriminator_dim),
            pac=self.pac,
            enable_gpu=device.type == "cuda",
        )

    def _fit_models(
        self, X: pd.DataFrame, y: np.ndarray, classes: list[Hashable], seed: int
    ) -> None:
        if self.batch_size % self.pac:
            raise ValueError(
                f"expected batch_size a multiple of pac={self.pac}, found {self.batch_size}"
            )
        device = resolve_device(self.device)
        categorical = [f"f{list(self.columns_).index(c)}" for c in self.categorical_features_]
        if self.per_class:
            seeds = np.random.RandomState(seed).randint(np.iinfo(np.int32).max, size=len(classes))
            synths = {}
            for c, class_seed in zip(classes, seeds, strict=True):
                rows = X.loc[np.asarray(y) == c].reset_index(drop=True)
                batch = class_batch(self.batch_size, self.pac, len(rows))
                synth = self._synthesizer(rows, categorical, batch, device)
                with scoped_global_seed(int(class_seed), device):
                    synth.fit({_TABLE: rows})
                synths[json.dumps(_key(c))] = synth
            self._set_synthesizers(synths, {})
            return
        data = X.assign(**{_LABEL: np.asarray(y, dtype=object)})
        synth = self._synthesizer(data, [*categorical, _LABEL], self.batch_size, device)
        with scoped_global_seed(seed, device):
            synth.fit({_TABLE: data})
        self._set_synthesizers({"model": synth}, {})

    def _drawable_classes(self) -> list[Hashable]:
        return list(self.synthesizers_) if self.per_class else list(self.classes_)

    def _draw(self, target_class: Hashable, n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
        import torch

        device = torch.device(self.device_)
        if self.per_class:
            synth, spec = self.synthesizers_[target_class], self.specs_[target_class]
        else:
            synth, spec = self.synthesizer_, self.spec_
        model = synth._model
        raw = generate(
            model._generator,
            spec,
            n,
            embedding_dim=model._embedding_dim,
            condition=None if self.per_class else (_LABEL, target_class),
            seed=seed,
            device=device,
        )
        with scoped_global_seed(seed, device):  # rdt's reverse transforms draw from np.random
            rows = synth._gaussian_normalizer_hyper_transformer.reverse_transform(raw)
            rows = synth._data_processor.reverse_transform(rows)
        hit = (np.ones(len(rows), dtype=bool) if self.per_class
               else (rows[_LABEL] == target_class).to_numpy())
        return rows[[f"f{i}" for i in range(len(self.columns_))]], hit

    def _synthesizers(self) -> dict[str, Any]:
        if self.per_class:
            return {json.dumps(_key(c)): s for c, s in self.synthesizers_.items()}
        return {"model": self.synthesizer_}

    def _set_synthesizers(self, synths: dict[str, Any], meta: dict[str, Any]) -> None:
        if self.per_class:
            lookup = {json.dumps(_key(c)): c for c in self.classes_}
            self.synthesizers_ = {lookup[k]: s for k, s in synths.items()}
            self.specs_ = {c: spec_with_frequencies(s._model) for c, s in
                           self.synthesizers_.items()}
            return
        self.synthesizer_ = synths["model"]
        self.spec_ = spec_from_transformer(self.synthesizer_._model._transformer)
