"""Distance to closest record (DCR): are synthetic rows new, or near-copies of training rows?

One Gower distance for the whole project: ``iotforge augment --holdout`` reports it per
source (:func:`dcr_by_source`), the evaluation per class (:mod:`iotforge.evaluation.fidelity`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from iotforge.curation.errors import SchemaMismatchError
from iotforge.curation.schema import SOURCE

__all__ = ["DCRResult", "closest_record_distance", "dcr_by_source",
           "distance_to_closest_record"]

_MISSING = "__missing__"


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


def _encode(frames: list[pd.DataFrame], scale_by: pd.DataFrame, numeric: Sequence[Any],
            categorical: Sequence[Any]) -> list[np.ndarray]:
    """Rows as vectors whose L1 distance is the Gower distance times the column count."""
    blocks: list[list[np.ndarray]] = [[] for _ in frames]
    for col in numeric:
        ref = scale_by[col].to_numpy(dtype=float, na_value=np.nan)
        ref = ref[np.isfinite(ref)]
        lo, hi = (float(ref.min()), float(ref.max())) if ref.size else (0.0, 1.0)
        scale = hi - lo if hi > lo else 1.0
        for out, f in zip(blocks, frames, strict=True):
            v = (f[col].to_numpy(dtype=float, na_value=np.nan) - lo) / scale
            # a missing value sits one range below the observed ones: far, but finite
            out.append(np.where(np.isfinite(v), v, -1.0)[:, None])
    for col in categorical:
        values = [f[col].astype(object).where(f[col].notna(), _MISSING).astype(str)
                  for f in frames]
        cats = pd.Index(pd.concat(values).unique())
        for out, v in zip(blocks, values, strict=True):
            out.append(np.eye(len(cats))[cats.get_indexer(v)] * 0.5)  # mismatch adds 1
    return [np.hstack(b) if b else np.zeros((len(f), 0))
            for b, f in zip(blocks, frames, strict=True)]


def _kinds(frame: pd.DataFrame) -> tuple[list[Any], list[Any]]:
    """Numeric (bool excluded) and categorical columns of ``frame`` by dtype."""
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    return numeric, [c for c in frame.columns if c not in numeric]


def closest_record_distance(query: pd.DataFrame, reference: pd.DataFrame,
                            numeric: Sequence[Any] | None = None,
                            categorical: Sequence[Any] | None = None, *,
                            scale_by: pd.DataFrame | None = None) -> np.ndarray:
    """Gower distance of every ``query`` row to its closest ``reference`` row.

    Numeric columns are scaled by the range of ``scale_by`` (default: ``reference``), a
    categorical mismatch counts 1, the L1 sum is divided by the number of columns:
    0 = identical, 1 = nothing alike. A missing value is a category of its own, or one
    range below the observed numbers. NaN for every query row when a side is empty.

    Parameters
    ----------
    query, reference : pandas.DataFrame
        Rows with the given columns.
    numeric, categorical : list of column names, optional
        Default: by the dtypes of ``reference`` (bool columns are categorical).
    scale_by : pandas.DataFrame, optional
        Whose ranges scale the numeric columns, so that distances to two references
        (training and holdout rows) are on one scale.

    Examples
    --------
    >>> ref = pd.DataFrame({"x": [0.0, 10.0], "p": ["tcp", "udp"]})
    >>> closest_record_distance(pd.DataFrame({"x": [5.0], "p": ["tcp"]}), ref).tolist()
    [0.25]
    """
    from sklearn.neighbors import NearestNeighbors

    if numeric is None or categorical is None:
        numeric, categorical = _kinds(reference)
    if len(query) == 0 or len(reference) == 0:
        return np.full(len(query), np.nan)
    q, r = _encode([query, reference], reference if scale_by is None else scale_by,
                   numeric, categorical)
    width = max(len(numeric) + len(categorical), 1)
    nn = NearestNeighbors(n_neighbors=1, metric="manhattan").fit(r)
    return np.asarray(nn.kneighbors(q, return_distance=True)[0][:, 0]) / width


def distance_to_closest_record(
    synthetic: pd.DataFrame, train: pd.DataFrame, holdout: pd.DataFrame
) -> DCRResult:
    """Gower distance of each synthetic row to its closest training and holdout row.

    :func:`closest_record_distance` to both, numeric columns scaled by the training range.

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
    columns = list(train.columns)
    for name, frame in (("synthetic", synthetic), ("holdout", holdout)):
        if list(frame.columns) != columns:
            raise ValueError(f"{name}: expected columns {columns}, found {list(frame.columns)}")
    numeric, categorical = _kinds(train)
    to_train = closest_record_distance(synthetic, train, numeric, categorical)
    to_holdout = closest_record_distance(synthetic, holdout, numeric, categorical,
                                         scale_by=train)
    some = len(synthetic) > 0
    return DCRResult(
        to_train=to_train,
        to_holdout=to_holdout,
        share_closer_to_train=float(np.mean(to_train < to_holdout)) if some else float("nan"),
        median_to_train=float(np.median(to_train)) if some else float("nan"),
        median_to_holdout=float(np.median(to_holdout)) if some else float("nan"),
        exact_copies=int(np.sum(to_train == 0)),
    )


def dcr_by_source(synthetic: pd.DataFrame, train: pd.DataFrame, holdout: pd.DataFrame,
                  features: Sequence[str]) -> dict[str, dict[str, Any]]:
    """DCR of the synthetic rows of each source, on the features that source fills.

    Rows with a missing feature are left out; a source with no complete synthetic,
    training or holdout row is left out of the result.

    Parameters
    ----------
    synthetic, train, holdout : pandas.DataFrame
        Canonical tables (a ``source`` column) with the ``features``; ``holdout`` is the
        test split.
    features : list of str
        The feature columns (numeric and categorical roles).

    Returns
    -------
    dict
        ``{source: {"median_to_train", "median_to_holdout", "exact_copies"}}``.

    Examples
    --------
    >>> train = pd.DataFrame({"source": "zeek", "x": [0.0, 10.0], "y": [None, None]})
    >>> holdout = pd.DataFrame({"source": "zeek", "x": [4.0], "y": [None]})
    >>> dcr_by_source(train.iloc[:1], train, holdout, ["x", "y"])
    {'zeek': {'median_to_train': 0.0, 'median_to_holdout': 0.4, 'exact_copies': 1}}
    """
    for name, frame in (("train", train), ("holdout", holdout), ("synthetic", synthetic)):
        if SOURCE not in frame.columns:
            raise SchemaMismatchError(f"{name} rows: expected a canonical table with a "
                                      f"{SOURCE!r} column, found columns "
                                      f"{list(frame.columns)[:10]}")
    out: dict[str, dict[str, Any]] = {}
    for source, rows in synthetic.groupby(SOURCE, sort=True):
        of_source = train[SOURCE] == source
        feats = [c for c in features if train.loc[of_source, c].notna().any()]
        tr = train.loc[of_source, feats].dropna()
        ho = holdout.loc[holdout[SOURCE] == source, feats].dropna()
        sy = rows[feats].dropna()
        if min(len(tr), len(ho), len(sy)) == 0:
            continue
        r = distance_to_closest_record(sy, tr, ho)
        out[str(source)] = {"median_to_train": float(np.median(r.to_train)),
                            "median_to_holdout": float(np.median(r.to_holdout)),
                            "exact_copies": int(r.exact_copies)}
    return out
