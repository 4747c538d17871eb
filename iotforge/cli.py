"""The ``iotforge`` command line: one subcommand per pipeline stage.

Each subcommand lives in its own module under :mod:`iotforge.commands` and
exposes ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
This module only builds the parser and maps errors to exit codes: 0 success,
1 the data failed a check, 2 a usage or input error, shown as one line.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from iotforge.curation.errors import IotforgeError

COMMANDS = ("demo", "curate", "profile", "validate", "audit", "labels", "split", "augment",
            "evaluate", "report", "rules")

EPILOG = """\
examples:
  iotforge demo data/demo
  iotforge curate data/demo/* --out data/curated
  iotforge validate new_capture.csv --suite flows
  iotforge split data/curated/curated.parquet --out data/split --mode stratified
  iotforge augment data/split/train.parquet --method smote --strategy power:0.5 --out aug.parquet
"""


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, systemd, CI runners, Kubernetes), raised in the main thread.

    A :class:`KeyboardInterrupt`, so every step that cleans up after Ctrl-C (the output
    set's staging folder and lock, a Dask cluster) does the same for it.
    """


def _terminate(signum: int, frame: object) -> NoReturn:
    raise Terminated


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, like every usage error
        self.exit(2, f"iotforge: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="iotforge",
        description="Curate, validate, split and augment IoT security captures.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"iotforge.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"iotforge.commands.{name}":
                continue
            raise
        p = sub.add_parser(
            name,
            help=module.HELP,
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread (an embedding program's): leave it be
        previous = None
    try:
        return int(args._run(args) or 0)
    except IotforgeError as exc:
        print(f"iotforge {args.command}: error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    except Terminated:
        print(f"iotforge {args.command}: terminated (SIGTERM); the previous output, if "
              "any, is left as it was", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print("iotforge: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # the environment: permissions, a path that is a file, disk full
        print(f"iotforge {args.command}: error: {os_error_line(exc, getattr(args, 'out', None))}",
              file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _disk_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT) or any(
        s in str(exc) for s in ("errno 28", "errno 122", "No space left", "quota exceeded"))


def os_error_line(exc: OSError, out: object = None) -> str:
    """One line for an error of the environment, naming the output folder when the disk
    (or quota) is full.

    >>> os_error_line(OSError("Error writing bytes to file. Detail: [errno 28] No space "
    ...                       "left on device"), "data/curated")  # doctest: +ELLIPSIS
    'no space left on the device that holds data/curated; free space there or choose ...'
    >>> os_error_line(PermissionError(13, "Permission denied", "x.csv"))
    'x.csv: Permission denied'
    """
    if _disk_full(exc):
        where = f"the device that holds {out}" if out else "the output device"
        return (f"no space left on {where}; free space there or choose another --out "
                "(the previous output, if any, is left as it was)")
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


def run() -> NoReturn:
    """The console entry point (``iotforge``, ``python -m iotforge``): :func:`main`, then
    exit without the interpreter's teardown of native thread pools.

    The command is complete when :func:`main` returns (outputs committed, message
    printed). Tearing down pyarrow's thread pools at interpreter exit can abort the
    process now and then with "terminate called without an active exception" (exit
    -6 instead of the command's code; apache/arrow#34314, seen here once under load
    after a correct one-line error). So the streams and logging are flushed and the
    process leaves with :func:`os._exit`: no iotforge code relies on ``atexit``
    (temporary folders and Dask clusters are closed by their ``with`` blocks).
    """
    code = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that closed the pipe early (| head)
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
