"""The engine switch and the Dask client's life cycle."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from ..errors import UsageError

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

EngineName = Literal["local", "dask"]
"""Where a data command runs: this process (streaming), or a Dask cluster."""

EngineOption = Any
"""``"local"``, ``"dask"`` or a ``dask.distributed.Client`` (typed loosely: dask is an
import made only when the Dask engine runs)."""

SCHEDULER_TIMEOUT_S = 10.0
"""Seconds to wait for ``--scheduler ADDRESS`` to answer before exit 2."""

ENGINES: tuple[EngineName, ...] = ("local", "dask")

_TRIM = "MALLOC_TRIM_THRESHOLD_"  # set by Dask's nanny in the workers it starts


def is_client(engine: object) -> bool:
    """Whether ``engine`` is a ``dask.distributed.Client`` (without importing dask)."""
    return type(engine).__name__ == "Client" and type(engine).__module__.startswith(
        "distributed")


def resolve_engine(engine: EngineOption, scheduler: str | None) -> EngineName:
    """``"local"`` or ``"dask"``; one clear error for anything else.

    A ``Client`` is the Dask engine; ``scheduler`` needs the Dask engine.
    """
    if is_client(engine):
        if scheduler is not None:
            raise UsageError("give either a Dask client or a scheduler address, not both")
        return "dask"
    if engine not in ENGINES:
        raise UsageError(f"engine: expected 'local' or 'dask', found {engine!r}")
    if scheduler is not None and engine != "dask":
        raise UsageError(f"a scheduler address ({scheduler}) needs the Dask engine",
                         hint="add --engine dask")
    return engine  # type: ignore[no-any-return]


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def local_cluster(n_workers: int | None = None) -> Iterator[Any]:
    """A ``LocalCluster`` as ``--engine dask`` starts one: a worker process per core (or
    ``n_workers``), one thread each, stopped at the end.

    One thread per process: the cleaning rules hold Python's GIL for part of their
    work, and each task parses ahead on a thread of its own. The workers keep glibc's
    default memory trimming: Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_``, which makes
    every freed array of more than 128 KiB go back to the system and come back as page
    faults (15 % more CPU for curate's partitions), for some 100 MB less peak memory.
    """
    import dask
    from distributed import LocalCluster

    n = n_workers or _cpus()
    log.info("starting a LocalCluster: %d workers, 1 thread each", n)
    key = "distributed.nanny.pre-spawn-environ." + _TRIM
    # A nanny started earlier in this process left its value in os.environ, which the
    # workers would inherit; a value of one's own is kept.
    left = os.environ.get(_TRIM)
    if left is not None and left == str(dask.config.get(key, None)):
        del os.environ[_TRIM]
    try:
        with dask.config.set({key: None}):
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=":0", silence_logs=logging.CRITICAL)
    finally:
        if left is not None:
            os.environ[_TRIM] = left
    with cluster:
        yield cluster


@contextlib.contextmanager
def dask_client(engine: EngineOption = "dask", scheduler: str | None = None, *,
                timeout: float = SCHEDULER_TIMEOUT_S,
                n_workers: int | None = None) -> Iterator[Client]:
    """A Dask client for the length of a command, closed after (unless it was given).

    Parameters
    ----------
    engine : "dask" or Client
        A ``Client`` is used as it is.
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). Without one, the client
        in scope is used, or :func:`local_cluster` is started (and stopped at the end).
    timeout : float
        Seconds to wait for the scheduler before :class:`~iotforge.curation.errors.UsageError`.
    n_workers : int, optional
        Workers of a started ``LocalCluster`` (default: one per core).
    """
    if is_client(engine):
        yield engine
        return
    try:
        from distributed import Client, default_client
    except ModuleNotFoundError:  # pragma: no cover - a dependency of the package
        raise UsageError("the Dask engine needs 'dask[dataframe]' and 'distributed'",
                         hint="pip install 'dask[dataframe]' distributed") from None
    # The client reports every task failure as one line; distributed's own INFO logs
    # (its import sets that level) would otherwise reach the command line's log handler.
    logging.getLogger("distributed").setLevel(logging.ERROR)
    if scheduler is None:
        try:
            yield default_client()
            return
        except ValueError:  # no client in scope
            pass
        with local_cluster(n_workers) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(
            f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s "
            f"({type(exc).__name__})",
            hint="start one with 'dask scheduler' and 'dask worker ADDRESS', check the "
                 "address, or leave out --scheduler for a local cluster") from None
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise UsageError(
                f"the Dask scheduler at {scheduler} has no workers after {timeout:g} s "
                f"({type(exc).__name__})",
                hint="start workers with 'dask worker ADDRESS'") from None
        yield client
    finally:
        client.close()
