"""Where the records of delimited text begin and end, and the line-by-line reader.

A quoted value may hold line breaks (RFC 4180): such a record spans several physical
lines and its ``source_row`` is the line it starts on. CR, LF and CRLF each end a
line, as in Python's universal newlines; a line break inside a quoted value is kept
as written. Quotes follow Python's ``csv`` module and pyarrow: a quote opens a quoted
value only at the start of a field, a doubled quote inside one is a literal quote,
and a quote anywhere else is an ordinary character.

A record of the wrong width is quarantined whole, as one record, with the lines it
spans in the reason. A quote that is not closed by the end of the file, or within
:data:`MAX_QUOTED_LINES` lines, is taken for a stray character: the line it opened
on is quarantined and reading goes on at the next line, so one unbalanced quote
never swallows the rest of the file.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

from ._base import InvalidRecord

MAX_QUOTED_LINES = 10_000
"""The most physical lines one record may span."""

FALLBACK_ENCODING = "cp1252"

OPEN_TAIL = -1
""":meth:`QuoteScanner.record_end`: the quoted value is still open after the last line
given (the rest of the record may be in the next chunk)."""
UNCLOSED = -2
""":meth:`QuoteScanner.record_end`: not closed within :data:`MAX_QUOTED_LINES` lines."""


def strip_terminator(line: bytes) -> bytes:
    """``line`` without its CR, LF or CRLF."""
    if line.endswith(b"\n"):
        return line[:-2] if line.endswith(b"\r\n") else line[:-1]
    return line[:-1] if line.endswith(b"\r") else line


class QuoteScanner:
    """Tells, line by line, whether a record is complete (bytes, no decoding needed).

    >>> s = QuoteScanner(",", '"')
    >>> lines = [b'1,"first\\n', b'second",2\\n', b'3,"a ""b"" c",4\\n']
    >>> s.record_end(lines, 0), s.record_end(lines, 2)
    (1, 2)
    >>> s.record_end([b'1,"never closed\\n'], 0)
    -1
    """

    def __init__(self, delimiter: str, quote: str) -> None:
        d, q = re.escape(delimiter.encode()), re.escape(quote.encode())
        quoted = rb"%s(?:[^%s]|%s%s)*+%s[^%s]*" % (q, q, q, q, q, d)
        field_ = rb"(?:%s|[^%s%s][^%s]*|)" % (quoted, q, d, d)
        fields = rb"(?:%s%s)*+" % (d, field_)
        self.quote = quote.encode()
        # Possessive quantifiers: no backtracking may turn an escaped quote into a closing one.
        self._whole = re.compile(field_ + fields)
        self._rest = re.compile(rb"(?:[^%s]|%s%s)*+%s[^%s]*" % (q, q, q, q, d) + fields)

    def record_end(self, lines: list[bytes], i: int) -> int:
        """Index of the last line of the record that starts at ``lines[i]``.

        :data:`OPEN_TAIL` when a quoted value is still open after ``lines[-1]``,
        :data:`UNCLOSED` when it stays open for :data:`MAX_QUOTED_LINES` lines.
        """
        line = strip_terminator(lines[i])
        if self.quote not in line or self._whole.fullmatch(line):
            return i
        stop = i + MAX_QUOTED_LINES
        for j in range(i + 1, min(len(lines), stop)):
            if self._rest.fullmatch(strip_terminator(lines[j])):
                return j
        return OPEN_TAIL if len(lines) < stop else UNCLOSED


@dataclass
class LineRecords:
    """Rows parsed line by line, their start lines, what failed, and what is left over."""

    rows: list[list[str]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    invalid: list[InvalidRecord] = field(default_factory=list)
    encoding_fixed: int = 0
    consumed: int = 0  # lines used; the rest start a record the next chunk completes


def _decode(raw: bytes) -> tuple[str, bool]:
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode(FALLBACK_ENCODING, "replace"), True


def read_records(
    lines: list[bytes],
    first_line: int,
    *,
    ncols: int,
    delimiter: str,
    quote_char: str | bool,
    comment_prefix: str | None,
    final: bool,
) -> LineRecords:
    """Parse physical ``lines`` (terminators kept) with the ``csv`` module.

    ``first_line`` is the number of ``lines[0]``. Blank and comment lines are no
    record. Unless ``final``, a record still open after the last line is left for the
    next chunk (``consumed`` stops before it).
    """
    out = LineRecords(consumed=len(lines))
    kw: dict[str, object] = {"delimiter": delimiter}
    if quote_char is False:
        kw["quoting"] = csv.QUOTE_NONE
    else:
        kw["quotechar"] = str(quote_char)
    scanner = QuoteScanner(delimiter, str(quote_char)) if quote_char is not False else None
    comment = comment_prefix.encode() if comment_prefix is not None else None
    i, n = 0, len(lines)
    while i < n:
        number = first_line + i
        raw = strip_terminator(lines[i])
        if comment is not None and raw.startswith(comment):
            i += 1
            continue
        end = i if scanner is None else scanner.record_end(lines, i)
        if end == OPEN_TAIL and not final:
            out.consumed = i
            break
        if end < 0:
            text, fixed = _decode(raw)
            out.encoding_fixed += fixed
            where = "before the end of the file" if end == OPEN_TAIL else \
                f"within {MAX_QUOTED_LINES} lines"
            out.invalid.append(InvalidRecord(
                number, text[:500], f"a quoted value opened on this line is not closed "
                f"{where}: the quote is taken for a stray character and the next line is "
                "read on its own"))
            i += 1
            continue
        parts = [_decode(line) for line in lines[i:end + 1]]
        out.encoding_fixed += sum(fixed for _, fixed in parts)
        text = "".join(t for t, _ in parts)
        text = text[: len(text) - (len(lines[end]) - len(strip_terminator(lines[end])))]
        if not text.strip():
            i += 1
            continue  # a blank line is no record
        try:
            fields = next(csv.reader([text], **kw))  # type: ignore[arg-type]
        except csv.Error as exc:
            out.invalid.append(InvalidRecord(number, text[:500], f"unparsable line ({exc})"))
            i += 1
            continue
        if len(fields) != ncols:
            reason = f"expected {ncols} fields, found {len(fields)}"
            if end > i:
                reason += (f" in one record on lines {number}-{first_line + end} (a quoted "
                           "value holds line breaks: check for an unbalanced quote)")
            out.invalid.append(InvalidRecord(number, text[:500], reason))
            i = end + 1
            continue
        out.rows.append(fields)
        out.numbers.append(number)
        i = end + 1
    return out
