"""Data contracts: Great Expectations suites as committed JSON, run in memory.

A suite is a reviewable JSON file under ``expectations/`` (see
``expectations/README.md``). :func:`validate_frame` runs it against a pandas
DataFrame in an *ephemeral* GX context: nothing is written to disk (no
``great_expectations.yml``, no datasource, no ``uncommitted/``) unless Data Docs
are asked for, and then only into the given directory.

Great Expectations takes seconds to import, so it is imported inside the
functions that need it: running a suite (:mod:`iotforge.curation.contracts._gx`), and checking
one when it is loaded (:mod:`iotforge.curation.contracts.suites`: a suite GX cannot build in full
is refused, never run in part). The report and its messages are built in
:mod:`iotforge.curation.contracts._results`.

>>> import pandas as pd
>>> suite = {"name": "demo", "expectations": [
...     {"type": "expect_column_values_to_be_between",
...      "kwargs": {"column": "bytes", "min_value": 0, "max_value": 100}}]}
>>> report = validate_frame(pd.DataFrame({"bytes": [1.0, 5.0, 250.0]}), suite)
>>> report.success, report.failures[0].column, report.failures[0].unexpected_count
(False, 'bytes', 1)
"""

from __future__ import annotations

import fnmatch
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..schema import SOURCE
from ._gx import ResultFormat, gx_frame, run_gx
from ._results import FailedExpectation, ValidationReport, _report
from .suites import check_suite

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- frames


def to_frame(table: pa.Table) -> pd.DataFrame:
    """A canonical Arrow table as pandas, with nullable int and bool columns.

    Plain ``Table.to_pandas`` turns an int64 column with a null into float64, which
    a type contract would then reject; here ints stay ``Int64`` and bools
    ``boolean``.

    >>> t = pa.table({"n": pa.array([1, None], pa.int64())})
    >>> str(to_frame(t)["n"].dtype)
    'Int64'
    """
    mapping = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int64Dtype(),
               pa.bool_(): pd.BooleanDtype()}
    return table.to_pandas(types_mapper=mapping.get)


def read_canonical(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, pa.Schema]:
    """Read a curated Parquet file: the frame (see :func:`to_frame`) and its schema."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(f"expected a Parquet file, found unreadable data ({exc})",
                         path=str(path)) from None
    return to_frame(table), table.schema


# --------------------------------------------------------------------------- suites

# finding, reading and checking suites: iotforge.curation.contracts.suites; the report's
# classes: iotforge.curation.contracts (from _results)
__all__ = ["applies_to", "read_canonical", "select_rows", "source_patterns", "suite_columns",
           "to_frame", "validate_frame"]


def validate_frame(
    df: pd.DataFrame,
    suite: Mapping[str, Any],
    *,
    result_format: ResultFormat = "SUMMARY",
    docs_dir: str | os.PathLike[str] | None = None,
) -> ValidationReport:
    """Validate ``df`` against ``suite`` in an ephemeral Great Expectations context.

    Parameters
    ----------
    df
        The batch, canonical columns (read Parquet with :func:`read_canonical`).
    suite
        A suite dict as :func:`~iotforge.curation.contracts.suites.load_suite` returns it.
    result_format
        GX result format; ``SUMMARY`` is enough for counts and examples.
    docs_dir
        When given, GX Data Docs (static HTML) for this run are built there.

    Returns
    -------
    ValidationReport
        ``success`` and one :class:`FailedExpectation` per failed expectation.
        An expectation on a missing column is folded into that column's
        ``expect_column_to_exist`` failure.

    Examples
    --------
    >>> suite = {"name": "s", "expectations": [
    ...     {"type": "expect_column_to_exist", "kwargs": {"column": "label"}}]}
    >>> validate_frame(pd.DataFrame({"x": [1]}), suite).failures[0].message
    "column 'label' is missing"
    """
    check_suite(dict(suite), origin=f"suite {suite.get('name')!r}")
    df, patterns = select_rows(df, suite)
    if df.empty:
        return ValidationReport(suite=str(suite["name"]), success=False, rows=0, evaluated=0,
                                failures=[FailedExpectation(
                                    expectation="iotforge_rows_for_suite", column=SOURCE,
                                    message=f"column {SOURCE!r}: no rows from a source matching "
                                            f"{patterns}; is this the right suite?")])
    result = run_gx(gx_frame(df), suite, result_format, docs_dir)
    report = _report(result, suite_name=str(suite["name"]), rows=len(df), columns=list(df.columns))
    if docs_dir is not None:
        report.docs = str(Path(docs_dir) / "index.html")
    return report


def suite_columns(suite: Mapping[str, Any]) -> set[str]:
    """Every column a suite names."""
    cols: set[str] = set()
    for exp in suite.get("expectations", []):
        kw = exp.get("kwargs", {})
        cols.update(str(c) for c in kw.get("column_set") or kw.get("column_list") or [])
        if "column" in kw:
            cols.add(str(kw["column"]))
    return cols


def source_patterns(suite: Mapping[str, Any]) -> list[str]:
    """The ``source`` glob patterns a suite applies to (``meta.iotforge.applies_to``)."""
    meta = (suite.get("meta") or {}).get("iotforge") or {}
    return [str(p) for p in (meta.get("applies_to") or {}).get("source") or []]


def applies_to(suite: Mapping[str, Any], source: str) -> bool:
    """Whether rows of ``source`` fall under ``suite`` (a suite without patterns: all).

    >>> applies_to({"meta": {"iotforge": {"applies_to": {"source": ["zeek:*"]}}}}, "zeek:conn")
    True
    """
    patterns = source_patterns(suite)
    return not patterns or any(fnmatch.fnmatchcase(source, p) for p in patterns)


def select_rows(df: pd.DataFrame, suite: Mapping[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """The rows and columns of ``df`` a suite applies to.

    ``meta.iotforge.applies_to.source`` lists glob patterns of ``source`` values
    (``ton_iot:*fridge*``). A curated table of several formats holds the union of
    their columns; only the matching rows are validated, and columns that are
    entirely null there and unknown to the suite (another format's) are dropped.

    >>> df = pd.DataFrame({"source": ["zeek:conn", "cicflowmeter"], "a": [1.0, None]})
    >>> suite = {"name": "z", "expectations": [],
    ...          "meta": {"iotforge": {"applies_to": {"source": ["zeek:*"]}}}}
    >>> rows, _ = select_rows(df, suite)
    >>> rows["source"].tolist()
    ['zeek:conn']
    """
    patterns = source_patterns(suite)
    if not patterns or SOURCE not in df.columns:
        return df, patterns
    source = df[SOURCE].astype(str)
    mask = np.zeros(len(df), dtype=bool)
    for value in source.unique():
        if applies_to(suite, value):
            mask |= (source == value).to_numpy()
    if mask.all():
        return df, patterns
    rows = df[mask]
    known = suite_columns(suite)
    foreign = [c for c in rows.columns if c not in known and rows[c].isna().all()]
    return rows.drop(columns=foreign), patterns


