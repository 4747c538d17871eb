"""The inputs of a curate run: files from files, folders and glob patterns, and which of
them can be curated at all.

:func:`expand_inputs` turns what the user named into files (skipping hidden files and
documentation, with a reason); :func:`_usable_inputs` opens each once so every
unusable file is found before anything is written; :func:`settle_unusable` fails with
one error naming them all, or skips them, as ``on_bad_file`` says.
"""

from __future__ import annotations

import errno
import glob
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ._typing import OnBadFile
from .errors import InputError, Problem, UnusableInputsError, UsageError
from .sources import SourceOptions, detect, get_adapter

log = logging.getLogger(__name__)


def _usable_inputs(paths: list[Path], format: str | None, options: SourceOptions,
                   unusable: list[InputError]) -> tuple[list[Path], list[Any]]:
    """Detect and open every file once; the ones that fail go to ``unusable``.

    Opening reads only the first chunk, so a directory of bad files is reported in
    one run instead of one file per run.
    """
    fixed = get_adapter(format) if format else None
    usable: list[Path] = []
    adapters = []
    for path in paths:
        try:
            adapter = fixed or detect(path)
            source = adapter.open(path, options)
            close = getattr(source.batches, "close", None)
            if close is not None:
                close()
        except InputError as exc:
            unusable.append(exc)
            continue
        except OSError as exc:
            unusable.append(InputError(
                _reason(exc), path=str(path),
                hint="check the file's permissions" if isinstance(exc, PermissionError)
                else None))
            continue
        usable.append(path)
        adapters.append(adapter)
    return usable, adapters


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _why(exc: InputError) -> str:
    return exc.message + (f"; {exc.hint}" if exc.hint else "")


def _unusable_error(errors: list[InputError], *, others: bool) -> InputError:
    """One error for every unusable input (the file's own error when it is the only input)."""
    if len(errors) == 1 and not others:
        return errors[0]
    problems = [Problem(path=str(e.path), message=e.message, line=e.line, column=e.column)
                for e in errors]
    if not others:
        return UnusableInputsError.of(
            problems, lead=f"none of the {len(errors)} input files can be curated",
            hint="fix or remove them, or give --format / --mapping")
    return UnusableInputsError.of(
        problems, lead=f"{len(errors)} input files cannot be curated",
        hint="fix or remove them, give --format / --mapping, or pass --on-bad-file skip "
             "to curate the others")


def _globbed(inputs: Iterable[str | os.PathLike[str]]) -> list[str | os.PathLike[str]]:
    out: list[str | os.PathLike[str]] = []
    for item in inputs:
        text = os.fspath(item)
        if os.path.lexists(text) or not any(c in text for c in "*?["):
            out.append(item)
            continue
        matches = sorted(glob.glob(text, recursive=True))
        if not matches:
            raise UsageError(f"expected files matching {text!r}, found none",
                             hint="check the pattern (quote it so the shell leaves it alone)")
        out.extend(matches)
    return out


def _hidden(path: Path, top: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(top).parts)


def _link_reason(path: Path) -> str:
    """Why a folder entry that is no regular file is not curated."""
    if not path.is_symlink():
        return "not a regular file (a socket, pipe or device)"
    try:
        target = path.resolve(strict=True)
    except RuntimeError:  # Python < 3.13 says a loop this way
        return "symbolic link loop"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        return "broken symbolic link (its target does not exist)"
    if path.is_dir():
        if path.parent.resolve() == target or target in path.parent.resolve().parents:
            return "symbolic link loop (it points to a folder that holds it)"
        return "symbolic link to a folder, not followed (name its target to curate it)"
    return "not a regular file"


SKIP_NAMES = frozenset({"readme", "readme.md", "readme.txt", "license", "license.txt",
                        "licence", "notice", ".gitignore", ".dvcignore"})


def expand_inputs(
    inputs: Iterable[str | os.PathLike[str]],
    *,
    unreadable: list[InputError] | None = None,
) -> tuple[list[Path], list[dict[str, str]]]:
    """Files from files and directories (recursive, sorted); skipped files with why.

    A file named on the command line is always taken. Inside a directory, hidden
    files and documentation (README, LICENSE) are skipped and listed in the report.
    A directory that cannot be listed (permission denied) is appended to
    ``unreadable`` when given; otherwise one error names every such directory.
    An input that does not exist but holds a glob pattern (``*``, ``?``, ``[``;
    ``**`` crosses folders) stands for the files and folders it matches, sorted; a
    pattern that matches nothing is a usage error, so a pipeline never curates
    less than it names without a word.
    """
    paths: list[Path] = []
    skipped: list[dict[str, str]] = []
    errors: list[InputError] = []
    for item in _globbed(inputs):
        p = Path(item)
        try:
            is_dir = p.is_dir()
        except OSError as exc:  # a parent folder that cannot be searched
            errors.append(InputError(_reason(exc), path=str(p),
                                     hint="check the permissions of its folders"))
            continue
        if not is_dir:
            paths.append(p)
            continue
        found: list[Path] = []

        def cannot_list(exc: OSError, top: Path = p) -> None:
            where = Path(exc.filename or top)
            if any(part.startswith(".") for part in where.relative_to(top).parts):
                skipped.append({"path": str(where), "reason": "hidden directory"})
                return
            errors.append(InputError(f"{_reason(exc)} (cannot list this directory)",
                                     path=str(where), hint="check its permissions"))

        for root, dirs, files in os.walk(p, onerror=cannot_list):
            for name in dirs:  # os.walk does not follow links to folders: say so
                d = Path(root) / name
                if d.is_symlink() and not _hidden(d, p):
                    skipped.append({"path": str(d), "reason": _link_reason(d)})
            for name in files:
                f = Path(root) / name
                if f.is_file():
                    found.append(f)
                elif not _hidden(f, p):  # a loop, a dangling link, a socket or fifo
                    skipped.append({"path": str(f), "reason": _link_reason(f)})
        for f in sorted(found):
            rel = f.relative_to(p).parts
            if any(part.startswith(".") for part in rel):
                skipped.append({"path": str(f), "reason": "hidden file"})
            elif f.name.lower() in SKIP_NAMES or f.suffix.lower() in (".md", ".txt.md"):
                skipped.append({"path": str(f), "reason": "documentation, not a capture"})
            else:
                paths.append(f)
    if unreadable is not None:
        unreadable.extend(errors)
    elif errors:
        raise _unusable_error(errors, others=False)
    return paths, skipped


def settle_unusable(unusable: list[InputError], paths: list[Path],
                    skipped: list[dict[str, Any]], on_bad_file: OnBadFile
                    ) -> list[dict[str, Any]]:
    """Raise one error for the ``unusable`` files, or (``on_bad_file="skip"`` with usable
    ``paths`` left) add them to ``skipped``; the skipped list."""
    if not unusable:
        return skipped
    if on_bad_file == "fail" or not paths:
        raise _unusable_error(unusable, others=bool(paths))
    log.info("skipped %d unusable input files: %s", len(unusable),
             "; ".join(f"{e.path}: {_why(e)}" for e in unusable))
    return [*skipped, *({"path": str(e.path), "reason": _why(e), "unusable": True}
                        for e in unusable)]
