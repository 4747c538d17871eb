"""CTGAN augmenter (ctgan's networks, iotforge's conditioning and decoding) and the safe
weights files shared with the TVAE augmenter."""

from __future__ import annotations

import io
import json
import numbers
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval

from ._gen_base import _LABEL, _GenerativeAugmenter, read_meta, write_atomic

if TYPE_CHECKING:
    from ._ctgan_core import Device
    from ._gen_base import Contract

__all__ = ["CTGANAugmenter"]

_POSITIVE_INT = [Interval(numbers.Integral, 1, None, closed="left")]
_POSITIVE_REAL = [Interval(numbers.Real, 0, None, closed="neither")]


def _save_weights(path: Path, tensors: dict[str, Any], meta: dict[str, Any]) -> None:
    import torch

    path.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in tensors.items()}, buffer)
    write_atomic(path / "weights.pt", buffer.getvalue())
    write_atomic(path / "meta.json", json.dumps(meta, indent=1).encode("utf-8"))


def _load_weights(path: Path) -> dict[str, Any]:
    import torch

    # weights_only=True: tensors and plain containers only, no code runs on load.
    tensors: dict[str, Any] = torch.load(path / "weights.pt", map_location="cpu", weights_only=True)
    return tensors


def _keys_tensor(keys: np.ndarray) -> Any:
    import torch

    return torch.from_numpy(np.asarray(keys, dtype=np.uint64).view(np.int64).copy())


def _prefixed(prefix: str, state: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}.{k}": v for k, v in state.items()}


def _unprefixed(prefix: str, tensors: dict[str, Any]) -> dict[str, Any]:
    start = len(prefix) + 1
    return {k[start:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


class CTGANAugmenter(_GenerativeAugmenter):
    """Over-sample with one CTGAN conditioned on the class label.

    One ``ctgan.CTGAN`` learns all classes with the label as a discrete column; rows of
    class ``c`` are drawn with the conditional vector set to ``c`` by iotforge's own
    sampler (right offset, generator in eval mode; ctgan 0.12.1's
    ``sample(condition_column=...)`` gets both wrong, see :mod:`augment._ctgan_core`).
    Rows the generator still labels otherwise are dropped and replaced; their share is
    ``1 - hit_rate_[c]``.

    Parameters
    ----------
    sampling_strategy, random_state, categorical_features, constrain, reject_duplicates, \
max_retries
        As in :class:`~augment.BaseAugmenter`.
    epochs : int, default=50
        Passes over the training rows (ctgan's default is 300). 50 epochs of batch 200 on
        3,327 rows x 10 columns (800 steps) took 21 s on 2 shared CPU cores with one torch
        thread; raise it for fidelity (150 epochs: hit rate 1.0, lower KS distance).
    batch_size : int, default=200
        Rows per step; a multiple of ``pac``.
    embedding_dim : int, default=64
        Noise dimensions fed to the generator (ctgan: 128).
    generator_dim, discriminator_dim : tuple of int, default=(128, 128)
        Hidden layer widths (ctgan: (256, 256)).
    generator_lr, discriminator_lr : float, default=2e-4
        Adam learning rates.
    discriminator_steps : int, default=1
        Discriminator updates per generator update.
    pac : int, default=10
        Rows the discriminator judges together.
    log_frequency : bool, default=True
        Sample training conditions by log class frequency, so rare classes are trained
        as conditions more often. Only training; drawing is always conditioned.
    device : {'auto', 'cpu', 'cuda'}, default='auto'
        CUDA when available, else CPU.
    contract : callable or None, default=None
        ``(rows DataFrame) -> bool mask`` of valid rows; failing rows are regenerated.

    Attributes
    ----------
    hit_rate_ : dict
        Class -> share of raw generated rows that carried the requested class.
    reject_rate_ : float
        Share of (label-correct) generated rows rejected as invalid, duplicate or
        failing the contract.
    synthesizer_ : ctgan.CTGAN or None
        The fitted library model (None after :meth:`load`).
    generator_ : torch.nn.Module
        The generator network; ``spec_`` is its JSON decoding spec.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"bytes": rng.gamma(2, 50, 120).round(), "dur": rng.random(120)})
    >>> y = np.array(["normal"] * 110 + ["scan"] * 10)
    >>> aug = CTGANAugmenter(sampling_strategy={"scan": 30}, epochs=2, batch_size=40,
    ...                      generator_dim=(16,), discriminator_dim=(16,), embedding_dim=8,
    ...                      random_state=0)
    >>> X_res, y_res = aug.fit_resample(X, y)
    >>> int((y_res == "scan").sum()), X_res.dtypes["bytes"]
    (30, dtype('float64'))
    """

    method_name = "ctgan"

    _parameter_constraints: dict = {
        **_GenerativeAugmenter._parameter_constraints,
        "epochs": _POSITIVE_INT,
        "batch_size": _POSITIVE_INT,
        "embedding_dim": _POSITIVE_INT,
        "generator_dim": ["array-like"],
        "discriminator_dim": ["array-like"],
        "generator_lr": _POSITIVE_REAL,
        "discriminator_lr": _POSITIVE_REAL,
        "discriminator_steps": _POSITIVE_INT,
        "pac": _POSITIVE_INT,
        "log_frequency": ["boolean"],
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
        generator_lr: float = 2e-4,
        discriminator_lr: float = 2e-4,
        discriminator_steps: int = 1,
        pac: int = 10,
        log_frequency: bool = True,
        device: Device = "auto",
        contract: Contract | None = None,
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
        self.generator_lr = generator_lr
        self.discriminator_lr = discriminator_lr
        self.discriminator_steps = discriminator_steps
        self.pac = pac
        self.log_frequency = log_frequency
        self.device = device
        self.contract = contract

    def _fit_models(
        self, X: pd.DataFrame, y: np.ndarray, classes: list[Hashable], seed: int
    ) -> None:
        from ctgan import CTGAN

        from ._ctgan_core import resolve_device, scoped_global_seed, spec_from_transformer

        if self.batch_size % self.pac:
            raise ValueError(
                f"expected batch_size a multiple of pac={self.pac}, found {self.batch_size}"
            )
        device = resolve_device(self.device)
        data = X.assign(**{_LABEL: np.asarray(y, dtype=object)})
        discrete = [f"f{list(self.columns_).index(c)}" for c in self.categorical_features_]
        model = CTGAN(
            embedding_dim=self.embedding_dim,
            generator_dim=tuple(self.generator_dim),
            discriminator_dim=tuple(self.discriminator_dim),
            generator_lr=self.generator_lr,
            discriminator_lr=self.discriminator_lr,
            batch_size=self.batch_size,
            discriminator_steps=self.discriminator_steps,
            log_frequency=self.log_frequency,
            epochs=self.epochs,
            pac=self.pac,
            enable_gpu=device.type == "cuda",
        )
        with scoped_global_seed(seed, device):
            model.fit(data, discrete_columns=[*discrete, _LABEL])
        self.synthesizer_ = model
        self.generator_ = model._generator
        self.spec_ = spec_from_transformer(model._transformer)

    def _draw(self, target_class: Hashable, n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
        import torch

        from ._ctgan_core import generate

        rows = generate(
            self.generator_,
            self.spec_,
            n,
            embedding_dim=self.embedding_dim,
            condition=(_LABEL, target_class),
            seed=seed,
            device=torch.device(self.device_),
        )
        hit = (rows[_LABEL] == target_class).to_numpy()
        return rows.drop(columns=_LABEL), hit

    def save(self, path: str | Path) -> None:
        """Save the fitted generator to directory ``path`` (created if missing).

        Files: ``weights.pt`` (the generator's ``state_dict`` and the 64-bit hashes of the
        training rows, for duplicate rejection; loaded with ``weights_only=True``) and
        ``meta.json`` (parameters, decoding spec, validity rules). No pickle: loading a
        file from an untrusted source runs no code.
        """
        meta = self._common_meta()
        meta["spec"] = self.spec_
        tensors = _prefixed("generator", self.generator_.state_dict())
        tensors["train_keys"] = _keys_tensor(self.train_keys_)
        _save_weights(Path(path), tensors, meta)

    @classmethod
    def load(cls, path: str | Path) -> CTGANAugmenter:
        """Load a generator saved by :meth:`save`; ready for :meth:`sample`."""
        import torch
        from ctgan.synthesizers.ctgan import Generator

        from ._ctgan_core import cond_dim, data_dim

        path = Path(path)
        meta = read_meta(path)
        tensors = _load_weights(path)
        self = cls(**meta["params"])
        self._restore_common(meta, tensors["train_keys"].numpy().view(np.uint64))
        self.spec_ = meta["spec"]
        generator = Generator(
            self.embedding_dim + cond_dim(self.spec_),
            tuple(self.generator_dim),
            data_dim(self.spec_),
        )
        generator.load_state_dict(_unprefixed("generator", tensors))
        self.generator_ = generator.to(torch.device(self.device_)).eval()
        self.synthesizer_ = None
        return self
