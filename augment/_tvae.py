"""TVAE augmenter: one small ctgan TVAE per class to augment."""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval

from ._ctgan import (
    _POSITIVE_INT,
    _POSITIVE_REAL,
    _keys_tensor,
    _load_weights,
    _prefixed,
    _save_weights,
    _unprefixed,
)
from ._ctgan_core import (
    Device,
    data_dim,
    generate_tvae,
    resolve_device,
    scoped_global_seed,
    spec_from_transformer,
)
from ._gen_base import _GenerativeAugmenter, read_meta

if TYPE_CHECKING:
    from ._gen_base import Contract

__all__ = ["TVAEAugmenter"]


class TVAEAugmenter(_GenerativeAugmenter):
    """Over-sample with one TVAE per class to augment.

    TVAE has no conditioning, and one TVAE fitted on all classes drops the rare ones (see
    docs/augment.md), so each class to augment gets its own small model (always: it is
    what ``per_class=True`` does for CTGAN); every drawn row belongs to its class
    (``hit_rate_`` is 1.0). Tiny classes still get at least ``min_steps`` optimiser steps.

    Parameters
    ----------
    sampling_strategy, random_state, categorical_features, constrain, reject_duplicates, \
max_retries
        As in :class:`~iotforge.augment.BaseAugmenter`.
    epochs : int, default=50
        Passes over each class's rows.
    min_steps : int, default=300
        Fewest optimiser steps per class model (raises ``epochs`` for small classes).
    batch_size : int, default=200
        Rows per step (capped at the class size).
    embedding_dim : int, default=32
        Latent dimensions (ctgan: 128).
    compress_dims, decompress_dims : tuple of int, default=(64, 64)
        Encoder/decoder hidden widths (ctgan: (128, 128)).
    l2scale : float, default=1e-5
        Adam weight decay.
    loss_factor : float, default=2
        Weight of the reconstruction loss.
    device : {'auto', 'cpu', 'cuda'}, default='auto'
        CUDA when available, else CPU.
    contract : callable or None, default=None
        ``(rows DataFrame) -> bool mask`` of valid rows; failing rows are regenerated.
    threads : int or None, default=1
        torch threads while fitting and sampling (restored afterwards); None leaves
        torch's setting.

    Attributes
    ----------
    decoders_, specs_ : dict
        Class -> decoder network and its decoding spec, one per grown class.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"bytes": rng.gamma(2, 50, 60).round(), "dur": rng.random(60)})
    >>> y = np.array([0] * 50 + [1] * 10)
    >>> aug = TVAEAugmenter(epochs=1, min_steps=5, embedding_dim=4, compress_dims=(8,),
    ...                     decompress_dims=(8,), random_state=0)
    >>> X_res, y_res = aug.fit_resample(X, y)
    >>> np.bincount(y_res).tolist(), aug.hit_rate_
    ([50, 50], {1: 1.0})
    """

    method_name = "tvae"

    _parameter_constraints: dict = {
        **_GenerativeAugmenter._parameter_constraints,
        "epochs": _POSITIVE_INT,
        "min_steps": [Interval(numbers.Integral, 0, None, closed="left")],
        "batch_size": _POSITIVE_INT,
        "embedding_dim": _POSITIVE_INT,
        "compress_dims": ["array-like"],
        "decompress_dims": ["array-like"],
        "l2scale": [Interval(numbers.Real, 0, None, closed="left")],
        "loss_factor": _POSITIVE_REAL,
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
        min_steps: int = 300,
        batch_size: int = 200,
        embedding_dim: int = 32,
        compress_dims: tuple[int, ...] = (64, 64),
        decompress_dims: tuple[int, ...] = (64, 64),
        l2scale: float = 1e-5,
        loss_factor: float = 2,
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
        self.epochs = epochs
        self.min_steps = min_steps
        self.batch_size = batch_size
        self.embedding_dim = embedding_dim
        self.compress_dims = compress_dims
        self.decompress_dims = decompress_dims
        self.l2scale = l2scale
        self.loss_factor = loss_factor
        self.device = device
        self.contract = contract
        self.threads = threads

    def _fit_models(
        self, X: pd.DataFrame, y: np.ndarray, classes: list[Hashable], seed: int
    ) -> None:
        from ctgan import TVAE

        device = resolve_device(self.device)
        discrete = [f"f{list(self.columns_).index(c)}" for c in self.categorical_features_]
        seeds = np.random.RandomState(seed).randint(np.iinfo(np.int32).max, size=len(classes))
        self.decoders_: dict[Hashable, Any] = {}
        self.specs_: dict[Hashable, list[dict[str, Any]]] = {}
        for c, class_seed in zip(classes, seeds, strict=True):
            rows = X.loc[np.asarray(y) == c].reset_index(drop=True)
            batch = min(self.batch_size, len(rows))
            steps_per_epoch = math.ceil(len(rows) / batch)
            model = TVAE(
                embedding_dim=self.embedding_dim,
                compress_dims=tuple(self.compress_dims),
                decompress_dims=tuple(self.decompress_dims),
                l2scale=self.l2scale,
                batch_size=batch,
                epochs=max(self.epochs, math.ceil(self.min_steps / steps_per_epoch)),
                loss_factor=self.loss_factor,
                enable_gpu=device.type == "cuda",
            )
            with scoped_global_seed(int(class_seed), device):
                model.fit(rows, discrete_columns=discrete)
            self.decoders_[c] = model.decoder
            self.specs_[c] = spec_from_transformer(model.transformer)

    def _drawable_classes(self) -> list[Hashable]:
        return list(self.decoders_)

    def _draw(self, target_class: Hashable, n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
        import torch

        rows = generate_tvae(
            self.decoders_[target_class],
            self.specs_[target_class],
            n,
            embedding_dim=self.embedding_dim,
            seed=seed,
            device=torch.device(self.device_),
        )
        return rows, np.ones(len(rows), dtype=bool)

    def save(self, path: str | Path) -> None:
        """Save the per-class decoders to directory ``path`` (created if missing).

        Files: ``weights.pt`` (each class decoder's ``state_dict`` and the 64-bit hashes
        of the training rows; loaded with ``weights_only=True``) and ``meta.json``. No
        pickle: loading a file from an untrusted source runs no code.
        """
        meta = self._common_meta()
        order = list(self.decoders_)
        meta["models"] = [{"class": c, "spec": self.specs_[c]} for c in order]
        tensors: dict[str, Any] = {"train_keys": _keys_tensor(self.train_keys_)}
        for i, c in enumerate(order):
            tensors.update(_prefixed(f"decoder{i}", self.decoders_[c].state_dict()))
        meta["models"] = json.loads(json.dumps(meta["models"], default=_np_default))
        _save_weights(Path(path), tensors, meta)

    @classmethod
    def load(cls, path: str | Path) -> TVAEAugmenter:
        """Load decoders saved by :meth:`save`; ready for :meth:`sample`."""
        import torch
        from ctgan.synthesizers.tvae import Decoder

        path = Path(path)
        meta = read_meta(path)
        tensors = _load_weights(path)
        self = cls(**meta["params"])
        self._restore_common(meta, tensors["train_keys"].numpy().view(np.uint64))
        self.decoders_, self.specs_ = {}, {}
        for i, entry in enumerate(meta["models"]):
            c = self.classes_[list(self.classes_).index(entry["class"])]
            decoder = Decoder(
                self.embedding_dim, tuple(self.decompress_dims), data_dim(entry["spec"])
            )
            decoder.load_state_dict(_unprefixed(f"decoder{i}", tensors))
            self.decoders_[c] = decoder.to(torch.device(self.device_)).eval()
            self.specs_[c] = entry["spec"]
        return self


def _np_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"expected JSON-serialisable metadata, found {type(value).__name__}")
