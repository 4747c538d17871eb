"""Fan-out of grouped work onto a Dask cluster: the Dask engine of ``iotforge augment``.

``iotforge.augment._table.augment_table`` splits its work into units, one per source or one per
(source, class), each with a seed of its own, and hands them to a *mapper*: a callable
``mapper(func, groups)`` that runs ``func(data, unit)`` for every unit of every
``(data, units)`` group and returns the results group by group, unit by unit, in the
order given. :func:`dask_map` is that mapper on a cluster: each group's ``data`` (a
source's rows) is scattered once, every unit is one task, and the results are gathered
in the original order, so the output equals the local engine's row for row.

This module knows nothing of augmentation (``curation`` does not import ``augment``):
the function and its arguments travel as they are given.

>>> from iotforge.curation.engines.dask_augment import dask_map  # doctest: +SKIP
>>> augment_table(df, meta, method="smote", mapper=dask_map(client))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["GroupMapper", "dask_map"]

GroupMapper = Callable[[Callable[[Any, Any], Any], Sequence[tuple[Any, Sequence[Any]]]],
                       list[list[Any]]]
"""``mapper(func, groups) -> [[func(data, unit) for unit in units] for data, units in groups]``."""


def dask_map(client: Any) -> GroupMapper:
    """A mapper that runs each unit as one task on ``client``'s cluster.

    Parameters
    ----------
    client : distributed.Client
        The cluster to run on.

    Returns
    -------
    callable
        ``mapper(func, groups)``: results per group and unit, in the order given. A
        task's exception is raised here, as it was raised on the worker.
    """
    def mapper(func: Callable[[Any, Any], Any],
               groups: Sequence[tuple[Any, Sequence[Any]]]) -> list[list[Any]]:
        futures: list[list[Any]] = []
        for data, units in groups:
            if not units:
                futures.append([])
                continue
            [shared] = client.scatter([data], hash=False)
            futures.append([client.submit(func, shared, unit, pure=False) for unit in units])
        flat = client.gather([f for group in futures for f in group])
        out, i = [], 0
        for group in futures:
            out.append(flat[i:i + len(group)])
            i += len(group)
        return out

    return mapper
