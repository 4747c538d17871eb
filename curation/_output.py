"""Output sets: the files a stage writes into one directory, replaced as a unit.

A stage's outputs (curate: curated.parquet, quarantine.parquet, report.json) must
agree with each other, so they are never replaced one by one in place. The last
name of a set is its *manifest* (report.json): it is present in ``OUT`` only while
every other file beside it comes from the same run. Readers and DVC keep plain,
stable paths (``OUT/curated.parquet``); no symlinks, which DVC resolves and replaces.

Under an advisory lock (``fcntl.flock`` on ``OUT/.<stage>.lock``, which records the
writer's pid and host) a write goes:

1. **stage**: every file is written into ``OUT/.<stage>.staging-<pid>@<host>-<token>/``
   and flushed to disk (fsync);
2. **commit point**: that directory is renamed to ``OUT/.<stage>.commit``. A crash
   before this rename leaves the previous set untouched; after it the new set is
   complete on disk and whoever takes the lock next finishes the switch;
3. **switch**: the old manifest is removed, then the old files the new set
   replaces, then the new files are moved in, the manifest last.

So at any moment ``OUT`` holds files of one run only, and a manifest only beside a
complete set. Whoever takes the lock first rolls a committed switch forward
(:func:`recover`) and removes staging directories of runs that died (a live writer
holds the lock, so any staging directory found under it is dead). A second writer
that finds the lock held is refused with :class:`~iotforge.curation.errors.OutputBusyError`.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
>>> with OutputSet(out, ("data.txt", "manifest.json"), stage="demo") as output:
...     _ = (output.staging / "data.txt").write_text("rows")
...     _ = (output.staging / "manifest.json").write_text("{}")
...     output.commit()
>>> sorted(p.name for p in out.iterdir())
['data.txt', 'manifest.json']
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from .errors import OutputBusyError, UsageError

if sys.platform != "win32":
    import fcntl

log = logging.getLogger(__name__)

__all__ = ["OutputSet", "recover"]


class OutputSet:
    """Write the files ``names`` into ``out_dir`` as one unit; the last name is the manifest.

    Use as a context manager: entering creates ``out_dir`` if needed, takes the lock,
    finishes or cleans up what earlier runs left, and makes :attr:`staging`; write
    every file of ``names`` there, then call :meth:`commit`. Leaving without a commit
    (an error) removes the staging directory and keeps the previous outputs.

    Parameters
    ----------
    out_dir : path
        The output directory (created with its parents when missing).
    names : sequence of str
        File names of the set; the last one is written last and marks it complete.
    stage : str
        Stage name, used for the hidden lock, staging and journal names.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> with OutputSet(out, ("a.txt", "report.json"), stage="demo") as output:
    ...     for name in ("a.txt", "report.json"):
    ...         _ = (output.staging / name).write_text(name)
    ...     output.commit()
    >>> (out / "report.json").read_text()
    'report.json'
    """

    def __init__(self, out_dir: str | os.PathLike[str], names: Sequence[str], *,
                 stage: str) -> None:
        if not names:
            raise ValueError("an output set needs at least one file name")
        self.path = Path(out_dir)
        self.names = tuple(names)
        self.stage = stage
        self._staging: Path | None = None
        self._lock: _Lock | None = None
        self._created = False

    @property
    def staging(self) -> Path:
        """The private directory to write the new files into (inside the ``with``)."""
        if self._staging is None:
            raise RuntimeError("the output set is not open for writing")
        return self._staging

    def __enter__(self) -> OutputSet:
        self._created = _make_dir(self.path)
        try:
            self._lock = _Lock.take(self.path, self.stage)
            _recover_locked(self.path, self.names, self.stage)
            token = secrets.token_hex(4)
            staging = self.path / f".{self.stage}.staging-{os.getpid()}@{_host()}-{token}"
            staging.mkdir()
            self._staging = staging
        except BaseException:
            self._close(failed=True)
            raise
        return self

    def commit(self) -> None:
        """Make the staged files the current set (the commit point, then the switch)."""
        staging = self.staging
        missing = [n for n in self.names if not (staging / n).exists()]
        if missing:
            raise RuntimeError(f"expected every file of the set, {missing} not written")
        for name in self.names:
            for part in sorted((staging / name).iterdir()) if (staging / name).is_dir() else ():
                _fsync(part)  # a Parquet dataset directory (the Dask engine's large outputs)
            _fsync(staging / name)
        _fsync(staging)
        journal = _journal(self.path, self.stage)
        os.rename(staging, journal)  # the commit point
        self._staging = None
        _fsync(self.path)
        _switch(self.path, journal, self.names)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._close(failed=exc_type is not None)

    def _close(self, *, failed: bool) -> None:
        try:
            if self._staging is not None:
                shutil.rmtree(self._staging, ignore_errors=True)
                self._staging = None
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None
            if failed and self._created:
                try:  # a directory this run made and left empty goes too
                    self.path.rmdir()
                except OSError:
                    pass


def recover(out_dir: str | os.PathLike[str], names: Sequence[str], *, stage: str) -> None:
    """Finish a switch a dead writer committed, and remove dead writers' staging.

    Takes the lock (so it refuses to run beside a live writer). Every
    :class:`OutputSet` does this on entry; readers may call it to get a complete
    set after a crash without writing a new one.
    """
    out = Path(out_dir)
    if not out.is_dir():
        return
    lock = _Lock.take(out, stage)
    try:
        _recover_locked(out, tuple(names), stage)
    finally:
        lock.release()


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "host"


def _journal(out: Path, stage: str) -> Path:
    return out / f".{stage}.commit"


def _make_dir(out: Path) -> bool:
    """Create ``out`` (True when this call made it); one clear error when it cannot."""
    if out.exists() and not out.is_dir():
        raise UsageError("expected a directory for the outputs, found a file",
                         path=str(out), hint="remove the file or choose another output "
                                             "directory (--out)")
    existed = out.is_dir()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in out.parents if p.exists() and not p.is_dir()), out)
        raise UsageError(f"expected a directory for the outputs ({out}), found a file",
                         path=str(blocker), hint="choose another output directory (--out)"
                         ) from None
    except OSError as exc:
        raise UsageError(f"cannot create the output directory: {_reason(exc)}",
                         path=str(out)) from None
    return not existed


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


class _Lock:
    """An exclusive ``flock`` on ``OUT/.<stage>.lock``, removed again on release."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd

    @classmethod
    def take(cls, out: Path, stage: str) -> _Lock:
        path = out / f".{stage}.lock"
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise UsageError(f"cannot write to the output directory: {_reason(exc)}",
                                 path=str(out)) from None
            try:
                if sys.platform != "win32":  # Windows: no lock, one writer is up to the user
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise OutputBusyError(
                    f"another {stage} is writing {out} ({holder})",
                    hint="wait for it to finish, or choose another output directory"
                ) from None
            # The holder before us removes the file when it is done: a lock on a
            # removed file guards nothing, so take the one now at the path.
            try:
                current = os.stat(path)
            except FileNotFoundError:
                current = None
            mine = os.fstat(fd)
            if current is not None and (current.st_dev, current.st_ino) == (
                    mine.st_dev, mine.st_ino):
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {_host()}\n".encode())
        return cls(path, fd)

    def release(self) -> None:
        try:
            os.unlink(self.path)  # still ours: nobody else can have it locked
        except FileNotFoundError:
            pass
        finally:
            os.close(self.fd)


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode(errors="replace").split()
    except OSError:
        text = []
    if not text:
        return "pid unknown"
    pid, host = text[0], (text[1] if len(text) > 1 else "")
    return f"pid {pid}" if host in ("", _host()) else f"pid {pid} on {host}"


_STAGING = re.compile(r"\.(?P<stage>[^.]+)\.staging-(?P<pid>\d+)@(?P<host>.+)-[0-9a-f]+$")


def _recover_locked(out: Path, names: Sequence[str], stage: str) -> None:
    journal = _journal(out, stage)
    if journal.is_dir():
        log.warning("%s: finishing the output switch of a %s run that stopped midway",
                    out, stage)
        _switch(out, journal, names)
    prefix = f".{stage}."
    for entry in os.scandir(out):
        if not entry.name.startswith(prefix) or not entry.is_dir(follow_symlinks=False):
            continue
        m = _STAGING.match(entry.name)
        who = f"pid {m['pid']} on {m['host']}" if m else "an earlier version"
        log.warning("%s: removing %s, left by a %s run that died (%s)", out, entry.name,
                    stage, who)
        shutil.rmtree(entry.path, ignore_errors=True)


def _switch(out: Path, journal: Path, names: Sequence[str]) -> None:
    """Replace the set in ``out`` by the one in ``journal``; safe to repeat after a crash.

    A name whose new file is no longer in the journal was already moved into place.
    """
    *data, manifest = names
    if (journal / manifest).exists():
        for name in (manifest, *data):  # old manifest first: the old set stops being whole
            if (journal / name).exists():
                _unlink(out / name)
        for name in data:  # only now the new files: never beside old ones
            if (journal / name).exists():
                os.rename(journal / name, out / name)
        os.rename(journal / manifest, out / manifest)
    _fsync(out)
    shutil.rmtree(journal, ignore_errors=True)


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except IsADirectoryError:  # a dataset directory of an earlier run
        shutil.rmtree(path)


def _fsync(path: Path) -> None:
    """Flush a file or a directory entry list to disk (a power cut keeps the order)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot fsync a directory
        pass
    finally:
        os.close(fd)
