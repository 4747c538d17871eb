"""Data-contract suites: finding, reading and checking ``expectations/*.json``.

A suite is usable only when Great Expectations builds *every* expectation in it.
GX 1.x does not guarantee that: ``ExpectationSuite(**json)`` logs and drops an
expectation of an unknown type, so a misspelled type would validate as "0
expectations" and pass. :func:`expectation_problems` builds each expectation on
its own, so every problem of a suite is found in one pass, and
:func:`check_suite` reports them together: the index, the line in the file and
the type of each broken expectation, and what is wrong with it.

>>> suite = {"name": "s", "expectations": [
...     {"type": "expect_column_values_to_be_betwen", "kwargs": {"column": "x"}}]}
>>> expectation_problems(suite)[0].problem
"unknown expectation type (did you mean 'expect_column_values_to_be_between'?)"
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import MappingError, UsageError

__all__ = ["DOCS_HINT", "EXPECTATION_KEYS", "SUITE_DIR_NAME", "ExpectationProblem",
           "available_suites", "check_suite", "expectation_lines", "expectation_problems",
           "load_suite", "shipped_suite_dir", "suite_locations", "suite_search_dirs"]

SUITE_DIR_NAME = "expectations"
EXPECTATION_KEYS = ("type", "kwargs", "meta")
"""The keys of an expectation that are handed to GX (others are iotforge's)."""

DOCS_HINT = ("fix the suite file: every expectation type and its arguments are listed at "
             "https://greatexpectations.io/expectations")

# Arguments every GX expectation model has; not worth suggesting for a typo.
_COMMON_FIELDS = frozenset({"id", "meta", "notes", "rendered_content", "severity",
                            "description", "result_format", "catch_exceptions",
                            "batch_id", "row_condition", "condition_parser",
                            "windows"})


def shipped_suite_dir() -> Path:
    """The suites shipped inside the package (``iotforge.expectations``), as a folder."""
    return Path(str(resources.files("iotforge.expectations")))


def suite_search_dirs() -> list[Path]:
    """Where a suite NAME is looked up: the user's ``./expectations/``, then the shipped ones."""
    return list(dict.fromkeys([Path.cwd() / SUITE_DIR_NAME, shipped_suite_dir()]))


def suite_locations() -> list[tuple[str, str, Path]]:
    """Every suite NAME found, with its origin (``user`` or ``shipped``) and file.

    A user's suite of the same name comes first and is the one ``--suite NAME`` loads.

    >>> ("cicflowmeter", "shipped") in {(n, o) for n, o, _ in suite_locations()}
    True
    """
    shipped = shipped_suite_dir().resolve()
    found = []
    for d in suite_search_dirs():
        origin = "shipped" if d.resolve() == shipped else "user"
        found += [(p.stem, origin, p) for p in sorted(d.glob("*.json")) if d.is_dir()]
    return found


def available_suites() -> list[str]:
    """Names of the suites found in :func:`suite_search_dirs`."""
    return sorted({name for name, _, _ in suite_locations()})


def load_suite(name_or_path: str | os.PathLike[str]) -> dict[str, Any]:
    """A suite as a dict, from a path to a JSON file or a NAME in ``expectations/``.

    The suite is checked in full (:func:`check_suite`) before it is returned.
    Raises :class:`~iotforge.curation.errors.UsageError` when no such suite exists and
    :class:`~iotforge.curation.errors.MappingError` when the file is not a suite GX can
    load in full.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "mine.json"
    >>> _ = path.write_text('{"name": "mine", "expectations": []}')
    >>> load_suite(path)["name"]
    'mine'
    """
    text = str(name_or_path)
    path = Path(text)
    if not (path.suffix == ".json" or os.sep in text or "/" in text):
        found = [d / f"{text}.json" for d in suite_search_dirs() if (d / f"{text}.json").is_file()]
        found = found or _by_alias(text)
        if not found:
            known = ", ".join(available_suites()) or "none"
            raise UsageError(f"expected a suite name or a JSON file, found no suite {text!r}",
                             hint=f"known suites: {known}")
        path = found[0]
    if not path.is_file():
        raise UsageError(f"expected a suite JSON file, found no file {str(path)!r}")
    try:
        raw = path.read_text(encoding="utf-8")
        suite = json.loads(raw)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MappingError(f"expected a JSON suite, found unreadable JSON ({exc})",
                           path=str(path)) from None
    check_suite(suite, origin=str(path), lines=expectation_lines(raw))
    return suite


def _by_alias(name: str) -> list[Path]:
    """Suites whose ``meta.iotforge.aliases`` lists ``name`` (e.g. ``flows``)."""
    hits = []
    for d in suite_search_dirs():
        for path in sorted(d.glob("*.json")) if d.is_dir() else ():
            try:
                meta = json.loads(path.read_text(encoding="utf-8")).get("meta") or {}
            except (OSError, json.JSONDecodeError, AttributeError):
                continue
            if name in ((meta.get("iotforge") or {}).get("aliases") or []):
                hits.append(path)
    return hits


@dataclass(frozen=True)
class ExpectationProblem:
    """Why one expectation of a suite cannot be built."""

    index: int
    type: str
    problem: str
    line: int | None = None

    def describe(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"expectations[{self.index}] ({where}{self.type}): {self.problem}"


def check_suite(suite: Any, *, origin: str = "<suite>",
                lines: Sequence[int] | None = None) -> None:
    """Raise :class:`~iotforge.curation.errors.MappingError` unless GX can build all of ``suite``.

    Every problem is collected first and reported in one message: the file
    (``origin``), then per broken expectation its index in ``expectations``, the
    line where its object starts (``lines``, from :func:`expectation_lines`) and
    its type.

    >>> try:
    ...     check_suite({"name": "s", "expectations": [
    ...         {"type": "expect_column_to_exist", "kwargs": {"colum": "x"}}]})
    ... except MappingError as exc:
    ...     print(exc.message[exc.message.index("found"):])  # doctest: +ELLIPSIS
    found 1 problem: expectations[0] (expect_column_to_exist): ... 'colum' (did you mean 'column'?)
    """
    if not isinstance(suite, dict) or not isinstance(suite.get("name"), str):
        raise MappingError("expected a JSON object with a string 'name'", path=origin)
    if not isinstance(suite.get("expectations"), list):
        raise MappingError("expected a list 'expectations'", path=origin)
    problems = expectation_problems(suite, lines=lines)
    if problems:
        n = len(problems)
        raise MappingError(
            f"expected a suite whose every expectation Great Expectations can build, found "
            f"{n} problem{'s' if n > 1 else ''}: "
            + "; ".join(p.describe() for p in problems),
            path=origin, hint=DOCS_HINT)


def expectation_problems(suite: Mapping[str, Any], *,
                         lines: Sequence[int] | None = None) -> list[ExpectationProblem]:
    """Every expectation of ``suite`` that GX cannot build, and why.

    Each one is built alone, as ``ExpectationSuite`` would build it: its type is
    looked up in GX's registry (an unknown type gets the closest known names), its
    ``kwargs`` go through the expectation's model (unknown and missing arguments,
    invalid values). Importing GX takes seconds; a suite with no expectations
    does not need it.
    """
    exps = list(suite.get("expectations") or [])
    line_of = list(lines or [])
    problems: list[ExpectationProblem] = []
    for i, exp in enumerate(exps):
        line = line_of[i] if i < len(line_of) else None
        etype = exp.get("type") if isinstance(exp, dict) else None
        if not isinstance(etype, str) or not etype.startswith("expect_"):
            problems.append(ExpectationProblem(i, str(etype), "expected an object with "
                                               "'type': 'expect_...'", line))
            continue
        if not isinstance(exp.get("kwargs", {}), dict) or not isinstance(
                exp.get("meta") or {}, dict):
            problems.append(ExpectationProblem(i, etype, "expected 'kwargs' and 'meta' to be "
                                               "objects", line))
            continue
        problem = _build_problem(etype, exp.get("kwargs") or {}, exp.get("meta"))
        if problem:
            problems.append(ExpectationProblem(i, etype, problem, line))
    return problems


def _build_problem(etype: str, kwargs: dict[str, Any], meta: Any) -> str | None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )
    from great_expectations.expectations.registry import (
        get_expectation_impl,
        list_registered_expectation_implementations,
    )

    try:
        impl = get_expectation_impl(etype)
    except ExpectationNotFoundError:
        close = difflib.get_close_matches(etype, list_registered_expectation_implementations(),
                                          n=1, cutoff=0.8)
        return "unknown expectation type" + (f" (did you mean {close[0]!r}?)" if close else "")
    try:
        ExpectationConfiguration(type=etype, kwargs=kwargs, meta=meta).to_domain_obj()
    except Exception as exc:  # pydantic, TypeError, ValueError, GX's own: all are "bad kwargs"
        errors = getattr(exc, "errors", None)
        if callable(errors):
            fields = [f for f in getattr(impl, "__fields__", {}) if f not in _COMMON_FIELDS]
            return ", ".join(_argument_problems(errors(), kwargs, fields))
        return " ".join(str(exc).split()) or type(exc).__name__
    return None


def _argument_problems(errors: list[dict[str, Any]], kwargs: Mapping[str, Any],
                       fields: list[str]) -> list[str]:
    """One phrase per argument from a pydantic error list (a union type fails once per member)."""
    out: dict[str, str] = {}
    for err in errors:
        loc = ".".join(str(p) for p in err.get("loc") or ()) or "__root__"
        kind = str(err.get("type", ""))
        if loc in out:
            continue
        if kind == "value_error.extra":
            close = difflib.get_close_matches(loc, fields, n=1, cutoff=0.6)
            out[loc] = f"unknown argument {loc!r}" + (
                f" (did you mean {close[0]!r}?)" if close else "")
        elif kind == "value_error.missing":
            out[loc] = f"missing required argument {loc!r}"
        elif loc == "__root__":
            # a model-level check runs on what is left after field errors; alone it is the news
            if all(e.get("loc") in (("__root__",), None) for e in errors):
                out[f"__root__{len(out)}"] = str(err.get("msg"))
        else:
            value = kwargs.get(loc.split(".")[0])
            out[loc] = f"argument {loc!r}: {err.get('msg')} (found {value!r})"
    return list(out.values())


_WS = re.compile(r"\s*")


def expectation_lines(text: str) -> list[int]:
    """The line (1-based) where each object of the top-level ``expectations`` list starts.

    The JSON has already been parsed; this walks it again with the standard
    decoder to recover positions, which ``json.loads`` does not keep. Returns
    ``[]`` for anything unexpected: line numbers are a help, not a requirement.

    >>> expectation_lines('{"name": "s",\\n "expectations": [\\n  {"type": "a"}, {"type": "b"},'
    ...                   '\\n  {"type": "c"}]}')
    [3, 3, 4]
    """
    dec = json.JSONDecoder()

    def skip(i: int) -> int:
        m = _WS.match(text, i)
        return m.end() if m else i

    found: list[int] = []
    try:
        i = skip(0)
        if text[i] != "{":
            return []
        i = skip(i + 1)
        while text[i] != "}":
            key, i = dec.raw_decode(text, i)
            i = skip(i)
            i = skip(i + 1)  # the ':'
            if key == "expectations" and text[i] == "[":
                found = []
                i = skip(i + 1)
                while text[i] != "]":
                    found.append(text.count("\n", 0, i) + 1)
                    _, i = dec.raw_decode(text, i)
                    i = skip(i)
                    if text[i] == ",":
                        i = skip(i + 1)
                i += 1
            else:
                _, i = dec.raw_decode(text, i)
            i = skip(i)
            if text[i] == ",":
                i = skip(i + 1)
    except (ValueError, IndexError):
        return []
    return found
