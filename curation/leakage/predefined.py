"""The test side of a predefined split: a dataset's own test files, or a column value.

Published datasets come with their own train/test protocol: NSL-KDD's
``KDDTest+.txt``, UNSW-NB15's ``UNSW_NB15_testing-set.csv``. After curation the
provenance column ``source_file`` says which file each row came from, so the test
side is chosen by glob patterns over it; or, where a column marks the side
(``split = test``), by that column's value.

A pattern matches a file when it matches the path as stored in ``source_file``
or the path's base name, with :func:`fnmatch.fnmatchcase` (case-sensitive; ``*``
also crosses ``/``): ``KDDTest*`` matches ``data/nsl/KDDTest+.txt`` through its
base name, ``*/nsl/KDDTest*`` through the full path.

>>> import pandas as pd
>>> df = pd.DataFrame({"source_file": ["raw/KDDTrain+.txt", "raw/KDDTest+.txt"] * 2})
>>> rows, chosen = select_test_rows(df, test_files="KDDTest*")
>>> rows.tolist(), chosen["test_files"]
([False, True, False, True], ['KDDTest*'])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..schema import SOURCE_FILE

__all__ = ["select_test_rows"]

_SEP = re.compile(r"[\\/]")
_SHOWN = 30


def select_test_rows(
    df: pd.DataFrame,
    *,
    test_files: str | Sequence[str] | None = None,
    test_column: str | None = None,
    test_value: str | Sequence[str] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Which rows of ``df`` are the predefined test side.

    Parameters
    ----------
    df
        Canonical table; ``test_files`` needs its ``source_file`` column.
    test_files
        Glob pattern(s) over ``source_file`` (see the module docstring). Each
        pattern must match at least one file, and together they may not match
        every file.
    test_column, test_value
        Instead of ``test_files``: rows whose ``test_column``, as text, equals
        ``test_value`` or one of several values (case-insensitive for a boolean
        column). Some rows, not all, must match.

    Returns
    -------
    tuple of numpy.ndarray and dict
        A boolean mask of the test rows, and ``{"test_files": [...] | None,
        "test_where": {"column", "values"} | None}`` for the split report.

    Raises
    ------
    UsageError
        Neither or both ways given; a pattern matching no source file, patterns
        matching all of them (the message lists the source files); a missing
        column; a value matching no row or every row (it lists the values).

    Examples
    --------
    >>> df = pd.DataFrame({"split": ["train", "test", "test"]})
    >>> select_test_rows(df, test_column="split", test_value="test")[0].tolist()
    [False, True, True]
    """
    if test_files is not None and test_column is not None:
        raise UsageError("expected test_files or test_column, not both",
                         hint="give --test-files or --test-where, not both")
    if test_files is not None:
        patterns = [test_files] if isinstance(test_files, str) else list(test_files)
        return _by_files(df, patterns), {"test_files": patterns, "test_where": None}
    if test_column is None:
        raise UsageError("expected test_files or test_column for mode 'predefined', found "
                         "neither", hint="e.g. --test-files 'KDDTest*' or --test-where "
                                         "split=test")
    if test_value is None:
        raise UsageError(f"expected a value of test column {test_column!r}, found none",
                         column=test_column, hint="e.g. --test-where split=test")
    values = [test_value] if isinstance(test_value, str) else [str(v) for v in test_value]
    return (_by_column(df, test_column, values),
            {"test_files": None, "test_where": {"column": test_column, "values": values}})


def _by_files(df: pd.DataFrame, patterns: list[str]) -> np.ndarray:
    if not patterns or not all(isinstance(p, str) and p for p in patterns):
        raise UsageError(f"expected one or more test file patterns, found {patterns!r}")
    if SOURCE_FILE not in df.columns:
        raise UsageError(f"expected a {SOURCE_FILE!r} column to match test files against, "
                         "found none", hint="use --test-where COLUMN=VALUE")
    files = sorted(map(str, df[SOURCE_FILE].dropna().unique()))
    matched: set[str] = set()
    for pattern in patterns:
        hits = {f for f in files
                if fnmatchcase(f, pattern) or fnmatchcase(_SEP.split(f)[-1], pattern)}
        if not hits:
            raise UsageError(f"test file pattern {pattern!r} matches none of the "
                             f"{len(files)} source files: {_listing(files)}",
                             column=SOURCE_FILE, hint="a pattern matches the path as stored "
                             "or its base name, case-sensitive")
        matched |= hits
    if len(matched) == len(files):
        raise UsageError(f"test file patterns {patterns} match all {len(files)} source "
                         f"files, leaving none to train on: {_listing(files)}",
                         column=SOURCE_FILE, hint="match only the test files")
    return df[SOURCE_FILE].isin(matched).to_numpy(dtype=bool)


def _by_column(df: pd.DataFrame, column: str, values: list[str]) -> np.ndarray:
    if column not in df.columns:
        raise UsageError(f"expected a test column, found no column {column!r}",
                         hint=f"columns: {_listing(list(map(str, df.columns)))}")
    col = df[column]
    text = col.astype("string")
    wanted = values
    if pd.api.types.is_bool_dtype(col.dtype):
        text, wanted = text.str.lower(), [v.lower() for v in values]
    mask = text.isin(wanted).fillna(False).to_numpy(dtype=bool)
    shown = " or ".join(repr(v) for v in values)
    if not mask.any() or mask.all():
        found = sorted(map(str, text.dropna().unique()))
        which = "no row" if not mask.any() else "every row"
        raise UsageError(f"{which} has {column!r} = {shown}, leaving "
                         f"{'no test' if not mask.any() else 'no training'} rows; "
                         f"values found: {_listing(found)}", column=column)
    return mask


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" (and {len(items) - _SHOWN} more)" if len(items) > _SHOWN else "")
