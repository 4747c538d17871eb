"""Helpers shared by the subcommands: YAML loading, policies, progress bars, engines."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from iotforge.curation.engines import SCHEDULER_TIMEOUT_S, dask_client, resolve_engine
from iotforge.curation.errors import MappingError, UsageError


def load_yaml(path: str) -> Any:
    import yaml

    try:
        text = Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise UsageError("file not found", path=path) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise MappingError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path=path,
                           line=mark.line + 1 if mark else None) from None
    if isinstance(data, dict):  # remembers its file, so a mapping error can name it
        from iotforge.curation.sources.mapping import MappingFile

        return MappingFile(data, origin=path)
    return data


def parse_policies(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        rule, sep, policy = item.partition("=")
        if not sep:
            raise UsageError(f"expected RULE=POLICY, found {item!r}")
        out[rule.strip()] = policy.strip()
    return out


@contextlib.contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[str, int], None]]:
    """A rich progress bar on stderr (silent when stderr is not a terminal)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    if not sys.stderr.isatty():
        yield lambda _path, _n: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.fields[rows]} rows"), TimeElapsedColumn(),
                  transient=True) as bar:
        task = bar.add_task(label, total=None, rows=0)
        rows = 0

        def advance(path: str, n: int) -> None:
            nonlocal rows
            rows += n
            bar.update(task, description=f"{label} {Path(path).name}", rows=rows)

        yield advance


def add_engine_arguments(p: argparse.ArgumentParser, *, partitions: bool = False) -> None:
    """``--engine``, ``--scheduler`` and ``--scheduler-timeout`` (docs/scale.md)."""
    g = p.add_argument_group("engine (where it runs; see docs/scale.md)")
    g.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: stream in this process (default); dask: partition tasks on a "
                        "Dask cluster, same results")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --engine "
                        "dask; default: a local cluster with one worker per core)")
    g.add_argument("--scheduler-timeout", type=float, default=SCHEDULER_TIMEOUT_S,
                   metavar="SECONDS", help="give up on an unreachable --scheduler after this "
                                           f"long, exit 2 (default {SCHEDULER_TIMEOUT_S:g})")
    if partitions:
        g.add_argument("--partition-size", type=int, default=256, metavar="MIB",
                       help="with --engine dask: MiB of a large text capture per partition "
                            "(default 256)")


def engine_kind(args: argparse.Namespace) -> str:
    """``"local"`` or ``"dask"`` from ``--engine``/``--scheduler`` (one clear error else)."""
    return resolve_engine(getattr(args, "engine", "local"),
                          getattr(args, "scheduler", None) or None)


@contextlib.contextmanager
def engine_from(args: argparse.Namespace) -> Iterator[Any]:
    """``"local"``, or a Dask client for the length of the command (closed after)."""
    scheduler = getattr(args, "scheduler", None) or None  # params.yaml passes "" for none
    kind = resolve_engine(getattr(args, "engine", "local"), scheduler)
    if kind == "local":
        yield "local"
        return
    with dask_client("dask", scheduler, timeout=args.scheduler_timeout) as client:
        yield client
