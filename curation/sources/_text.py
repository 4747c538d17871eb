"""Streaming reader for delimited text captures with exact line numbers.

pyarrow parses each chunk (fast path). Its invalid-row handler runs ahead of the
batches it belongs to and does not know line numbers, so the reader checks that the
chunk held one record per line. When it did not, quoted values with line breaks
(valid CSV) are located by :class:`~iotforge.curation.sources._records.QuoteScanner` and the
pyarrow rows keep their start lines; a chunk that holds any irregular line (wrong
field count, comment, bytes that are not UTF-8, an unbalanced quote) is re-read here
record by record (slow path, :func:`~iotforge.curation.sources._records.read_records`) and only
its good records become rows. Clean chunks, the common case, never leave the fast
path. Every record keeps the 1-based physical line it starts on (CR, LF and CRLF each
end a line); every irregular record is returned with the reason.

Compressed files (gzip, bzip2, xz, zstd) are read decompressed
(:mod:`iotforge.curation.sources._stream`); line numbers are those of the decompressed text.
"""

from __future__ import annotations

import codecs
import logging
import os
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ._base import (
    BOMS,
    InvalidRecord,
    TextInfo,
    head_lines,
    looks_binary,
    text_info,
)
from ._records import (
    FALLBACK_ENCODING,
    OPEN_TAIL,
    QuoteScanner,
    read_records,
    strip_terminator,
)
from ._stream import open_capture, read_head

log = logging.getLogger(__name__)

CHUNK_BYTES = 16 << 20
PARSE_BLOCK = 1 << 20
"""Bytes pyarrow parses per task (several tasks run in parallel in one chunk)."""
READ_RANGE: ContextVar[Any] = ContextVar("READ_RANGE", default=None)
"""A byte range of one file to read instead of the whole file: set by the Dask engine
(:class:`iotforge.curation.engines.ranges.ByteRange`), which splits large files into partitions."""

__all__ = ["BOMS", "FALLBACK_ENCODING", "InvalidRecord", "TextChunk", "TextInfo",
           "head_lines", "iter_text_chunks", "looks_binary", "read_head", "sniff_delimiter",
           "text_info"]


@dataclass
class TextChunk:
    """One parsed chunk: string columns, their line numbers, and what failed."""

    table: pa.Table
    lines: np.ndarray
    invalid: list[InvalidRecord] = field(default_factory=list)
    encoding_fixed: int = 0


def _last_line_end(buf: bytes, end: int | None = None) -> int:
    """Offset just after the last CR, LF or CRLF in ``buf[:end]`` (0: none).

    A CR at the very end may be the first half of a CRLF: it is not cut after.
    """
    end = len(buf) if end is None else end
    return max(buf.rfind(b"\n", 0, end), buf.rfind(b"\r", 0, end - 1)) + 1


def _first_line_end(buf: bytes) -> int:
    """Offset just after the first line terminator (``len(buf)``: none)."""
    lf, cr = buf.find(b"\n"), buf.find(b"\r")
    if cr < 0 or 0 <= lf < cr:
        return len(buf) if lf < 0 else lf + 1
    return cr + 2 if buf[cr + 1:cr + 2] == b"\n" else cr + 1


def count_lines(buf: bytes) -> int:
    """Physical lines in ``buf`` (CR, LF and CRLF each end one), as ``splitlines``."""
    n = buf.count(b"\n")
    if b"\r" in buf:
        n += buf.count(b"\r") - buf.count(b"\r\n")
    return n + (0 if not buf or buf.endswith((b"\n", b"\r")) else 1)


def _raw_chunks(path: Path, info: TextInfo) -> Iterator[bytes]:
    """UTF-8 (or undecoded single-byte) chunks that each end on a line boundary.

    A byte-order mark is dropped; UTF-16/32 input is transcoded to UTF-8.
    """
    transcode = info.encoding not in ("utf-8",)
    decoder = codecs.getincrementaldecoder(info.encoding)("replace") if transcode else None
    with open_capture(path) as fh:
        fh.read(len(info.bom))

        def blocks() -> Iterator[bytes]:
            while True:
                block = fh.read(CHUNK_BYTES)
                if decoder is not None:
                    block = decoder.decode(block, final=not block).encode("utf-8")
                yield block
                if not block:
                    return

        yield from line_chunks(blocks())


def line_chunks(blocks: Iterable[bytes], rest: bytes = b"") -> Iterator[bytes]:
    r"""``blocks`` re-cut so that each chunk ends on a line end.

    ``rest`` is carried in front of the first block. An empty block is the end of the
    input: what is left is the last chunk. When ``blocks`` ends without one, what is
    left after the last line end is dropped (it belongs to the next byte range).

    >>> list(line_chunks([b"a,1\nb,", b"2\nc", b""]))
    [b'a,1\n', b'b,2\n', b'c']
    >>> list(line_chunks([b"a,1\nb,"]))
    [b'a,1\n']
    """
    for block in blocks:
        if not block:
            if rest:
                yield rest
            return
        buf = rest + block
        cut = _last_line_end(buf)
        if cut == 0:
            rest = buf
            continue
        yield buf[:cut]
        rest = buf[cut:]


class _ChunkParser:
    """Parses one chunk that starts at a record boundary; says what it left over."""

    def __init__(self, column_names: list[str], delimiter: str, quote_char: str | bool,
                 comment_prefix: str | None) -> None:
        self.column_names = column_names
        self.delimiter = delimiter
        self.quote_char = quote_char
        self.comment_prefix = comment_prefix
        self.scanner = QuoteScanner(delimiter, str(quote_char)) if quote_char is not False \
            else None
        self.convert = pacsv.ConvertOptions(
            column_types={c: pa.string() for c in column_names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )

    def _arrow(self, chunk: bytes) -> tuple[pa.Table | None, list[object]]:
        bad: list[object] = []

        def collect(row: object) -> str:
            bad.append(row)
            return "skip"

        # A chunk without a quote character cannot hold a quoted line break: pyarrow
        # then splits it at any line end, faster.
        quoted = self.quote_char is not False and str(self.quote_char).encode() in chunk
        parse = pacsv.ParseOptions(delimiter=self.delimiter, quote_char=self.quote_char,
                                   newlines_in_values=quoted, invalid_row_handler=collect)
        # blocks of PARSE_BLOCK bytes are parsed in parallel; a record longer than one
        # block needs the chunk as one block
        for block in sorted({min(PARSE_BLOCK, len(chunk) + 1024), len(chunk) + 1024}):
            bad.clear()
            read = pacsv.ReadOptions(column_names=self.column_names, block_size=block,
                                     use_threads=True)
            try:
                return pacsv.read_csv(pa.BufferReader(chunk), read_options=read,
                                      parse_options=parse, convert_options=self.convert), bad
            except pa.ArrowInvalid as exc:
                if "straddl" not in str(exc):
                    break
        return None, bad

    def _has_comment(self, chunk: bytes) -> bool:
        if self.comment_prefix is None:
            return False
        p = self.comment_prefix.encode()
        return chunk.startswith(p) or b"\n" + p in chunk or b"\r" + p in chunk

    def _starts(self, lines: list[bytes], final: bool) -> tuple[list[int], int] | None:
        """Start index of every record and where an open record begins (``len(lines)``:
        none); None when a line needs the slow path (whitespace only, unbalanced quote)."""
        starts: list[int] = []
        i, n = 0, len(lines)
        while i < n:
            raw = strip_terminator(lines[i])
            if not raw:
                i += 1  # pyarrow skips empty lines, as the slow path does
                continue
            if not raw.strip():
                return None
            end = i if self.scanner is None else self.scanner.record_end(lines, i)
            if end == OPEN_TAIL and not final:
                return starts, i
            if end < 0:
                return None
            starts.append(i)
            i = end + 1
        return starts, n

    def parse(self, chunk: bytes, first_line: int, final: bool
              ) -> tuple[TextChunk, int, bytes]:
        """The chunk's rows, the physical lines used, and the bytes left for the next."""
        n_lines = count_lines(chunk)
        comment = self._has_comment(chunk)
        table, bad = (None, []) if comment else self._arrow(chunk)
        quoted = self.scanner is not None and self.scanner.quote in chunk
        if table is not None and not bad and table.num_rows == n_lines:
            last = chunk[_last_line_end(chunk, len(chunk) - 1 if chunk.endswith((b"\n", b"\r"))
                                        else None):]
            if not quoted or self.scanner.record_end([last], 0) == 0:  # type: ignore[union-attr]
                lines = np.arange(first_line, first_line + n_lines, dtype=np.int64)
                return TextChunk(table=table, lines=lines), n_lines, b""
        split = chunk.splitlines(keepends=True)
        if table is not None and not comment:
            found = self._starts(split, final)
            if found is not None:
                starts, tail = found
                if tail < len(split):  # pyarrow read the open record's first part too
                    table, bad = self._arrow(b"".join(split[:tail])) if tail else (
                        self._empty(), [])
                if table is not None and not bad and table.num_rows == len(starts):
                    lines = np.asarray(starts, dtype=np.int64) + first_line
                    return TextChunk(table=table, lines=lines), tail, b"".join(split[tail:])
        rec = read_records(split, first_line, ncols=len(self.column_names),
                           delimiter=self.delimiter, quote_char=self.quote_char,
                           comment_prefix=self.comment_prefix, final=final)
        columns = list(zip(*rec.rows, strict=True)) if rec.rows else \
            [() for _ in self.column_names]
        table = pa.table({name: pa.array(col, pa.string())
                          for name, col in zip(self.column_names, columns, strict=True)})
        return (TextChunk(table=table, lines=np.asarray(rec.numbers, dtype=np.int64),
                          invalid=rec.invalid, encoding_fixed=rec.encoding_fixed),
                rec.consumed, b"".join(split[rec.consumed:]))

    def _empty(self) -> pa.Table:
        return pa.table({c: pa.array([], pa.string()) for c in self.column_names})


def iter_text_chunks(
    path: str | os.PathLike[str],
    *,
    column_names: list[str],
    delimiter: str,
    skip_lines: int,
    quote_char: str | bool = '"',
    comment_prefix: str | None = None,
) -> Iterator[TextChunk]:
    """Parse a delimited file after its first ``skip_lines`` lines (the header).

    Columns are read as strings and the cleaning rules type them, so one bad value
    never fails a chunk, and the text of every value is kept as read: an exact
    duplicate is decided on it (:func:`~iotforge.curation.rules.duplicates.raw_keys`).
    A record whose quoted value continues past the end of a chunk is completed with
    the next one, so a record is never cut in two.
    """
    path = Path(path)
    info = text_info(read_head(path, 4096))
    parser = _ChunkParser(column_names, delimiter, quote_char, comment_prefix)

    def parse(raw: Iterator[bytes], *, line: int, skip: int, at_end: bool = True,
              open_tail: list[bytes] | None = None) -> Iterator[TextChunk]:
        return _parse_chunks(raw, parser, line=line, skip=skip, at_end=at_end,
                             open_tail=open_tail)

    part = READ_RANGE.get()
    if part is not None and part.covers(path):
        return part.chunks(path, info, parse, skip_lines)
    return parse(_raw_chunks(path, info), line=skip_lines + 1, skip=skip_lines)


def _parse_chunks(raw: Iterator[bytes], parser: _ChunkParser, *, line: int, skip: int,
                  at_end: bool, open_tail: list[bytes] | None) -> Iterator[TextChunk]:
    """Parse raw chunks whose first line is number ``line``, after ``skip`` lines.

    ``at_end``: the last chunk ends the file (else a record still open there is left
    over, appended to ``open_tail`` when given).
    """
    to_skip = skip
    carry = b""
    pending = next(raw, None)
    while pending is not None:
        chunk, pending = carry + pending, next(raw, None)
        carry = b""
        while to_skip and chunk:
            chunk = chunk[_first_line_end(chunk):]
            to_skip -= 1
        if not chunk:
            continue
        parsed, used, carry = parser.parse(chunk, line, final=pending is None and at_end)
        line += used
        if parsed.table.num_rows or parsed.invalid or parsed.encoding_fixed:
            yield parsed
    if carry and open_tail is not None:
        open_tail.append(carry)


def sniff_delimiter(line: str, candidates: str = ",\t;|") -> str:
    """The candidate that splits ``line`` into the most fields (comma on a tie)."""
    counts = {c: line.count(c) for c in candidates}
    best = max(counts, key=lambda c: (counts[c], c == ","))
    return best if counts[best] else ","
