"""Every run's prediction of every test row, as small integer codes.

The paired bootstrap (:mod:`iotforge.evaluation.bootstrap`) resamples test rows, so it needs the
predictions themselves, not only the metrics. One :class:`Predictions` holds the true
class of each test row and, per run (augmenter, arm, classifier, seed), the predicted
class, both as codes into one list of labels. A prediction outside the known labels (an
anomaly detector's ``anomaly``) gets a new code.

On disk (``predictions.parquet``): one row per run, columns ``augmenter, arm,
classifier, seed, codes`` (a list of int32, one per test row, in test-file order); the
first row holds the true classes (arm ``truth``); the label list is in the schema
metadata.

>>> p = Predictions(["a", "b"])
>>> p.set_truth(["a", "b", "b"])
>>> p.add(("none", "none", "rf", 0), ["a", "a", "anomaly"])
>>> p.labels, p.runs[("none", "none", "rf", 0)].tolist()
(['a', 'b', 'anomaly'], [0, 0, 2])
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
from iotforge.curation.errors import InputError
from iotforge.curation.rules._hash import frame_hash

__all__ = ["TRUTH", "Predictions", "RunKey", "fingerprint"]

RunKey: TypeAlias = tuple[str, str, str, int]
"""``(augmenter, arm, classifier, seed)``."""

TRUTH = "truth"


@dataclass
class Predictions:
    """True classes of the test rows and every run's predictions, as label codes."""

    labels: list[str] = field(default_factory=list)
    y_true: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    runs: dict[RunKey, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.labels = [str(c) for c in self.labels]

    def encode(self, values: Iterable[Any]) -> np.ndarray:
        """Codes of ``values`` (as strings); unseen labels are appended to ``labels``."""
        index = {c: i for i, c in enumerate(self.labels)}
        text = np.asarray([str(v) for v in values], dtype=object)
        for v in pd.unique(text):
            if v not in index:
                index[v] = len(self.labels)
                self.labels.append(v)
        return np.fromiter((index[v] for v in text), dtype=np.int32, count=len(text))

    def set_truth(self, y_true: Sequence[Any] | np.ndarray) -> None:
        self.y_true = self.encode(y_true)

    def add(self, key: RunKey, predicted: Sequence[Any] | np.ndarray) -> None:
        self.runs[key] = self.encode(predicted)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return np.asarray(self.labels, dtype=object)[codes]

    def merge(self, other: Predictions, *, where: str = "") -> None:
        """Add ``other``'s runs (re-coded); both must describe the same test rows."""
        if not other.runs and not len(other.y_true):
            return
        truth = other.decode(other.y_true)
        if not len(self.y_true):
            self.labels += [c for c in other.labels if c not in self.labels]
            self.set_truth(truth)
        elif not np.array_equal(self.decode(self.y_true), truth):
            raise InputError("expected evaluations of the same test rows, found different "
                             "true classes", path=where or None,
                             hint="evaluate every augmenter on the same test split")
        for key, codes in other.runs.items():
            if key not in self.runs:
                self.runs[key] = self.encode(other.decode(codes))

    def to_arrow(self) -> pa.Table:
        keys = [("", TRUTH, "", -1), *self.runs]
        arrays = [self.y_true, *self.runs.values()]
        return pa.table({
            "augmenter": [k[0] for k in keys], "arm": [k[1] for k in keys],
            "classifier": [k[2] for k in keys], "seed": pa.array([k[3] for k in keys],
                                                                 pa.int64()),
            "codes": pa.array([np.asarray(a, dtype=np.int32) for a in arrays],
                              pa.list_(pa.int32())),
        })

    @classmethod
    def from_arrow(cls, table: pa.Table, labels: Sequence[str]) -> Predictions:
        out = cls(list(labels))
        cols = table.to_pydict()
        for aug, arm, clf, seed, codes in zip(cols["augmenter"], cols["arm"],
                                              cols["classifier"], cols["seed"], cols["codes"],
                                              strict=True):
            array = np.asarray(codes, dtype=np.int32)
            if arm == TRUTH:
                out.y_true = array
            else:
                out.runs[(str(aug), str(arm), str(clf), int(seed))] = array
        return out


def fingerprint(frame: pd.DataFrame, y: np.ndarray) -> str:
    """A short digest of feature rows and their classes, in order (same rows, same
    target -> same digest), so a stored baseline is only reused for the same split.

    >>> X = pd.DataFrame({"x": [1.0, np.nan]})
    >>> fingerprint(X, np.array(["a", "b"])) == fingerprint(X.copy(), np.array(["a", "b"]))
    True
    >>> fingerprint(X, np.array(["a", "b"])) == fingerprint(X, np.array(["b", "a"]))
    False
    """
    table = frame.reset_index(drop=True).assign(__y__=np.asarray(y, dtype=object))
    hashed = frame_hash(table)
    digest = hashlib.sha256(hashed.tobytes())
    digest.update(",".join(map(str, table.columns)).encode())
    return digest.hexdigest()[:16]
