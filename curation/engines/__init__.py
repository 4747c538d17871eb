"""Engines: where a data command runs. ``local`` streams on this machine; ``dask`` runs
the same rule code as partition tasks on a Dask cluster.

Every data command takes ``--engine local|dask`` and ``--scheduler ADDRESS``; library
functions take ``engine=`` (``"local"``, ``"dask"`` or a ``dask.distributed.Client``)
and ``scheduler=``. ``"dask"`` without an address uses the ``Client`` already in scope
(``distributed.default_client()``) or starts a ``LocalCluster`` sized to the machine;
with an address it connects and gives up after :data:`SCHEDULER_TIMEOUT_S` seconds with
one clear error. docs/scale.md says when to switch and how to start a cluster.

>>> resolve_engine("local", None)
'local'
>>> resolve_engine("spark", None)
Traceback (most recent call last):
...
iotforge.curation.errors.UsageError: engine: expected 'local' or 'dask', found 'spark'
"""

from __future__ import annotations

from ._client import (
    SCHEDULER_TIMEOUT_S,
    EngineName,
    EngineOption,
    dask_client,
    is_client,
    local_cluster,
    resolve_engine,
)

__all__ = ["SCHEDULER_TIMEOUT_S", "EngineName", "EngineOption", "dask_client", "is_client",
           "local_cluster", "resolve_engine"]
