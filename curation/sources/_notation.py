"""How a file writes its numbers: the decimal separator, thousands separators and
hexadecimal integers.

Spreadsheets in much of Europe export CSV with ``;`` between fields and a decimal
comma (``30,57732541``). The reader finds the convention per file from the values
of its first chunk (or takes it from ``--decimal`` / a mapping's ``decimal:``) and
marks each numeric column with it (:attr:`~iotforge.curation.schema.ColumnSpec.decimal`);
the ``decimal_comma`` rule then reads the numbers and counts them. Column kinds are
inferred from the values as they will be read, so a decimal-comma column or one of
hexadecimal checksums among decimal numbers is numeric, not text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .._typing import DecimalMark
from ..vocabulary import DECIMAL_COMMA_PATTERN, HEX_PATTERN, MISSING_MARKERS, THOUSANDS_PATTERN

_DECIMAL_COMMA = re.compile(DECIMAL_COMMA_PATTERN)
_HEX = re.compile(HEX_PATTERN)
_THOUSANDS = re.compile(THOUSANDS_PATTERN)
_PLAIN_INT = re.compile(r"^[+-]?[0-9]+$")


def _present(values: list[str | None]) -> list[str]:
    return [v.strip() for v in values
            if v is not None and v.strip() not in MISSING_MARKERS]


def detect_decimal(samples: Mapping[str, list[str | None]], delimiter: str) -> DecimalMark:
    """``,`` when some column's numbers are written with a decimal comma, else ``.``.

    Only a file whose fields are not separated by commas can hold an unquoted decimal
    comma; a column counts when every value is such a number (or a plain integer) and
    at least one has a comma.

    >>> detect_decimal({"t": ["30,5", "31", None], "x": ["a"]}, ";")
    ','
    >>> detect_decimal({"t": ["30.5", "31"]}, ";"), detect_decimal({"t": ["3,5"]}, ",")
    ('.', '.')
    """
    if delimiter == ",":
        return "."
    for values in samples.values():
        present = _present(values)
        if present and any("," in v for v in present) and all(
                _DECIMAL_COMMA.match(v) for v in present):
            return ","
    return "."


def as_read(values: list[str | None], decimal: str) -> list[str | None]:
    """The sample values as the value rules will read them: decimal commas as points,
    hexadecimal integers in decimal, so the column kind is inferred from numbers.

    >>> as_read(["30,5", "1.234,5", "0x1F", "x", None], ",")
    ['30.5', '1234.5', '31', 'x', None]
    >>> as_read(["1.5", "0x10", "1,234.5"], ".")
    ['1.5', '16', '1234.5']
    """
    out: list[str | None] = []
    for v in values:
        s = v.strip() if v is not None else None
        if s is None:
            out.append(v)
        elif _HEX.match(s):
            out.append(str(int(s, 16)))
        elif decimal == "," and _DECIMAL_COMMA.match(s) and not _PLAIN_INT.match(s):
            out.append(s.replace(".", "").replace(",", "."))
        elif decimal == "." and _THOUSANDS.match(s):
            out.append(s.replace(",", ""))
        else:
            out.append(v)
    return out


__all__ = ["as_read", "detect_decimal"]
