"""Data contracts: Great Expectations suites as committed JSON, run in memory.

A suite is a reviewable JSON file under ``expectations/`` (see
``expectations/README.md``). :func:`validate_frame` runs it against a pandas
DataFrame in an *ephemeral* GX context: nothing is written to disk (no
``great_expectations.yml``, no datasource, no ``uncommitted/``) unless Data Docs
are asked for, and then only into the given directory.

Great Expectations takes seconds to import, so it is imported inside the
functions that need it: running a suite, and checking one when it is loaded
(:mod:`curation.contracts.suites`: a suite GX cannot build in full is refused, never run
in part).

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
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from curation.contracts.suites import (
    EXPECTATION_KEYS,
    available_suites,
    check_suite,
    expectation_problems,
    load_suite,
    suite_search_dirs,
)
from curation.errors import InputError, MappingError
from curation.schema import SOURCE

ResultFormat = Literal["BOOLEAN_ONLY", "BASIC", "SUMMARY", "COMPLETE"]
"""How much GX reports per expectation; ``SUMMARY`` keeps up to 20 example values."""

log = logging.getLogger(__name__)

MAX_EXAMPLES = 5

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


def gx_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the dtypes GX's pandas engine handles predictably.

    Time zone aware timestamps become naive UTC nanoseconds (GX cannot name a
    ``DatetimeTZDtype``); the string extension dtype becomes object. Values are
    not changed, so a column of the wrong type still fails its type contract.
    """
    out = df.reset_index(drop=True).copy()
    for col in out.columns:
        dtype = out[col].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_convert("UTC").dt.tz_localize(None).astype(
                "datetime64[ns]")
        elif pd.api.types.is_datetime64_dtype(dtype):
            out[col] = out[col].astype("datetime64[ns]")
        elif isinstance(dtype, pd.StringDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


# --------------------------------------------------------------------------- suites

# Finding, reading and checking suites lives in curation.contracts.suites; these names stay
# importable from here, where callers have always found them.
__all__ = ["FailedExpectation", "ValidationReport", "applies_to", "available_suites",
           "check_suite", "expectation_problems", "gx_frame", "load_suite", "read_canonical",
           "select_rows", "source_patterns", "suite_columns", "suite_search_dirs", "to_frame",
           "validate_frame"]


# --------------------------------------------------------------------------- results


@dataclass
class FailedExpectation:
    """One expectation the batch did not meet."""

    expectation: str
    column: str | None
    message: str
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    examples: list[Any] = field(default_factory=list)
    observed: Any = None
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ValidationReport:
    """The outcome of one suite on one batch; ``to_dict()`` is the ``--json`` output."""

    suite: str
    success: bool
    rows: int
    evaluated: int
    failures: list[FailedExpectation] = field(default_factory=list)
    docs: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        return json.loads(json.dumps(out, default=_jsonable))


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
        A suite dict as :func:`load_suite` returns it.
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
    result = _run_gx(gx_frame(df), suite, result_format, docs_dir)
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


def _run_gx(df: pd.DataFrame, suite: Mapping[str, Any], result_format: ResultFormat,
            docs_dir: str | os.PathLike[str] | None) -> Any:
    # No usage statistics from CI machines; must be set before GX is imported.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    # In-memory stores and no default docs site: nothing touches the disk unless
    # docs_dir asks for it. Progress bars off: CI logs are not terminals.
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    batch_def = (context.data_sources.add_pandas("iotforge")
                 .add_dataframe_asset("batch")
                 .add_batch_definition_whole_dataframe("whole"))
    gx_suite = context.suites.add(_gx_suite(suite))
    if docs_dir is None:
        batch = batch_def.get_batch(batch_parameters={"dataframe": df})
        return batch.validate(gx_suite, result_format=result_format)
    Path(docs_dir).mkdir(parents=True, exist_ok=True)
    context.add_data_docs_site(site_name="iotforge", site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(Path(docs_dir).resolve())},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    vdef = context.validation_definitions.add(
        gx.ValidationDefinition(name="iotforge", data=batch_def, suite=gx_suite))
    checkpoint = context.checkpoints.add(gx.Checkpoint(
        name="iotforge", validation_definitions=[vdef],
        actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
        result_format=result_format))
    run = checkpoint.run(batch_parameters={"dataframe": df})
    return next(iter(run.run_results.values()))


def _gx_suite(suite: Mapping[str, Any]) -> Any:
    """``suite`` as a GX ``ExpectationSuite``, refused unless GX built every expectation.

    GX logs and drops an expectation of an unknown type; a suite that lost one
    would check less than it says. The count of expectations built is compared
    with the count in the suite; on a difference (or an exception) the per-
    expectation check says which ones and why.
    """
    import great_expectations as gx

    body = {k: v for k, v in suite.items() if k in ("name", "expectations", "meta")}
    body["expectations"] = [{k: v for k, v in e.items() if k in EXPECTATION_KEYS}
                            for e in body["expectations"]]
    origin = f"suite {suite.get('name')!r}"
    gx_log = logging.getLogger("great_expectations.core.expectation_suite")
    quiet, gx_log.disabled = gx_log.disabled, True  # its traceback is reported below, once
    try:
        gx_suite = gx.ExpectationSuite(**body)
    except Exception as exc:  # GX raises several unrelated types for a bad suite
        check_suite(dict(suite), origin=origin)
        raise MappingError(f"expected a valid GX suite, found: {exc}", path=origin) from None
    finally:
        gx_log.disabled = quiet
    built, wanted = len(gx_suite.expectations), len(body["expectations"])
    if built != wanted:
        check_suite(dict(suite), origin=origin)
        raise MappingError(f"expected Great Expectations to build all {wanted} expectations, "
                           f"found {built}", path=origin)
    return gx_suite


def _report(result: Any, *, suite_name: str, rows: int, columns: Sequence[str]) -> ValidationReport:
    missing = {str(r.expectation_config.kwargs.get("column"))
               for r in result.results
               if r.expectation_config.type == "expect_column_to_exist" and not r.success}
    failures: list[FailedExpectation] = []
    for r in result.results:
        if r.success:
            continue
        kwargs = {k: v for k, v in r.expectation_config.kwargs.items() if k != "batch_id"}
        etype = r.expectation_config.type
        column = kwargs.get("column")
        if column is None and "column_list" in kwargs:
            column = ",".join(map(str, kwargs["column_list"]))
        if etype != "expect_column_to_exist" and column in missing:
            continue
        res = r.result or {}
        examples = [_jsonable(v) for v in (res.get("partial_unexpected_list") or [])]
        failures.append(FailedExpectation(
            expectation=etype,
            column=column,
            message=_message(etype, column, kwargs, res, r.exception_info, columns),
            unexpected_count=res.get("unexpected_count"),
            unexpected_percent=res.get("unexpected_percent"),
            examples=[v for i, v in enumerate(examples) if v not in examples[:i]][:MAX_EXAMPLES],
            observed=_jsonable(res.get("observed_value")),
            kwargs=json.loads(json.dumps(kwargs, default=_jsonable)),
        ))
    stats = result.statistics or {}
    return ValidationReport(suite=suite_name, success=bool(result.success), rows=rows,
                            evaluated=int(stats.get("evaluated_expectations", len(result.results))),
                            failures=failures)


def _message(etype: str, column: str | None, kwargs: dict[str, Any], res: dict[str, Any],
             exc: Any, columns: Sequence[str]) -> str:
    col = f"column {column!r}"
    count = res.get("unexpected_count")
    observed = res.get("observed_value")
    if etype == "expect_column_to_exist":
        return f"{col} is missing"
    # GX reports a failed metric as one dict, or as a dict of them keyed by metric id.
    infos = [exc, *exc.values()] if isinstance(exc, dict) else []
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            return f"{col}: could not evaluate ({info.get('exception_message')})"
    if etype == "expect_table_columns_to_match_set":
        found, expected = set(observed or columns), set(kwargs.get("column_set") or [])
        parts = [f"{what} columns {cols}" for what, cols in
                 (("missing", sorted(expected - found)), ("unexpected", sorted(found - expected)))
                 if cols]
        return "table columns differ: " + "; ".join(parts or ["order or names differ"])
    if etype == "expect_table_row_count_to_be_between":
        return (f"expected between {kwargs.get('min_value')} and {kwargs.get('max_value')} "
                f"rows, found {observed}")
    if etype == "expect_column_values_to_be_in_type_list":
        return f"{col}: expected type in {kwargs.get('type_list')}, found {observed or 'other'}" + (
            f" ({count} values)" if count else "")
    if etype == "expect_column_values_to_be_between":
        return (f"{col}: {count} values outside [{kwargs.get('min_value')}, "
                f"{kwargs.get('max_value')}]")
    if etype == "expect_column_values_to_be_in_set":
        return f"{col}: {count} values not in the allowed set"
    if etype == "expect_column_values_to_not_be_null":
        mostly = kwargs.get("mostly", 1.0)
        return (f"{col}: {count} nulls ({res.get('unexpected_percent', 0):.2f}%), "
                f"expected at most {100 * (1 - mostly):.2f}%")
    if etype in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
        return f"{col}: {count} duplicated values"
    if count is not None:
        return f"{col}: {count} unexpected values ({etype})"
    return f"{col}: {etype} failed (observed {observed!r})"


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        return None if np.isnan(value) else value
    if isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
