"""Read one batch ahead and write one table behind, on background threads.

The local engine streams a file as parse -> clean -> write. pyarrow parses and
writes Parquet with the GIL released, so running the parse of the next batch and the
write of the last one on threads of their own lets the three overlap on a machine with
more than one core. Memory grows by at most ``depth`` batches each way. Errors raised
on a thread are raised again in the caller, at its next step.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Generator, Iterator
from types import TracebackType
from typing import Any, TypeVar

import pyarrow as pa

T = TypeVar("T")
_DONE = object()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def read_ahead(items: Iterator[T], depth: int = 1) -> Generator[T, None, None]:
    """The items of ``items``, produced on a background thread ``depth`` items ahead.

    The producer runs in a copy of the caller's context (context variables such as a
    reader's byte range stay set). When the consumer stops early, the producer stops
    after its current item.

    >>> list(read_ahead(iter(range(5))))
    [0, 1, 2, 3, 4]
    """
    box: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    break
            else:
                put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=contextvars.copy_context().run, args=(produce,),
                              name="iotforge-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = box.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()
        thread.join()


class WriteBehind:
    """Writes tables to Parquet writers on one background thread, in the order given.

    >>> import tempfile, pyarrow.parquet as pq, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
    >>> t = pa.table({"a": [1, 2]})
    >>> with pq.ParquetWriter(path, t.schema) as w, WriteBehind() as behind:
    ...     behind.write(w, t)
    ...     behind.write(w, t)
    >>> pq.read_table(path).num_rows
    4
    """

    def __init__(self, depth: int = 2) -> None:
        self._box: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="iotforge-write-behind",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._box.get()
            if job is _DONE:
                return
            if self._error is None:
                writer, table = job
                try:
                    writer.write_table(table)
                except BaseException as exc:  # raised in the caller at its next step
                    self._error = exc

    def _check(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def write(self, writer: Any, table: pa.Table) -> None:
        """Queue ``writer.write_table(table)`` (waits while ``depth`` tables wait)."""
        self._check()
        self._box.put((writer, table))

    def close(self) -> None:
        """Wait for every queued table to be written; raise what writing raised."""
        if self._thread.is_alive():
            self._box.put(_DONE)
            self._thread.join()
        self._check()

    def __enter__(self) -> WriteBehind:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:  # already failing: stop the thread, keep the first error
            self._error = None
            if self._thread.is_alive():
                self._box.put(_DONE)
                self._thread.join()


__all__ = ["WriteBehind", "read_ahead"]
