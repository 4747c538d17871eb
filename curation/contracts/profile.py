"""Draft a data contract (a GX suite dict) from reference data.

The draft is a starting point a person reviews: every expectation carries a
``meta.why`` saying what in the reference data produced it, so a reviewer can
see what to widen, tighten or delete. What is drafted, per role:

- every column: it exists, has its canonical storage type, and its null fraction
  stays within the reference's (plus ``margin`` of it and one point; a column
  without nulls must stay without); the table has exactly these
  columns and at least one row;
- ``numeric``: values within [min, max] widened by ``margin`` of the range (not
  below 0 when the reference has no negatives);
- ``categorical`` (and ``label``) with at most ``max_categories`` values: the
  value set; ``label`` gets the observed classes plus ``extra_labels``;
- ``id``: unique, when unique in the reference;
- provenance: ``source`` in the observed set; ``(source_file, source_row)`` unique.

Not drafted on purpose: time ranges (new captures are later), means and
standard deviations (a new capture's class mix shifts them legitimately), and
an upper row-count bound (captures grow); see ``docs/contracts.md``.

>>> import pandas as pd
>>> from iotforge.curation.schema import TableMeta
>>> df = pd.DataFrame({"bytes": [10.0, 20.0], "label": ["normal", "ddos"]})
>>> meta = TableMeta(stage="curate", roles={"bytes": "numeric", "label": "label"})
>>> suite = profile_frame(df, meta, name="demo")
>>> [e["kwargs"] for e in suite["expectations"]
...  if e["type"] == "expect_column_values_to_be_between"]
[{'column': 'bytes', 'min_value': 9.0, 'max_value': 21.0}]
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from ..errors import TooLittleDataError, UsageError
from ..schema import (
    ATTACK_FAMILY,
    AUGMENTER,
    IS_ATTACK,
    IS_SYNTHETIC,
    LABEL,
    SOURCE,
    SOURCE_FILE,
    SOURCE_ROW,
    TableMeta,
)

__all__ = ["TYPE_LISTS", "ColumnPlan", "check_reference", "column_plan", "column_stats",
           "draft_suite", "dump_suite", "kind_of", "merge_stats", "numeric_bounds", "profile_frame"]

# pandas dtype names as GX's ``expect_column_values_to_be_in_type_list`` sees them
# for each canonical storage kind, after
# :func:`iotforge.curation.contracts.validate.read_canonical` and
# :func:`iotforge.curation.contracts.validate.gx_frame`.
TYPE_LISTS: dict[str, list[str]] = {
    "float": ["float64", "Float64Dtype"],
    "int": ["int64", "Int64Dtype"],
    "bool": ["bool", "BooleanDtype"],
    "timestamp": ["datetime64[ns]"],
    "string": ["str"],
}


# Null on synthetic rows (provenance) or on normal rows (attack_family): their null
# fraction follows the mix of rows, not the quality of the capture.
_MIX_DEPENDENT_NULLS = (SOURCE_ROW, AUGMENTER, SOURCE_FILE, ATTACK_FAMILY)


def kind_of(series: pd.Series) -> str:
    """The canonical storage kind of a pandas column (float, int, bool, timestamp, string).

    >>> kind_of(pd.Series([1.5])), kind_of(pd.Series(["a"])), kind_of(pd.Series([True]))
    ('float', 'string', 'bool')
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    return "string"


def _exp(etype: str, why: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": etype, "kwargs": kwargs, "meta": {"why": why}}


def _round_bound(value: float, down: bool) -> float:
    """Round outward to 6 significant digits, so the JSON stays readable."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    rounded = float(f"{value:.6g}")
    if (rounded > value) if down else (rounded < value):
        step = 10.0 ** (math.floor(math.log10(abs(value))) - 5)
        rounded = rounded - step if down else rounded + step
    if not math.isfinite(rounded) or ((rounded > value) if down else (rounded < value)):
        return float(value)
    return rounded


def numeric_bounds(series: pd.Series, margin: float) -> tuple[float, float] | None:
    """[min, max] of ``series`` widened by ``margin`` of its range; None when all null.

    A constant column is widened by ``margin`` of its absolute value (or by
    ``margin`` itself at zero). Columns without negatives keep 0 as floor.

    >>> numeric_bounds(pd.Series([0.0, 10.0]), 0.1)
    (0.0, 11.0)
    >>> numeric_bounds(pd.Series([-5, 5]), 0.5)
    (-10.0, 10.0)
    """
    values = pd.to_numeric(series, errors="coerce").dropna()
    if values.empty:
        return None
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo
    pad = margin * span if span > 0 else margin * max(abs(lo), 1.0)
    low = lo - pad
    if lo >= 0:
        low = max(0.0, low)
    return _round_bound(low, down=True), _round_bound(hi + pad, down=False)


def profile_frame(
    df: pd.DataFrame,
    meta: TableMeta,
    *,
    margin: float = 0.1,
    name: str,
    max_categories: int = 30,
    extra_labels: Iterable[str] = (),
) -> dict[str, Any]:
    """Draft a GX suite (as a JSON-ready dict) from reference data.

    Parameters
    ----------
    df
        Reference data in the canonical table layout.
    meta
        Its :class:`~iotforge.curation.schema.TableMeta`; ``roles`` decide what is drafted.
    margin
        Fraction of each numeric range added on both sides, and of each null
        fraction allowed on top.
    name
        The suite name (the file ``expectations/NAME.json``).
    max_categories
        String columns with at most this many distinct values get a value set.
    extra_labels
        Canonical classes allowed in ``label`` besides those in ``df`` (the
        classes the taxonomy can emit for this schema).

    Returns
    -------
    dict
        ``{"name", "meta", "expectations"}``, ready for :func:`dump_suite`.

    Examples
    --------
    >>> from iotforge.curation.schema import TableMeta
    >>> df = pd.DataFrame({"proto": ["tcp", "udp", None], "label": ["normal"] * 3})
    >>> meta = TableMeta(stage="curate", roles={"proto": "categorical", "label": "label"})
    >>> suite = profile_frame(df, meta, name="x", extra_labels=["ddos"])
    >>> [e["kwargs"]["value_set"] for e in suite["expectations"]
    ...  if e["type"] == "expect_column_values_to_be_in_set"]
    [['tcp', 'udp'], ['ddos', 'normal']]
    """
    check_reference(margin, 0 if df.empty else len(df))
    plan = column_plan(df, meta)
    stats = column_stats(df, plan, max_categories)
    for col in plan:
        values = df[col].dropna()
        stats[col]["unique"] = bool(values.is_unique)
    return draft_suite(df.iloc[:0], stats, len(df), plan, name=name, margin=margin,
                       max_categories=max_categories, extra_labels=extra_labels)


# The drafting rules, once for both engines: the local one above and the Dask one
# (iotforge.curation.engines.dask_profile), which reduces its partitions' column_stats
# with merge_stats and finds id uniqueness by a hash shuffle.

ColumnPlan = dict[str, tuple[str, str | None]]
"""Column -> (storage kind, role) of the columns a suite is drafted for."""

_RANGE_ROLES = ("numeric", "categorical", "id", "endpoint", None)


def check_reference(margin: float, rows: int) -> None:
    """The usage and data checks every engine makes before drafting."""
    if not 0 <= margin <= 10:
        raise UsageError(f"expected a margin between 0 and 10, found {margin}")
    if rows == 0:
        raise TooLittleDataError("expected reference data with at least one row, found none")


def column_plan(empty: pd.DataFrame, meta: TableMeta) -> ColumnPlan:
    """Each column's storage kind (from its dtype) and role (from ``meta``)."""
    return {str(c): (kind_of(empty[c]), meta.roles.get(str(c))) for c in empty.columns}


def column_stats(df: pd.DataFrame, plan: ColumnPlan,
                 max_categories: int) -> dict[str, dict[str, Any]]:
    """What the rules need of each column of ``df`` (the whole reference, or one
    partition): null and present counts, minimum and maximum of a ranged column,
    the distinct values of a low-cardinality text column (None past ``max_categories``).

    >>> plan = {"n": ("int", "numeric"), "p": ("string", "categorical")}
    >>> st = column_stats(pd.DataFrame({"n": [3, 1], "p": ["a", None]}), plan, 30)
    >>> st["n"]["min"], st["n"]["max"], st["p"]["nulls"], st["p"]["distinct"]
    (np.int64(1), np.int64(3), 1, {'a'})
    """
    out: dict[str, dict[str, Any]] = {}
    for col, (kind, role) in plan.items():
        s = df[col]
        values = s.dropna()
        st: dict[str, Any] = {"nulls": int(s.isna().sum()), "present": len(values)}
        if len(values) and kind in ("float", "int") and role in _RANGE_ROLES:
            st["min"], st["max"] = values.min(), values.max()
        if kind == "string" and (role in ("categorical", "label") or col == SOURCE):
            distinct = set(map(str, values.unique()))
            cap = None if col in (LABEL, SOURCE) else max_categories
            st["distinct"] = distinct if cap is None or len(distinct) <= cap else None
        out[col] = st
    return out


def merge_stats(parts: list[dict[str, dict[str, Any]]], col: str) -> dict[str, Any]:
    """Column ``col``'s statistics over several parts, exactly: counts summed, minima of
    minima, unions of value sets (None when any part had too many)."""
    sts = [p[col] for p in parts]
    st: dict[str, Any] = {"nulls": sum(s["nulls"] for s in sts),
                          "present": sum(s["present"] for s in sts)}
    ranged = [s for s in sts if "min" in s]
    if ranged:
        st["min"] = min(s["min"] for s in ranged)
        st["max"] = max(s["max"] for s in ranged)
    if any("distinct" in s for s in sts):
        sets = [s.get("distinct", set()) for s in sts]
        st["distinct"] = None if any(x is None for x in sets) else set().union(*sets)
    return st


def draft_suite(empty: pd.DataFrame, stats: Mapping[str, Mapping[str, Any]], rows: int,
                plan: ColumnPlan, *, name: str, margin: float, max_categories: int,
                extra_labels: Iterable[str]) -> dict[str, Any]:
    """The suite from the columns' statistics (each with ``unique``: whether an id
    column's values are all distinct); ``empty`` holds the columns and dtypes."""
    exps: list[dict[str, Any]] = [
        _exp("expect_table_columns_to_match_set", "the reference's columns, no more, no fewer",
             column_set=[str(c) for c in empty.columns], exact_match=True),
        _exp("expect_table_row_count_to_be_between",
             f"a capture is not empty (reference had {rows} rows); no upper bound",
             min_value=1, max_value=None),
    ]
    for col, (kind, role) in plan.items():
        exps.extend(_column(col, kind, role, stats[col], rows, margin, max_categories,
                            extra_labels, empty[col].dtype))
    if {SOURCE_FILE, SOURCE_ROW} <= set(empty.columns):
        exps.append(_exp("expect_compound_columns_to_be_unique",
                         "every row traces back to one record of one file",
                         column_list=[SOURCE_FILE, SOURCE_ROW]))
    sources = sorted(stats[SOURCE].get("distinct") or ()) if SOURCE in stats else []
    return {
        "name": name,
        "meta": {"iotforge": {
            "applies_to": {"source": sources},
            "reference_rows": int(rows),
            "margin": margin,
            "drafted_by": "iotforge profile",
            "reviewed": False,
        }},
        "expectations": exps,
    }


def _column(col: str, kind: str, role: str | None, st: Mapping[str, Any], rows: int,
            margin: float, max_categories: int, extra_labels: Iterable[str],
            dtype: Any) -> list[dict[str, Any]]:
    out = [
        _exp("expect_column_to_exist", f"role {role or 'unknown'}", column=col),
        _exp("expect_column_values_to_be_in_type_list", f"stored as {kind}",
             column=col, type_list=TYPE_LISTS[kind]),
    ]
    null_frac = float(st["nulls"] / rows)
    if col not in _MIX_DEPENDENT_NULLS and null_frac < 1.0:
        # A column without nulls stays strict; one with some gets the margin plus one
        # point of slack, so a small capture's sampling noise is not a violation.
        mostly = 1.0 if null_frac == 0 else max(0.0, 1.0 - null_frac * (1 + margin) - 0.01)
        out.append(_exp("expect_column_values_to_not_be_null",
                        f"{null_frac:.4%} null in the reference", column=col,
                        mostly=round(mostly, 4)))
    if st["present"] == 0:
        return out
    if kind in ("float", "int") and role in _RANGE_ROLES and "min" in st:
        bounds = numeric_bounds(pd.Series([st["min"], st["max"]], dtype=dtype), margin)
        if bounds is not None and role != "id":
            out.append(_exp("expect_column_values_to_be_between",
                            f"reference range [{st['min']}, {st['max']}] "
                            f"widened by {margin:.0%}",
                            column=col, min_value=bounds[0], max_value=bounds[1]))
    if kind == "bool" and role != "provenance" or col in (IS_SYNTHETIC, IS_ATTACK):
        out.append(_exp("expect_column_values_to_be_in_set", "a flag", column=col,
                        value_set=[False, True]))
    elif kind == "string" and role in ("categorical", "label"):
        distinct = st.get("distinct")
        if col == LABEL:
            allowed = sorted(set(distinct or ()) | set(extra_labels))
            out.append(_exp("expect_column_values_to_be_in_set",
                            "observed classes plus those the taxonomy may emit for this schema",
                            column=col, value_set=allowed))
        elif distinct is not None and len(distinct) <= max_categories and role != "label":
            out.append(_exp("expect_column_values_to_be_in_set",
                            f"{len(distinct)} distinct values in the reference",
                            column=col, value_set=sorted(distinct)))
    if role == "id" and st.get("unique") and st["present"] > 1:
        out.append(_exp("expect_column_values_to_be_unique", "unique in the reference",
                        column=col))
    return out


def dump_suite(suite: Mapping[str, Any]) -> str:
    """A suite as stable, reviewable JSON: one expectation per line, trailing newline.

    >>> print(dump_suite({"name": "s", "expectations": [
    ...     {"type": "expect_column_to_exist", "kwargs": {"column": "a"}}]}), end="")
    {
      "name": "s",
      "expectations": [
        {"type": "expect_column_to_exist", "kwargs": {"column": "a"}}
      ]
    }
    """
    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, default=str)

    lines = ["{"]
    items = list(suite.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if key == "expectations":
            lines.append(f'  "{key}": [')
            lines += [f"    {one(e)}{',' if j < len(value) - 1 else ''}"
                      for j, e in enumerate(value)]
            lines.append(f"  ]{comma}")
        else:
            body = json.dumps(value, indent=2, ensure_ascii=False, default=str)
            lines.append(f'  "{key}": ' + body.replace("\n", "\n  ") + comma)
    lines.append("}")
    return "\n".join(lines) + "\n"
