"""profile on Dask: the local draft suite from statistics the partitions reduce to.

:func:`iotforge.curation.contracts.profile.profile_frame` looks at each column's storage kind, its
null fraction, its minimum and maximum, its distinct values (low-cardinality text) and
whether an id column is unique. Here each partition reports those for its rows, and
they are combined exactly (counts summed, minima of minima, unions of value sets);
id uniqueness is a distributed distinct count (a hash shuffle). The expectations are
then drafted by the same functions (:func:`~iotforge.curation.contracts.profile.column_stats`,
:func:`~iotforge.curation.contracts.profile.merge_stats`,
:func:`~iotforge.curation.contracts.profile.draft_suite`), so both engines give the same
suite.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..contracts.profile import (
    ColumnPlan,
    check_reference,
    column_plan,
    column_stats,
    draft_suite,
    merge_stats,
)
from .dask_tables import Partitioned

__all__ = ["profile_dask"]


def profile_dask(table: Partitioned, client: Any, *, margin: float = 0.1, name: str,
                 max_categories: int = 30, extra_labels: Iterable[str] = ()
                 ) -> dict[str, Any]:
    """:func:`~iotforge.curation.contracts.profile.profile_frame` over the partitions on
    ``client``."""
    n = table.rows
    check_reference(margin, n)
    empty = table.empty()
    plan = column_plan(empty, table.meta)
    parts = client.gather(table.frames(client, column_stats, plan, max_categories))
    merged = {col: merge_stats(parts, col) for col in plan}
    for col, unique in _unique_ids(table, plan, merged, client).items():
        merged[col]["unique"] = unique
    return draft_suite(empty, merged, n, plan, name=name, margin=margin,
                       max_categories=max_categories, extra_labels=extra_labels)


def _unique_ids(table: Partitioned, plan: ColumnPlan, merged: dict[str, dict[str, Any]],
                client: Any) -> dict[str, bool]:
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
