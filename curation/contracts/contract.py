"""Row-level use of a data contract: which rows of a batch break a suite.

Augmenters regenerate synthetic rows that break the curated data's contract, so
they need a mask of bad rows, not only pass/fail. Great Expectations reports the
index of every unexpected value (result format ``COMPLETE``); this module turns
that into a boolean mask. Expectations on provenance columns are left out: a
synthetic row has no ``source_file`` or ``source_row`` by design.

>>> import pandas as pd
>>> suite = {"name": "s", "expectations": [
...     {"type": "expect_column_values_to_be_between",
...      "kwargs": {"column": "x", "min_value": 0, "max_value": 5}}]}
>>> valid_rows(pd.DataFrame({"x": [1.0, 7.0, 3.0]}), suite).tolist()
[True, False, True]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, ValidationFailed
from ..schema import (
    FIXED_ROLES,
    IS_SYNTHETIC,
    PROVENANCE_COLUMNS,
    SYNTHETIC_LABEL_COLUMNS,
)
from ._gx import gx_frame, run_gx
from .validate import select_rows

__all__ = ["TABLE_LEVEL_OK", "for_rows", "for_synthetic_rows", "row_contract", "valid_rows"]

# Not row-level, or about storage (the writer casts synthetic rows to the table's
# schema, so a float-valued integer column in memory is no violation).
TABLE_LEVEL_OK = {"expect_table_row_count_to_be_between", "expect_table_columns_to_match_set",
                  "expect_column_values_to_be_unique", "expect_column_values_to_be_in_type_list",
                  "expect_column_values_to_be_of_type"}


def for_rows(suite: Mapping[str, Any], columns: list[str], *,
             keep_selection: bool = False) -> dict[str, Any]:
    """The row-level part of ``suite`` about ``columns``, provenance left out.

    Table-level expectations (row counts, column sets) and expectations on other
    columns are dropped: the caller checks a slice of rows and columns.
    """
    out = dict(suite)
    keep = set(columns) - set(PROVENANCE_COLUMNS)
    exps = []
    for exp in suite.get("expectations", []):
        kw = exp.get("kwargs", {})
        if exp.get("type") in TABLE_LEVEL_OK or "column" not in kw or kw["column"] not in keep:
            continue
        exps.append(exp)
    out["expectations"] = exps
    if not keep_selection:  # no row selection by source: the caller chose the rows
        meta = dict(out.get("meta") or {})
        meta.pop("iotforge", None)
        out["meta"] = meta
    return out


def for_synthetic_rows(frame: pd.DataFrame, roles: Mapping[str, str],
                       suites: Sequence[Mapping[str, Any]], *, path: str | None = None
                       ) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The synthetic rows of augmented data, and the suites that apply to them.

    Synthetic rows are checked on what an augmenter made: the feature columns
    (``numeric`` and ``categorical`` roles; a column without a role counts as numeric)
    and :data:`~iotforge.curation.schema.SYNTHETIC_LABEL_COLUMNS`; provenance (no ``source_file``
    or ``source_row`` by design) is left out. Each suite keeps its row selection by
    ``source``; a suite with no synthetic row to check (the augmenter added none to its
    sources, or abstained) is dropped, so the list may be empty: nothing to check, not
    a failure.

    Parameters
    ----------
    frame : pandas.DataFrame
        Augmented data (the output of ``iotforge augment``): an ``is_synthetic`` column.
    roles : mapping
        Column -> role, from the table's metadata.
    suites : list of dict
        The data contracts.
    path : str, optional
        Where ``frame`` came from, for the error message.

    Raises
    ------
    iotforge.curation.errors.InputError
        When ``frame`` has no ``is_synthetic`` column: it is not augmented data.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1.0, -5.0], "label": ["a", "b"], "source_row": [1, None],
    ...                    "is_synthetic": [False, True]})
    >>> suite = {"name": "s", "expectations": [
    ...     {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": c}}
    ...     for c in ("x", "source_row")]}
    >>> rows, checked = for_synthetic_rows(df, {"x": "numeric"}, [suite])
    >>> rows["x"].tolist(), [e["kwargs"]["column"] for e in checked[0]["expectations"]]
    ([-5.0], ['x'])
    """
    if IS_SYNTHETIC not in frame.columns:
        raise InputError(f"expected augmented data (an {IS_SYNTHETIC} column) to check its "
                         "synthetic rows, found none", path=path,
                         hint="give the output of 'iotforge augment'")
    rows = frame[frame[IS_SYNTHETIC].astype(bool)]
    keep = [c for c in rows.columns if c in SYNTHETIC_LABEL_COLUMNS or (
        c not in FIXED_ROLES and roles.get(c, "numeric") in ("numeric", "categorical"))]
    checked = [for_rows(s, keep, keep_selection=True) for s in suites]
    return rows, [s for s in checked if not select_rows(rows, s)[0].empty]


def valid_rows(df: pd.DataFrame, suite: Mapping[str, Any]) -> np.ndarray:
    """Boolean mask of rows of ``df`` that meet every row-level expectation of ``suite``.

    A failing table-level expectation (a missing column, a wrong column set) says the
    batch has the wrong shape, not that some rows are bad: it raises
    :class:`~iotforge.curation.errors.ValidationFailed`.
    """
    frame = df.reset_index(drop=True)
    row_suite = for_rows(suite, list(frame.columns))
    if not row_suite["expectations"]:
        return np.ones(len(frame), dtype=bool)
    result = run_gx(gx_frame(frame), row_suite, "COMPLETE", None)
    mask = np.ones(len(frame), dtype=bool)
    for res in result.results:
        if res.success:
            continue
        index = (res.result or {}).get("unexpected_index_list")
        if index is None:
            column = res.expectation_config.kwargs.get("column")
            raise ValidationFailed(
                f"synthetic rows break table-level expectation "
                f"{res.expectation_config.type}", column=column)
        for i in index:
            mask[int(i["index"] if isinstance(i, dict) else i)] = False
    return mask


def row_contract(suite: Mapping[str, Any], context: Mapping[str, Any] | None = None
                 ) -> Callable[[pd.DataFrame], np.ndarray]:
    """A ``(rows) -> valid mask`` callable for an augmenter's ``contract`` parameter.

    ``context`` holds constant columns added to the rows before checking (the label
    columns a suite may constrain, e.g. ``{"is_synthetic": True}``).
    """
    def check(rows: pd.DataFrame) -> np.ndarray:
        frame = rows.copy()
        for col, value in (context or {}).items():
            frame[col] = value
        return valid_rows(frame, suite)

    return check
