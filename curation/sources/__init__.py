"""Source adapters: one module per capture format, found here by name.

Each module defines ``ADAPTER``, an :class:`~curation.sources._base.Adapter`.
:func:`detect` asks every adapter how sure it is that a file is its format.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from curation.errors import AmbiguousFormatError, InputError, UnknownFormatError, UsageError
from curation.sources._base import Adapter, Probe, RawBatch, Source, SourceOptions
from curation.sources._stream import describe_binary

MODULES = ("ton_iot", "zeek", "cicflowmeter", "kdd", "unsw_nb15", "pcap", "mapping")

__all__ = ["Adapter", "Probe", "RawBatch", "Source", "SourceOptions", "adapters", "detect",
           "get_adapter"]


def adapters() -> dict[str, Adapter]:
    """Every installed adapter by name."""
    found: dict[str, Adapter] = {}
    for mod in MODULES:
        try:
            module = importlib.import_module(f"curation.sources.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name == f"curation.sources.{mod}":
                continue
            raise
        adapter = module.ADAPTER
        found[adapter.name] = adapter
    return found


def get_adapter(name: str) -> Adapter:
    found = adapters()
    if name not in found:
        raise UsageError(f"expected a format in {sorted(found)}, found {name!r}")
    return found[name]


def detect(path: str | os.PathLike[str]) -> Adapter:
    """The adapter for ``path``; one clear error when none or several claim it."""
    path = Path(path)
    if path.is_dir():
        raise UsageError("expected a file, found a directory", path=str(path),
                         hint="pass the files inside it (a shell glob works)")
    if path.stat().st_size == 0:
        raise InputError("the file is empty", path=str(path))
    probe = Probe.of(path)  # decompressed when compressed; a zip archive is refused
    if not probe.head:
        raise InputError("the file is empty once decompressed", path=str(path))
    scores = {name: a.sniff(probe) for name, a in adapters().items()}
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
    return adapters()[top[0]]
