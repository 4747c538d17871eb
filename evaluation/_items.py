"""Rows as transactions: the items of association-rule mining, and which rows hold them.

:class:`ItemEncoder` turns each feature value into an item (``proto=tcp``,
``dst_port=23``, ``orig_bytes in [48, 310)``), fitted on reference rows;
:func:`_match` tells which rows contain every item of each rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from iotforge.curation.errors import UsageError

__all__ = ["ItemEncoder"]

PORT_NAME = re.compile(r"(port|_p)$", re.IGNORECASE)
MAX_LEVELS = 12  # an integer column with at most this many values is a category


def _number(x: float) -> str:
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))  # ports, window sizes: every digit matters
    return f"{x:.4g}".replace("e+0", "e").replace("e+", "e")


def _text(values: pd.Series) -> pd.Series:
    """Item values as text; numbers without a trailing ``.0`` (``23.0`` -> ``23``)."""
    if values.dtype.kind in "fiu":
        return values.map(lambda x: _number(x) if pd.notna(x) else "")
    return values.astype(str)


class ItemEncoder:
    """Rows -> a boolean item table; bins and categories are fitted on reference rows.

    Parameters
    ----------
    n_bins
        Quantile bins per continuous numeric column (fewer when quantiles tie).
    max_categories
        Values kept per categorical column; rarer values become ``COLUMN=other``.
    as_categories
        Numeric columns to treat as categories; ``None`` picks port-named columns and
        integer columns with at most 12 distinct values.

    Examples
    --------
    >>> X = pd.DataFrame({"bytes": [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, None],
    ...                   "port": [23.0] * 8})
    >>> enc = ItemEncoder(n_bins=2).fit(X, ["bytes", "port"], [])
    >>> enc.items_
    ['bytes<4.5', 'bytes>=4.5', 'port=23']
    >>> enc.transform(X.iloc[[0]]).iloc[0].tolist()
    [True, False, True]
    >>> enc.transform(X.iloc[[7]]).sum(axis=1).tolist()  # missing bytes: no item
    [1]
    """

    def __init__(self, *, n_bins: int = 4, max_categories: int = 32,
                 as_categories: Sequence[str] | None = None) -> None:
        self.n_bins = n_bins
        self.max_categories = max_categories
        self.as_categories = as_categories

    def fit(self, frame: pd.DataFrame, numeric: Sequence[str],
            categorical: Sequence[str]) -> ItemEncoder:
        if self.n_bins < 2:
            raise UsageError(f"expected at least 2 bins, found {self.n_bins}")
        self.edges_: dict[str, np.ndarray] = {}
        self.levels_: dict[str, list[str]] = {}
        for col in numeric:
            v = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            if v.size == 0:
                continue
            levels = np.unique(v)
            chosen = (col in self.as_categories if self.as_categories is not None
                      else bool(PORT_NAME.search(col)) or (
                          len(levels) <= MAX_LEVELS and np.all(levels == np.round(levels))))
            if chosen:
                self.levels_[col] = self._top(_text(pd.Series(v)))
            else:
                inner = np.linspace(0, 1, self.n_bins + 1)[1:-1]
                self.edges_[col] = np.unique(np.quantile(v, inner))
        for col in categorical:
            s = _text(frame[col].dropna())
            if len(s):
                self.levels_[col] = self._top(s)
        self.items_ = self._item_names()
        if not self.items_:
            raise UsageError("expected numeric or categorical columns with values, found "
                             "none", hint="check the column roles of the table")
        return self

    def _top(self, values: pd.Series) -> list[str]:
        counts = values.value_counts(sort=True)
        kept = [str(v) for v in counts.index[:self.max_categories]]
        return kept + (["other"] if len(counts) > self.max_categories else [])

    def _bin_names(self, col: str) -> list[str]:
        e = [_number(x) for x in self.edges_[col]]
        if not e:
            return [f"{col}=any"]
        return ([f"{col}<{e[0]}"] + [f"{col} in [{a}, {b})" for a, b in zip(e, e[1:],
                                                                            strict=False)]
                + [f"{col}>={e[-1]}"])

    def _item_names(self) -> list[str]:
        names: list[str] = []
        for col in self.edges_:
            names += self._bin_names(col)
        for col, levels in self.levels_.items():
            names += [f"{col}={v}" for v in levels]
        return names

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The boolean item table of ``frame`` (columns: :attr:`items_`)."""
        out: dict[str, np.ndarray] = {}
        n = len(frame)
        for col, edges in self.edges_.items():
            v = (pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
                 if col in frame.columns else np.full(n, np.nan))
            code = np.searchsorted(edges, v, side="right")
            present = np.isfinite(v)
            for i, name in enumerate(self._bin_names(col)):
                out[name] = present & (code == i)
        for col, levels in self.levels_.items():
            s = frame[col] if col in frame.columns else pd.Series([None] * n, dtype=object)
            present = s.notna().to_numpy()
            values = _text(s).to_numpy(dtype=object)
            known = [v for v in levels if v != "other"]
            for v in levels:
                hit = (values == v) if v != "other" else ~np.isin(values, known)
                out[f"{col}={v}"] = present & hit
        return pd.DataFrame(out, index=range(n), columns=self.items_).astype(bool)


def _match(items: np.ndarray, names: list[str], antecedents: Sequence[tuple[str, ...]]
           ) -> np.ndarray:
    index = {name: i for i, name in enumerate(names)}
    out = np.zeros((items.shape[0], len(antecedents)), dtype=bool)
    for j, antecedent in enumerate(antecedents):
        if all(item in index for item in antecedent):
            out[:, j] = items[:, [index[item] for item in antecedent]].all(axis=1)
    return out
