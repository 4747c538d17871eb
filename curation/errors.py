"""The project's exception hierarchy.

Every error a user can cause is an :class:`IotforgeError`. The command line turns
one into a single line on standard error and exit code 2 (usage or input error) or
1 (the data failed a check). Exceptions subclass builtins so callers that already
catch ``ValueError`` keep working.
"""

from __future__ import annotations

from dataclasses import dataclass


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

    @classmethod
    def of(cls, problems: list[Problem], *, lead: str, hint: str | None = None,
           ) -> UnusableInputsError:
        """One error whose single line names every file and why it cannot be used."""
        listed = "; ".join(f"{p.path}: {p.message}" for p in problems)
        err = cls(f"{lead}: {listed}", hint=hint)
        err.problems = tuple(problems)
        return err
