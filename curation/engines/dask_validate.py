"""validate on Dask: a Great Expectations suite over partitions, with the local verdict.

Great Expectations 1.x has no Dask engine. The suite is split by what each expectation
needs to see:

- **row-level** (every column map, column pair and multicolumn map expectation but the
  uniqueness ones): run per partition with GX's pandas engine; element, missing and
  unexpected counts are summed, the example values taken in row order, and success and
  percentages recomputed with GX's own formulas (``mostly`` applies to the totals);
- **uniqueness** (``expect_column_values_to_be_unique``,
  ``expect_compound_columns_to_be_unique``): the key columns are hash-shuffled into
  buckets (equal keys meet in one bucket) and GX runs per bucket; counts are summed;
- **table-level**: row counts from a sum of partition lengths, column sets and types
  from the schema, min/max and distinct-value sets from Dask reductions, each handed to
  GX as a frame that has the same statistic (the column's min and max, its distinct
  values); other column aggregates (mean, quantiles, ...) read that one column.

The result is the local :class:`~iotforge.curation.contracts.ValidationReport`: same
verdict,
same failures with the same counts and examples (listed in suite order).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from ..contracts._gx import gx_frame, run_gx, to_gx_suite
from ..contracts._results import ValidationReport, _report
from ..contracts.suites import check_suite
from ..contracts.validate import applies_to, source_patterns, suite_columns, validate_frame
from ..errors import UsageError
from ..rules._hash import frame_hash
from ..schema import SOURCE
from .dask_tables import Partitioned

__all__ = ["DISTINCT", "MINMAX", "PARTIAL", "ROW_COUNT", "TAG", "UNIQUE", "validate_dask"]

UNIQUE = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")
MINMAX = ("expect_column_min_to_be_between", "expect_column_max_to_be_between")
DISTINCT = ("expect_column_distinct_values_to_be_in_set",
            "expect_column_distinct_values_to_contain_set",
            "expect_column_distinct_values_to_equal_set",
            "expect_column_unique_value_count_to_be_between")
ROW_COUNT = ("expect_table_row_count_to_be_between", "expect_table_row_count_to_equal")
PARTIAL = 20  # GX's SUMMARY keeps this many example values
TAG = "iotforge_position"  # marks each expectation's result with its place in the suite


def validate_dask(table: Partitioned, suite: Mapping[str, Any], client: Any, *,
                  docs_dir: str | os.PathLike[str] | None = None) -> ValidationReport:
    """:func:`~iotforge.curation.contracts.validate.validate_frame` over the partitions on
    ``client``."""
    if docs_dir is not None:
        raise UsageError("Data Docs (--docs) are built by the local engine only",
                         hint="leave out --docs, or use --engine local")
    check_suite(dict(suite), origin=f"suite {suite.get('name')!r}")
    gx_suite = to_gx_suite(suite)  # refuses a suite GX cannot build in full, as locally
    patterns = source_patterns(suite)
    stats = client.gather(table.frames(client, _selection, suite))
    rows = sum(n for n, _, _ in stats)
    selecting = bool(patterns) and SOURCE in table.columns and not all(a for _, _, a in stats)
    drop: list[str] = []
    if selecting:
        present = set().union(*(cols for _, cols, _ in stats))
        known = suite_columns(suite)
        drop = [c for c in table.columns if c not in known and c not in present]
    if rows == 0:  # the local engine's "no rows for this suite" report
        return validate_frame(table.empty(), suite)
    columns = [c for c in table.columns if c not in drop]
    groups: dict[str, list[int]] = {"row": [], "unique": [], "table": []}
    exps = list(suite["expectations"])
    for i, exp in enumerate(gx_suite.expectations):
        groups[_group(exp, exps[i]["type"])].append(i)
    results: dict[int, Any] = {}
    select = (suite, drop) if selecting or drop else None
    if groups["row"]:
        sub = _sub_suite(suite, groups["row"])
        parts = client.gather(table.frames(client, _row_results, sub, select))
        for k, i in enumerate(groups["row"]):
            results[i] = _combine([p[k] for p in parts], exps[i])
    if groups["unique"]:
        results.update(_unique(table, suite, groups["unique"], select, client))
    schema_level = [i for i in groups["table"] if exps[i]["type"] not in ROW_COUNT and (
        exps[i]["kwargs"].get("column") is None or exps[i]["kwargs"]["column"] not in columns)]
    counting = [i for i in groups["table"] if exps[i]["type"] in ROW_COUNT]
    for idx, frame in ((schema_level, _select(table.empty(), select)),
                       (counting, pd.DataFrame(index=pd.RangeIndex(rows)))):
        if idx:  # GX on a frame with the same columns and types, or the same row count
            results.update(zip(idx, _results(frame, _sub_suite(suite, idx), "summary"),
                               strict=True))
    for i in groups["table"]:
        if i not in results:
            results[i] = _table_level(table, suite, exps[i], select, client)
    ordered = [results[i] for i in range(len(exps))]
    fake = SimpleNamespace(results=ordered, success=all(r.success for r in ordered),
                           statistics={"evaluated_expectations": len(ordered)})
    return _report(fake, suite_name=str(suite["name"]), rows=rows, columns=columns)


def _group(exp: Any, etype: str) -> str:
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    if etype in UNIQUE:
        return "unique"
    if isinstance(exp, ColumnMapExpectation | ColumnPairMapExpectation |
                  MulticolumnMapExpectation):
        return "row"
    return "table"


def _sub_suite(suite: Mapping[str, Any], idx: list[int]) -> dict[str, Any]:
    return {"name": suite["name"], "expectations": [suite["expectations"][i] for i in idx]}


def _select(df: pd.DataFrame, select: tuple[Mapping[str, Any], list[str]] | None
            ) -> pd.DataFrame:
    """The rows of ``df`` the suite applies to, without other formats' empty columns."""
    if select is None:
        return df
    suite, drop = select
    if source_patterns(suite) and SOURCE in df.columns:
        source = df[SOURCE].astype(str)
        mask = np.zeros(len(df), dtype=bool)
        for value in source.unique():
            if applies_to(suite, value):
                mask |= (source == value).to_numpy()
        df = df[mask]
    return df.drop(columns=drop)


def _selection(df: pd.DataFrame, suite: Mapping[str, Any]) -> tuple[int, set[str], bool]:
    """Rows of a partition the suite applies to, its columns with a value there, and
    whether every row applies."""
    rows = _select(df, (suite, []))
    return len(rows), {c for c in rows.columns if rows[c].notna().any()}, len(rows) == len(df)


def _results(df: pd.DataFrame, suite: Mapping[str, Any], fmt: str) -> list[Any]:
    tagged = {"name": suite["name"], "expectations": [
        {**e, "meta": {**(e.get("meta") or {}), TAG: k}}
        for k, e in enumerate(suite["expectations"])]}
    result = run_gx(gx_frame(df) if fmt != "index" else _indexed(df), tagged, "SUMMARY",
                     None)
    by_index = {(r.expectation_config.meta or {}).get(TAG): r for r in result.results}
    return [_plain(by_index[k]) for k in range(len(suite["expectations"]))]


def _indexed(df: pd.DataFrame) -> pd.DataFrame:
    """A bucket's rows for GX, indexed by their row number in the whole table."""
    rows = df["__row"].to_numpy()
    out = gx_frame(df.drop(columns="__row"))
    out.index = rows
    return out


def _plain(r: Any) -> SimpleNamespace:
    """A GX result as plain data (picklable back from a worker)."""
    return SimpleNamespace(
        success=bool(r.success), result=dict(r.result or {}),
        exception_info=r.exception_info if isinstance(r.exception_info, dict) else None,
        expectation_config=SimpleNamespace(
            type=r.expectation_config.type,
            kwargs={k: v for k, v in r.expectation_config.kwargs.items() if k != "batch_id"}))


def _row_results(df: pd.DataFrame, suite: Mapping[str, Any],
                 select: tuple[Mapping[str, Any], list[str]] | None) -> list[Any]:
    rows = _select(df, select)
    if rows.empty:
        return [None] * len(suite["expectations"])
    return _results(rows, suite, "summary")


def _combine(parts: list[Any], exp: Mapping[str, Any],
             examples: list[Any] | None = None) -> SimpleNamespace:
    """One result from the partitions' results, by GX's formulas for map expectations."""
    from great_expectations.expectations.expectation import (
        _format_map_output,
        _mostly_success,
        parse_result_format,
    )

    done = [p for p in parts if p is not None]
    first = done[0]
    errors = [p for p in done if p.exception_info and any(
        isinstance(v, dict) and v.get("raised_exception") for v in
        [p.exception_info, *p.exception_info.values()])]
    if errors:
        return errors[0]
    if any("unexpected_count" not in p.result for p in done):  # an aggregate (a dtype)
        failed = [p for p in done if not p.success]
        return failed[0] if failed else first
    element = sum(int(p.result.get("element_count") or 0) for p in done)
    unexpected = sum(int(p.result["unexpected_count"] or 0) for p in done)
    has_missing = all("missing_count" in p.result for p in done)
    nonnull = element - sum(int(p.result["missing_count"] or 0) for p in done) \
        if has_missing else None
    considered = element if nonnull is None else nonnull
    mostly = exp.get("kwargs", {}).get("mostly", 1.0)
    success = True if element == 0 or considered == 0 else _mostly_success(
        considered, unexpected, mostly)
    if examples is None:
        examples = [v for p in done for v in p.result.get("partial_unexpected_list") or []]
    result = _format_map_output(parse_result_format("SUMMARY"), success,
                                element_count=element, nonnull_count=nonnull,
                                unexpected_count=unexpected, unexpected_list=examples[:PARTIAL])
    return SimpleNamespace(success=success, result=result.get("result", {}),
                           exception_info=None, expectation_config=first.expectation_config)


# --------------------------------------------------------------------------- uniqueness


def _keys(exp: Mapping[str, Any]) -> list[str]:
    kw = exp["kwargs"]
    return list(kw["column_list"]) if "column_list" in kw else [kw["column"]]


def _buckets(df: pd.DataFrame, select: Any, keys: list[str], offset: int,
             n: int) -> list[pd.DataFrame]:
    rows = _select(df, select)
    cols = [c for c in keys if c in rows.columns]
    frame = rows[cols].copy()
    frame["__row"] = np.flatnonzero(np.ones(len(df), dtype=bool) if select is None else
                                    df.index.isin(rows.index)) + offset
    if not cols:
        return [frame] + [frame.iloc[:0]] * (n - 1)
    bucket = frame_hash(frame, cols) % np.uint64(n)
    return [frame[bucket == b] for b in range(n)]


def _bucket_results(pieces: list[pd.DataFrame], suite: Mapping[str, Any]) -> list[Any]:
    frame = pd.concat(pieces, ignore_index=True).sort_values("__row")
    if frame.empty:
        return [None] * len(suite["expectations"])
    out = _results(frame, suite, "index")
    for r in out:  # the first examples with their row numbers, to merge in row order
        res = r.result
        index = [i["index"] if isinstance(i, dict) else i
                 for i in res.get("partial_unexpected_index_list") or []]
        r.pairs = list(zip(index, res.get("partial_unexpected_list") or [], strict=False))
    return out


def _unique(table: Partitioned, suite: Mapping[str, Any], idx: list[int], select: Any,
            client: Any) -> dict[int, Any]:
    """One hash shuffle per key (column or column list), GX per bucket."""
    from .dask_tables import read_piece

    n = max(1, min(len(table.pieces), sum(client.nthreads().values())))
    offsets = np.cumsum([0] + [p.rows for p in table.pieces])
    by_key: dict[tuple[str, ...], list[int]] = {}
    for i in idx:
        by_key.setdefault(tuple(_keys(suite["expectations"][i])), []).append(i)
    out = {}
    for keys, same in by_key.items():
        split = [client.submit(read_piece, p, table.schema, _buckets, select, list(keys),
                               int(off), n, pure=False)
                 for p, off in zip(table.pieces, offsets, strict=False)]
        sub = _sub_suite(suite, same)
        per_bucket = client.gather([
            client.submit(_bucket_results, [client.submit(lambda s, b=b: s[b], f, pure=False)
                                            for f in split], sub, pure=False)
            for b in range(n)])
        for k, i in enumerate(same):
            parts = [b[k] for b in per_bucket]
            pairs = sorted((pr for p in parts if p is not None for pr in p.pairs),
                           key=lambda pr: pr[0])
            out[i] = _combine(parts, suite["expectations"][i], [v for _, v in pairs])
    return out


# --------------------------------------------------------------------------- table level


def _one(df: pd.DataFrame, suite: Mapping[str, Any], exp: Mapping[str, Any]) -> Any:
    return _results(df, {"name": suite["name"], "expectations": [exp]}, "summary")[0]


def _table_level(table: Partitioned, suite: Mapping[str, Any], exp: Mapping[str, Any],
                 select: Any, client: Any) -> Any:
    """A column aggregate, by GX on a frame with the statistic it reads."""
    etype, column = exp["type"], exp["kwargs"]["column"]
    empty = _select(table.empty(), select)
    if etype in MINMAX:
        parts = client.gather(table.frames(client, _min_max, select, column))
        values = [v for p in parts for v in p]
        frame = pd.DataFrame({column: pd.Series(values, dtype=empty[column].dtype)})
        frame = frame if len(values) else empty[[column]]
        return _one(frame, suite, exp)
    if etype in DISTINCT:
        parts = client.gather(table.frames(client, _distinct, select, column))
        values = pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)
        return _one(values.to_frame(column), suite, exp)
    parts = client.gather(table.frames(client, _column, select, column))  # one column
    return _one(pd.concat(parts, ignore_index=True).to_frame(column), suite, exp)


def _min_max(df: pd.DataFrame, select: Any, column: str) -> list[Any]:
    s = _select(df, select)[column].dropna()
    return [] if s.empty else [s.min(), s.max()]


def _distinct(df: pd.DataFrame, select: Any, column: str) -> pd.Series:
    return _select(df, select)[column].drop_duplicates()


def _column(df: pd.DataFrame, select: Any, column: str) -> pd.Series:
    return _select(df, select)[column]
