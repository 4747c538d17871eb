"""The project's exception hierarchy.

Every error a user can cause is an :class:`IotforgeError`. The command line turns
one into a single line on standard error and exit code 2 (usage or input error) or
1 (the data failed a check). Exceptions subclass builtins so callers that already
catch ``ValueError`` keep working.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AmbiguousFormatError", "DataCheckError", "InputError", "IotforgeError", "LeakageError",
           "MappingError", "OutputBusyError", "Problem", "SchemaMismatchError",
           "TooLittleDataError", "UnknownFormatError", "UnusableInputsError", "UsageError",
           "ValidationFailed"]


class IotforgeError(Exception):
    """Base class of every error iotforge raises on purpose.

    ``exit_code`` is what the command line exits with.
    """

    exit_code: int = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """``file:line: column 'c': message; hint`` on one line."""
        where = []
        if self.path is not None:
            where.append(str(self.path))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ", ".join(where)
        text = f"{text}: {self.message}" if text else self.message
        if self.hint:
            text = f"{text}; {self.hint}"
        return " ".join(text.split("\n"))


class UsageError(IotforgeError, ValueError):
    """The command or call was asked for something it cannot do."""


class InputError(IotforgeError, ValueError):
    """An input file cannot be read as a capture at all."""


class UnknownFormatError(InputError):
    """The format of a capture was not given and could not be detected."""


class AmbiguousFormatError(InputError):
    """Several adapters claim a capture with equal confidence."""


class SchemaMismatchError(InputError):
    """A capture's columns do not match what its format or mapping declares."""


class MappingError(IotforgeError, ValueError):
    """A mapping, taxonomy or rule file is itself wrong (not the data)."""


class DataCheckError(IotforgeError):
    """The data was read but failed a check (validation, leakage audit)."""

    exit_code = 1


class ValidationFailed(DataCheckError):
    """A batch failed its data contract."""


class LeakageError(DataCheckError):
    """The leakage audit found an error-severity finding."""


class TooLittleDataError(IotforgeError, ValueError):
    """A class or table has too few rows for the requested operation."""


@dataclass(frozen=True)
class Problem:
    """One data problem, reported together with the others of a run."""

    path: str
    message: str
    line: int | None = None
    column: str | None = None


class OutputBusyError(IotforgeError, RuntimeError):
    """Another process holds the lock of the output directory (exit 2)."""


class UnusableInputsError(InputError):
    """Several input files cannot be curated at all; :attr:`problems` lists each one."""

    problems: tuple[Problem, ...] = ()

    SHOWN = 3
    """Files the one line names; the others are counted (``problems`` has them all)."""

    @classmethod
    def of(cls, problems: list[Problem], *, lead: str, hint: str | None = None,
           ) -> UnusableInputsError:
        """One error whose single line names the first files and why they cannot be
        used, and counts the others (a folder of 651 files is one readable line).

        >>> err = UnusableInputsError.of(
        ...     [Problem(f"f{i}.csv", "no adapter recognises this file") for i in range(9)],
        ...     lead="none of the 9 input files can be curated")
        >>> err.one_line()  # doctest: +NORMALIZE_WHITESPACE
        'none of the 9 input files can be curated: f0.csv: no adapter recognises this file;
        f1.csv: no adapter recognises this file; f2.csv: no adapter recognises this file;
        and 6 more (the same reason for all 6)'
        >>> len(err.problems)
        9
        """
        def short(text: str) -> str:
            return text if len(text) <= 240 else text[:237] + "..."

        shown = problems[:cls.SHOWN]
        listed = "; ".join(f"{p.path}: {short(p.message)}" for p in shown)
        rest = problems[cls.SHOWN:]
        if rest:
            reasons = {p.message.split(" (first line")[0] for p in rest}
            same = {p.message.split(" (first line")[0] for p in shown} >= reasons
            if len(reasons) == 1:
                why = (f"the same reason for all {len(rest)}" if same
                       else f"all: {short(next(iter(reasons)))}")
            else:
                why = f"{len(reasons)} different reasons"
            listed += f"; and {len(rest)} more ({why})"
        err = cls(f"{lead}: {listed}", hint=hint)
        err.problems = tuple(problems)
        return err
