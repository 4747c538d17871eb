"""Distance to closest record (DCR): are synthetic rows new, or near-copies of training rows?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DCRResult", "distance_to_closest_record"]


@dataclass(frozen=True)
class DCRResult:
    """Per synthetic row, the Gower distance to the closest training and holdout row.

    ``share_closer_to_train`` near 0.5 means the generator is no closer to the rows it
    learned from than to unseen real rows of the same population; well above 0.5 means
    it reproduces its training rows. ``exact_copies`` counts distance-0 training matches.
    """

    to_train: np.ndarray
    to_holdout: np.ndarray
    share_closer_to_train: float
    median_to_train: float
    median_to_holdout: float
    exact_copies: int


def _encode(frames: list[pd.DataFrame], reference: pd.DataFrame) -> list[np.ndarray]:
    blocks: list[list[np.ndarray]] = [[] for _ in frames]
    for col in reference.columns:
        ref = reference[col]
        if pd.api.types.is_numeric_dtype(ref) and not pd.api.types.is_bool_dtype(ref):
            lo, hi = float(ref.min()), float(ref.max())
            scale = hi - lo if hi > lo else 1.0
            for out, f in zip(blocks, frames, strict=True):
                out.append(((f[col].to_numpy(dtype=float) - lo) / scale)[:, None])
        else:
            cats = pd.Index(pd.concat([f[col] for f in frames]).astype(str).unique())
            for out, f in zip(blocks, frames, strict=True):
                codes = cats.get_indexer(f[col].astype(str))
                # half-weight one-hot: a category mismatch adds 1 to the L1 distance
                out.append(np.eye(len(cats))[codes] * 0.5)
    return [
        np.hstack(b) if b else np.zeros((len(f), 0))
        for b, f in zip(blocks, frames, strict=True)
    ]


def distance_to_closest_record(
    synthetic: pd.DataFrame, train: pd.DataFrame, holdout: pd.DataFrame
) -> DCRResult:
    """Gower distance of each synthetic row to its closest training and holdout row.

    Numeric columns are scaled by the training range, a categorical mismatch counts 1, and
    the L1 sum is divided by the number of columns (0 = identical row, 1 = nothing alike).

    Parameters
    ----------
    synthetic, train, holdout : pandas.DataFrame
        Feature columns only (no label), the same columns in each. ``holdout`` is real
        data the generator never saw, e.g. the test split of the same class.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"x": [0.0, 10.0], "p": ["tcp", "udp"]})
    >>> holdout = pd.DataFrame({"x": [5.0], "p": ["tcp"]})
    >>> r = distance_to_closest_record(pd.DataFrame({"x": [0.0], "p": ["tcp"]}), train, holdout)
    >>> r.to_train.tolist(), r.to_holdout.tolist(), r.exact_copies
    ([0.0], [0.25], 1)
    """
    from sklearn.neighbors import NearestNeighbors

    columns = list(train.columns)
    for name, frame in (("synthetic", synthetic), ("holdout", holdout)):
        if list(frame.columns) != columns:
            raise ValueError(f"{name}: expected columns {columns}, found {list(frame.columns)}")
    syn, tr, ho = _encode([synthetic, train, holdout], train)
    width = max(len(columns), 1)

    def nearest(reference: np.ndarray) -> np.ndarray:
        nn = NearestNeighbors(n_neighbors=1, metric="manhattan").fit(reference)
        distance: Any = nn.kneighbors(syn, return_distance=True)[0][:, 0]
        return np.asarray(distance) / width

    to_train, to_holdout = nearest(tr), nearest(ho)
    return DCRResult(
        to_train=to_train,
        to_holdout=to_holdout,
        share_closer_to_train=float(np.mean(to_train < to_holdout)) if len(syn) else float("nan"),
        median_to_train=float(np.median(to_train)) if len(syn) else float("nan"),
        median_to_holdout=float(np.median(to_holdout)) if len(syn) else float("nan"),
        exact_copies=int(np.sum(to_train == 0)),
    )
