"""What a suite run found: :class:`ValidationReport` and its :class:`FailedExpectation`
entries, read from Great Expectations' result with one plain message per failure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FailedExpectation", "ValidationReport"]

MAX_EXAMPLES = 5


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
