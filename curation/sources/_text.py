"""Streaming reader for delimited text captures with exact line numbers.

pyarrow parses each chunk (fast path). Its invalid-row handler runs ahead of the
batches it belongs to and does not know line numbers, so a chunk that holds any
irregular line (wrong field count, comment, blank line, bytes that are not UTF-8)
is re-split here line by line (slow path) and only its good lines go to pyarrow.
Clean chunks, the common case, never leave the fast path. Every record keeps its
1-based physical line number; every irregular record is returned with the reason.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

log = logging.getLogger(__name__)

CHUNK_BYTES = 16 << 20
BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
FALLBACK_ENCODING = "cp1252"


@dataclass
class InvalidRecord:
    """A line that could not become a row, kept for the quarantine."""

    line: int
    text: str
    reason: str
    rule: str = "row_shape"


@dataclass
class TextChunk:
    """One parsed chunk: string columns, their line numbers, and what failed."""

    table: pa.Table
    lines: np.ndarray
    invalid: list[InvalidRecord] = field(default_factory=list)
    encoding_fixed: int = 0


@dataclass
class TextInfo:
    """What the first bytes of a text file say about its encoding and layout."""

    encoding: str
    bom: bytes
    line_endings: str  # "lf", "crlf", "cr"


def looks_binary(head: bytes) -> bool:
    """True when ``head`` is not text in any encoding a capture uses."""
    if not head:
        return False
    for bom, _ in BOMS:
        if head.startswith(bom) and bom not in (codecs.BOM_UTF8,):
            return False
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control > len(head) * 0.05


def text_info(head: bytes) -> TextInfo:
    encoding, bom = "utf-8", b""
    for mark, name in BOMS:
        if head.startswith(mark):
            encoding, bom = name, mark
            break
    crlf = head.count(b"\r\n")
    cr = head.count(b"\r") - crlf
    endings = "crlf" if crlf and crlf >= cr else ("cr" if cr else "lf")
    return TextInfo(encoding=encoding, bom=bom, line_endings=endings)


def read_head(path: str | os.PathLike[str], size: int = 65536) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(size)


def head_lines(path: str | os.PathLike[str], n: int = 50, size: int = 1 << 20) -> list[str]:
    """The first ``n`` lines of a text file, decoded, BOM removed."""
    head = read_head(path, size)
    info = text_info(head)
    text = head[len(info.bom):].decode(info.encoding if info.bom else "utf-8", "replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")[:n]


def _raw_chunks(path: Path, info: TextInfo) -> Iterator[bytes]:
    """UTF-8 (or undecoded single-byte) chunks that each end on a line boundary.

    A byte-order mark is dropped; UTF-16/32 input is transcoded to UTF-8.
    """
    transcode = info.encoding not in ("utf-8",)
    decoder = codecs.getincrementaldecoder(info.encoding)("replace") if transcode else None
    with open(path, "rb") as fh:
        fh.seek(len(info.bom))
        rest = b""
        while True:
            block = fh.read(CHUNK_BYTES)
            if decoder is not None:
                block = decoder.decode(block, final=not block).encode("utf-8")
            if not block:
                if rest:
                    yield rest
                return
            buf = rest + block
            cut = buf.rfind(b"\n")
            if cut < 0:
                cut = buf.rfind(b"\r")
            if cut < 0:
                rest = buf
                continue
            yield buf[: cut + 1]
            rest = buf[cut + 1:]


def iter_text_chunks(
    path: str | os.PathLike[str],
    *,
    column_names: list[str],
    delimiter: str,
    skip_lines: int,
    quote_char: str | bool = '"',
    comment_prefix: str | None = None,
    numeric_columns: set[str] | None = None,
) -> Iterator[TextChunk]:
    """Parse a delimited file after its first ``skip_lines`` lines (the header).

    Columns are read as strings and the cleaning rules type them, so one bad value
    never fails a chunk. ``numeric_columns`` (which the caller may fill after the
    first chunk, once it knows the column kinds) are first tried as float64, with
    the missing-value markers as nulls: a clean chunk then skips the text-to-number
    work; any value that does not parse sends the chunk back to the string path.
    """
    path = Path(path)
    info = text_info(read_head(path, 4096))
    ncols = len(column_names)
    line = skip_lines + 1
    to_skip = skip_lines
    read_opts = pacsv.ReadOptions(column_names=column_names, block_size=CHUNK_BYTES + 1024,
                                  use_threads=True)
    convert = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in column_names},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    typed_convert = None
    for chunk in _raw_chunks(path, info):
        if numeric_columns and typed_convert is None:
            from curation.clean import MISSING_MARKERS

            typed_convert = pacsv.ConvertOptions(
                column_types={c: pa.float64() if c in numeric_columns else pa.string()
                              for c in column_names},
                null_values=sorted(MISSING_MARKERS),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            )
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        while to_skip and chunk:
            cut = chunk.find(b"\n")
            chunk = b"" if cut < 0 else chunk[cut + 1:]
            to_skip -= 1
        if not chunk:
            continue
        n_lines = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
        bad: list[object] = []

        def _collect(row: object, bad: list[object] = bad) -> str:
            bad.append(row)
            return "skip"

        table = None
        has_comment = comment_prefix is not None and (
            chunk.startswith(comment_prefix.encode()) or f"\n{comment_prefix}".encode() in chunk
        )
        if not has_comment and b"\n\n" not in chunk and not chunk.startswith(b"\n"):
            parse = pacsv.ParseOptions(delimiter=delimiter, quote_char=quote_char,
                                       invalid_row_handler=_collect)
            for options in ([typed_convert] if typed_convert is not None else []) + [convert]:
                bad.clear()
                try:
                    table = pacsv.read_csv(io.BytesIO(chunk), read_options=read_opts,
                                           parse_options=parse, convert_options=options)
                    break
                except pa.ArrowInvalid:
                    table = None
        if table is not None and not bad and table.num_rows == n_lines:
            yield TextChunk(table=table, lines=np.arange(line, line + n_lines, dtype=np.int64))
        else:
            yield _slow_chunk(chunk, line, column_names, ncols, delimiter, quote_char,
                              comment_prefix)
        line += n_lines


def _slow_chunk(
    chunk: bytes,
    first_line: int,
    column_names: list[str],
    ncols: int,
    delimiter: str,
    quote_char: str | bool,
    comment_prefix: str | None,
) -> TextChunk:
    raw_lines = chunk.split(b"\n")
    if chunk.endswith(b"\n"):
        raw_lines.pop()
    rows: list[list[str]] = []
    numbers: list[int] = []
    invalid: list[InvalidRecord] = []
    fixed = 0
    reader_kw = {"delimiter": delimiter}
    if quote_char is False:
        reader_kw["quoting"] = csv.QUOTE_NONE
    else:
        reader_kw["quotechar"] = str(quote_char)
    for offset, raw in enumerate(raw_lines):
        number = first_line + offset
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode(FALLBACK_ENCODING, "replace")
            fixed += 1
        if not text.strip():
            continue  # a blank line is no record
        if comment_prefix is not None and text.startswith(comment_prefix):
            continue
        try:
            fields = next(csv.reader([text], **reader_kw))  # type: ignore[arg-type]
        except csv.Error as exc:
            invalid.append(InvalidRecord(number, text[:500], f"unparsable line ({exc})"))
            continue
        if len(fields) != ncols:
            invalid.append(InvalidRecord(
                number, text[:500], f"expected {ncols} fields, found {len(fields)}"))
            continue
        rows.append(fields)
        numbers.append(number)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in column_names]
    table = pa.table({name: pa.array(col, pa.string())
                      for name, col in zip(column_names, columns, strict=True)})
    return TextChunk(table=table, lines=np.asarray(numbers, dtype=np.int64), invalid=invalid,
                     encoding_fixed=fixed)


def sniff_delimiter(line: str, candidates: str = ",\t;|") -> str:
    """The candidate that splits ``line`` into the most fields (comma on a tie)."""
    counts = {c: line.count(c) for c in candidates}
    best = max(counts, key=lambda c: (counts[c], c == ","))
    return best if counts[best] else ","
