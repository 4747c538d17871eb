"""profile on Dask: the local draft suite from statistics the partitions reduce to.

:func:`iotforge.curation.contracts.profile.profile_frame` looks at each column's storage kind, its
null
fraction, its minimum and maximum, its distinct values (low-cardinality text) and
whether an id column is unique. Here each partition reports those for its rows, and
they are combined exactly (counts summed, minima of minima, unions of value sets);
id uniqueness is a distributed distinct count (a hash shuffle). The expectations are
then drafted by the same rules, so both engines give the same suite.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..contracts.profile import (
    _MIX_DEPENDENT_NULLS,
    TYPE_LISTS,
    _exp,
    kind_of,
    numeric_bounds,
)
from ..errors import TooLittleDataError, UsageError
from ..schema import IS_ATTACK, IS_SYNTHETIC, LABEL, SOURCE, SOURCE_FILE, SOURCE_ROW
from .dask_tables import Partitioned

_RANGE_ROLES = ("numeric", "categorical", "id", "endpoint", None)


def _stats(df: pd.DataFrame, plan: dict[str, tuple[str, str | None]],
           max_categories: int) -> dict[str, dict[str, Any]]:
    """One partition's statistics per column (what :func:`_column` needs)."""
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


def _merge(parts: list[dict[str, dict[str, Any]]], col: str) -> dict[str, Any]:
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


def profile_dask(table: Partitioned, client: Any, *, margin: float = 0.1, name: str,
                 max_categories: int = 30, extra_labels: Iterable[str] = ()
                 ) -> dict[str, Any]:
    """:func:`~iotforge.curation.contracts.profile.profile_frame` over the partitions on
    ``client``."""
    if not 0 <= margin <= 10:
        raise UsageError(f"expected a margin between 0 and 10, found {margin}")
    n = table.rows
    if n == 0:
        raise TooLittleDataError("expected reference data with at least one row, found none")
    meta = table.meta
    empty = table.empty()
    plan = {str(c): (kind_of(empty[c]), meta.roles.get(str(c))) for c in empty.columns}
    parts = client.gather(table.frames(client, _stats, plan, max_categories))
    merged = {col: _merge(parts, col) for col in plan}
    unique = _unique_ids(table, plan, merged, client)
    exps: list[dict[str, Any]] = [
        _exp("expect_table_columns_to_match_set", "the reference's columns, no more, no fewer",
             column_set=[str(c) for c in empty.columns], exact_match=True),
        _exp("expect_table_row_count_to_be_between",
             f"a capture is not empty (reference had {n} rows); no upper bound",
             min_value=1, max_value=None),
    ]
    for col, (kind, role) in plan.items():
        exps.extend(_column(col, kind, role, merged[col], n, unique.get(col, False), margin,
                            max_categories, extra_labels, empty[col].dtype))
    if {SOURCE_FILE, SOURCE_ROW} <= set(empty.columns):
        exps.append(_exp("expect_compound_columns_to_be_unique",
                         "every row traces back to one record of one file",
                         column_list=[SOURCE_FILE, SOURCE_ROW]))
    sources = sorted(merged[SOURCE].get("distinct") or ()) if SOURCE in merged else []
    return {
        "name": name,
        "meta": {"iotforge": {
            "applies_to": {"source": sources},
            "reference_rows": int(n),
            "margin": margin,
            "drafted_by": "iotforge profile",
            "reviewed": False,
        }},
        "expectations": exps,
    }


def _unique_ids(table: Partitioned, plan: dict[str, tuple[str, str | None]],
                merged: dict[str, dict[str, Any]], client: Any) -> dict[str, bool]:
    """Whether each id column's values are all distinct: a hash-shuffled distinct count."""
    ids = [c for c, (_, role) in plan.items() if role == "id" and merged[c]["present"] > 1]
    if not ids:
        return {}
    import dask

    ddf = table.to_dask()
    workers = max(1, sum(client.nthreads().values()))
    counts = dask.compute(*[ddf[c].dropna().drop_duplicates(split_out=workers).size
                            for c in ids])
    return {c: int(k) == merged[c]["present"] for c, k in zip(ids, counts, strict=True)}


def _column(col: str, kind: str, role: str | None, st: dict[str, Any], n: int,
            unique: bool, margin: float, max_categories: int, extra_labels: Iterable[str],
            dtype: Any) -> list[dict[str, Any]]:
    """:func:`iotforge.curation.contracts.profile._column` from merged statistics (the same
    rules)."""
    out = [
        _exp("expect_column_to_exist", f"role {role or 'unknown'}", column=col),
        _exp("expect_column_values_to_be_in_type_list", f"stored as {kind}",
             column=col, type_list=TYPE_LISTS[kind]),
    ]
    null_frac = float(st["nulls"] / n)
    if col not in _MIX_DEPENDENT_NULLS and null_frac < 1.0:
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
    if role == "id" and unique and st["present"] > 1:
        out.append(_exp("expect_column_values_to_be_unique", "unique in the reference",
                        column=col))
    return out
