"""Source adapters: one module per capture format, found here by name.

Each module defines ``ADAPTER``, an :class:`~iotforge.curation.sources._base.Adapter` whose
``name`` is the module's name. :data:`MODULES` lists the built-in ones; other packages
add formats through the entry-point group ``iotforge.adapters`` (docs/plugins.md): the
entry point's name is the format name, its value an ``Adapter`` instance::

    [project.entry-points."iotforge.adapters"]
    my_sensor = "my_package.my_sensor:ADAPTER"

That one list feeds detection (:func:`detect` asks every adapter how sure it is that a
file is its format), ``--format`` and its help (:func:`format_names`, which imports no
adapter). A plugin cannot replace a built-in format: one with a built-in name is
ignored, with a warning in the log.

>>> format_names()[:3]
['ton_iot', 'zeek', 'cicflowmeter']
>>> get_adapter("zeek").name
'zeek'
"""

from __future__ import annotations

import importlib
import logging
import os
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AmbiguousFormatError, InputError, UnknownFormatError, UsageError

if TYPE_CHECKING:
    from ._base import Adapter, Probe, RawBatch, Source, SourceOptions
    from ._delimited import open_delimited

log = logging.getLogger(__name__)

MODULES = ("ton_iot", "zeek", "cicflowmeter", "kdd", "unsw_nb15", "pcap", "mapping")
"""The built-in formats: each the name of a module here and of its adapter."""

ENTRY_POINT_GROUP = "iotforge.adapters"
"""The entry-point group through which other packages add formats."""

__all__ = ["ENTRY_POINT_GROUP", "MODULES", "Adapter", "Probe", "RawBatch", "Source",
           "SourceOptions", "adapters", "detect", "format_help", "format_names",
           "get_adapter", "open_delimited"]

# the adapter API, imported on first use (pyarrow): building the command line needs
# the format names only
_LAZY = {"Adapter": "_base", "Probe": "_base", "RawBatch": "_base", "Source": "_base",
         "SourceOptions": "_base", "open_delimited": "_delimited"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'iotforge.curation.sources' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"iotforge.curation.sources.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


_WARNED: set[str] = set()


def _plugins() -> dict[str, EntryPoint]:
    """Entry points of the group by name; the first one on ``sys.path`` wins a tie."""
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in MODULES:
            if ep.value not in _WARNED:  # once per process: the parser asks often
                _WARNED.add(ep.value)
                log.warning("adapter plugin %r (%s) ignored: %r is a built-in format",
                            ep.name, ep.value, ep.name)
            continue
        found.setdefault(ep.name, ep)
    return found


def format_names() -> list[str]:
    """Every format name: the built-in ones, then plugins' (sorted). Imports no adapter."""
    return [*MODULES, *sorted(_plugins())]


def format_help() -> str:
    """The help of a ``--format`` option, from :func:`format_names`."""
    names = format_names()
    return f"{', '.join(names[:-1])} or {names[-1]} (default: detected per file)"


def _builtin(name: str) -> Adapter | None:
    try:
        module = importlib.import_module(f"iotforge.curation.sources.{name}")
    except ModuleNotFoundError as exc:  # an optional one whose dependency is missing
        if exc.name == f"iotforge.curation.sources.{name}":
            return None
        raise
    adapter: Adapter = module.ADAPTER
    return adapter


def _plugin(name: str, ep: EntryPoint) -> Adapter:
    """The adapter behind a plugin's entry point; one clear line when it is broken."""
    from ._base import Adapter

    where = f"adapter plugin {name!r} ({ENTRY_POINT_GROUP} = {ep.value!r})"
    try:
        adapter = ep.load()
    except Exception as exc:  # a plugin's import can fail in any way: name it, not us
        raise UsageError(f"{where} cannot be imported: {type(exc).__name__}: {exc}",
                         hint="reinstall or uninstall the package that provides it") from None
    if not isinstance(adapter, Adapter):
        raise UsageError(f"{where}: expected an instance of "
                         f"iotforge.curation.sources.Adapter, found "
                         f"{adapter!r}", hint="point the entry point at the module's ADAPTER")
    if adapter.name != name:
        raise UsageError(f"{where}: expected the adapter's name to be {name!r}, found "
                         f"{adapter.name!r}", hint="name the entry point as the adapter")
    return adapter


def adapters() -> dict[str, Adapter]:
    """Every installed adapter by name, built-in ones first, plugins included."""
    found: dict[str, Adapter] = {}
    for name in MODULES:
        adapter = _builtin(name)
        if adapter is not None:
            found[adapter.name] = adapter
    for name, ep in sorted(_plugins().items()):
        found[name] = _plugin(name, ep)
    return found


def get_adapter(name: str) -> Adapter:
    """The adapter of format ``name``; one clear error for an unknown one."""
    adapter = _builtin(name) if name in MODULES else None
    if adapter is not None:
        return adapter
    plugins = _plugins()
    if name in plugins:
        return _plugin(name, plugins[name])
    raise UsageError(f"expected a format in {sorted(adapters())}, found {name!r}")


def detect(path: str | os.PathLike[str]) -> Adapter:
    """The adapter for ``path``; one clear error when none or several claim it."""
    from ._base import Probe
    from ._stream import describe_binary

    path = Path(path)
    if path.is_dir():
        raise UsageError("expected a file, found a directory", path=str(path),
                         hint="pass the files inside it (a shell glob works)")
    if path.stat().st_size == 0:
        raise InputError("the file is empty", path=str(path))
    probe = Probe.of(path)  # decompressed when compressed; a zip archive is refused
    if not probe.head:
        raise InputError("the file is empty once decompressed", path=str(path))
    found = adapters()
    scores = {name: a.sniff(probe) for name, a in found.items()}
    best = max(scores.values(), default=0.0)
    if best <= 0:
        if probe.binary:
            what = describe_binary(probe.head)
            what = "" if what.startswith("binary") else f": {what}"
            raise UnknownFormatError(
                f"no adapter recognises this file (binary data{what}); supported formats: "
                f"{', '.join(sorted(scores))}",
                path=str(path), hint="a capture is text (CSV, TSV, Zeek log, ARFF) or "
                "pcap/pcapng, possibly compressed (.gz, .bz2, .xz, .zst)")
        raise UnknownFormatError(
            f"no adapter recognises this file (first line {probe.first_data_line[:80]!r}); "
            f"supported formats: {', '.join(sorted(scores))}",
            path=str(path), hint="give --format, or --mapping FILE for any other CSV")
    top = sorted(n for n, s in scores.items() if s == best)
    if len(top) > 1:
        raise AmbiguousFormatError(
            f"several formats match equally well: {', '.join(top)}", path=str(path),
            hint="choose one with --format")
    return found[top[0]]
