"""torch modules that must be importable by name (pickling); imported only by fits."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["Autoencoder", "GRUOverFeatures"]


class GRUOverFeatures(nn.Module):
    """A GRU reading a feature vector as ``steps`` time steps of ``step`` features
    (zero-padded at the end); the last hidden state feeds a linear layer."""

    def __init__(self, n_features: int, step: int, units: int, n_classes: int) -> None:
        super().__init__()
        self.step = step
        self.steps = -(-n_features // step)
        self.gru = nn.GRU(step, units, batch_first=True)
        self.out = nn.Linear(units, n_classes)

    def forward(self, x: torch.Tensor) -> Any:
        pad = self.steps * self.step - x.shape[1]
        seq = nn.functional.pad(x, (0, pad)).reshape(len(x), self.steps, self.step)
        return self.out(self.gru(seq)[1][-1])


class Autoencoder(nn.Module):
    """``n -> hidden -> bottleneck -> hidden -> n`` with ReLU between layers."""

    def __init__(self, n_features: int, hidden: int, bottleneck: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_features, hidden), nn.ReLU(),
                                 nn.Linear(hidden, bottleneck), nn.ReLU(),
                                 nn.Linear(bottleneck, hidden), nn.ReLU(),
                                 nn.Linear(hidden, n_features))

    def forward(self, x: torch.Tensor) -> Any:
        return self.net(x)
