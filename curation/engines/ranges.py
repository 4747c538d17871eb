"""Byte ranges of large text captures: the partitions the Dask engine reads in parallel.

The local reader (:func:`iotforge.curation.sources._text.iter_text_chunks`) reads a file in
blocks of ``CHUNK_BYTES`` and cuts each chunk after the last line end it holds; the
first chunk with a valid row tells the column kinds. A range
here starts and stops on those very cuts, so each partition parses exactly the chunks
the local reader would, with the same parse path and the same line numbers:

- a first parallel pass (:func:`scan_blocks`) reads each block once and counts its line
  ends (CR, LF, CRLF; a CRLF across two blocks once) and quote characters, and where
  its last line end is;
- :func:`plan_ranges` shares the blocks out evenly in ranges of at most about
  ``partition_bytes`` (a multiple of the worker count of them, for a large file) and
  puts each boundary after the last line end of a block; the line number there is one
  plus the line ends before it. A boundary where the count of quote characters before
  it is odd would fall inside a quoted value (RFC 4180 escapes a quote by doubling it,
  so escaped quotes toggle twice and the parity is exact for well-formed files); it
  moves to the next block;
- a partition of a file split in several first reads the file's first chunks, up to
  and including the first one that holds a valid row (the one the adapter infers the
  decimal mark and column kinds from, as the local reader does for the whole file;
  the engine drops their rows), then its own blocks (:class:`ByteRange`). So every
  partition decides as the file does, once per file, even where its own range alone
  would say otherwise. A worker parses those chunks once per file and run and keeps
  them for the file's other partitions (``lead_key``).

Stray quotes (a ``"`` inside an unquoted value) make the parity wrong. That is caught,
not assumed away: a partition whose last record is still open at its end reports it
(``open_tail``), and the engine then reads that file as one partition. Compressed
files, UTF-16/32 text and formats not read through ``iter_text_chunks`` are never split.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
>>> _ = p.write_bytes(b"a,b\\n" + b"".join(b"%d,x\\n" % i for i in range(100)))
>>> scans = scan_blocks(str(p), 0, 0, 8, 64)
>>> [(r.start, r.line) for r in plan_ranges(str(p), scans, bom=0, block=64,
...                                          partition_bytes=128)][:3]
[(0, 1), (124, 28), (254, 54)]
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..sources._text import _last_line_end, line_chunks

__all__ = ["LEADS_KEPT", "QUOTE", "BlockScan", "ByteRange", "Claimed", "forget_leads",
           "plan_ranges", "scan_block", "scan_blocks"]

QUOTE = b'"'


@dataclass(frozen=True)
class BlockScan:
    """What one block says about line ends and quotes (offsets within the block)."""

    size: int
    terminators: int
    last_end: int  # just after the last line end (a CR that ends the block not counted); 0: none
    prefix_terminators: int  # line ends in [0, last_end)
    quotes: int
    prefix_quotes: int
    starts_lf: bool
    ends_cr: bool


def _terminators(buf: bytes) -> int:
    return buf.count(b"\n") + buf.count(b"\r") - buf.count(b"\r\n")


def _count(view: np.ndarray, byte: int) -> int:
    return int(np.count_nonzero(view == byte))


def scan_block(data: bytes) -> BlockScan:
    """:class:`BlockScan` of one block's bytes.

    The counts over the block are numpy comparisons (one pass per character that
    occurs: CR and quotes are first looked for with ``find``, which stops early); the
    counts before the last line end are the block's less those of the short rest after
    it (a CRLF never straddles that point: a line end is cut after its LF).

    >>> scan_block(b"a\\r\\nb\\nc\\r")
    BlockScan(size=7, terminators=3, last_end=5, prefix_terminators=2, quotes=0, \
prefix_quotes=0, starts_lf=False, ends_cr=True)
    """
    end = _last_line_end(data)
    view = np.frombuffer(data, dtype=np.uint8)
    terminators = _count(view, 0x0A)
    if data.find(b"\r") >= 0:
        cr = view == 0x0D
        crlf = int(np.count_nonzero(cr[:-1] & (view[1:] == 0x0A)))
        terminators += int(np.count_nonzero(cr)) - crlf
    quotes = _count(view, QUOTE[0]) if data.find(QUOTE) >= 0 else 0
    rest = data[end:] if end else b""
    return BlockScan(size=len(data), terminators=terminators, last_end=end,
                     prefix_terminators=terminators - _terminators(rest) if end else 0,
                     quotes=quotes,
                     prefix_quotes=quotes - rest.count(QUOTE) if end else 0,
                     starts_lf=data[:1] == b"\n", ends_cr=data[-1:] == b"\r")


def scan_blocks(path: str, bom: int, first: int, count: int, block: int) -> list[BlockScan]:
    """Scan ``count`` blocks of ``path`` from block number ``first`` (one Dask task)."""
    out = []
    with open(path, "rb") as fh:
        fh.seek(bom + first * block)
        for _ in range(count):
            data = fh.read(block)
            if not data:
                break
            out.append(scan_block(data))
    return out


@dataclass
class ByteRange:
    """One partition of a text file: where it starts, its line number there, where it stops.

    Set as :data:`iotforge.curation.sources._text.READ_RANGE` around an adapter's ``open``, it
    makes :func:`~iotforge.curation.sources._text.iter_text_chunks` read this range only (after
    the file's first chunk, when the range does not start the file: ``lead``).
    """

    path: str  # absolute
    start: int  # offset of the range's first byte, a line start
    first_block: int  # block whose reading starts at ``start`` in the local reader
    stop_block: int | None  # block before which the range ends; None: the end of the file
    line: int  # physical line number at ``start``
    block: int
    bom: int = 0
    lead_key: str = ""  # names the file's first chunk in this run (empty: not kept)
    probe: bool = False  # only learn whether the adapter reads by range (``claimed``)
    claimed: bool = field(default=False, compare=False)
    lead_yielded: int = field(default=0, compare=False)  # the file's first chunks yielded
    open_tail: list[bytes] = field(default_factory=list, compare=False)

    @property
    def lead(self) -> bool:
        """Whether the file's first chunks come first: a range after the file's start,
        or the first range of a file split in several (its own chunks follow)."""
        return self.start > self.bom or bool(self.lead_key)

    @property
    def stop(self) -> int | None:
        """Byte offset where the range ends at the latest (None: end of file)."""
        return None if self.stop_block is None else self.bom + self.stop_block * self.block

    def describe(self) -> str:
        end = "the end" if self.stop is None else f"about byte {self.stop:,}"
        return f"bytes {self.start:,} to {end} (from line {self.line:,})"

    def covers(self, path: str | os.PathLike[str]) -> bool:
        return os.path.abspath(path) == self.path

    def chunks(self, path: Path, info: Any, parse: Callable[..., Iterator[Any]],
               skip_lines: int) -> Iterator[Any]:
        """The reader's chunks for this range (the hook ``iter_text_chunks`` calls)."""
        if info.encoding != "utf-8":
            raise RuntimeError(f"{path}: only UTF-8 text is read by byte range")
        self.claimed = True
        if self.probe:
            raise Claimed(path)
        return self._chunks(path, parse, skip_lines)

    def _chunks(self, path: Path, parse: Callable[..., Iterator[Any]],
                skip_lines: int) -> Iterator[Any]:
        if self.lead:
            firsts = _kept_lead(self.lead_key)
            if firsts is None:
                firsts = []
                lead = parse(_blocks(path, self.bom, self.bom, None, self.block),
                             line=skip_lines + 1, skip=skip_lines)
                for chunk in lead:
                    firsts.append(chunk)
                    if chunk.table.num_rows:
                        break
                lead.close()  # type: ignore[attr-defined]
                _keep_lead(self.lead_key, firsts)
            self.lead_yielded = len(firsts)
            for first in firsts:
                yield dataclasses.replace(first, invalid=list(first.invalid))
        if self.start > self.bom:
            line, skip = self.line, 0
        else:
            line, skip = skip_lines + 1, skip_lines
        n_blocks = None if self.stop_block is None else self.stop_block - self.first_block
        yield from parse(_blocks(path, self.start, self.bom + self.first_block * self.block,
                                 n_blocks, self.block),
                         line=line, skip=skip, at_end=self.stop_block is None,
                         open_tail=self.open_tail)


class Claimed(BaseException):  # noqa: N818 (a signal, not an error)
    """Raised by a probing :class:`ByteRange` as soon as an adapter asks it for chunks,
    so that the probe parses nothing. A ``BaseException``: no adapter's error handling
    catches it."""


_LEADS: OrderedDict[str, Any] = OrderedDict()
_LEADS_LOCK = threading.Lock()
LEADS_KEPT = 2
"""Files whose first chunks a worker keeps (each about one reader chunk of text, more
where a file's first chunks hold no valid row)."""


def _kept_lead(key: str) -> Any:
    if not key:
        return None
    with _LEADS_LOCK:
        return _LEADS.get(key)


def _keep_lead(key: str, chunks: list[Any]) -> None:
    """Keep a file's parsed first chunks for the next partition of the same file and run
    on this worker (the adapter infers the column kinds from them, for every partition)."""
    if not key:
        return
    with _LEADS_LOCK:
        _LEADS[key] = chunks
        while len(_LEADS) > LEADS_KEPT:
            _LEADS.popitem(last=False)


def forget_leads() -> None:
    """Drop the first chunks this worker keeps (at the end of a run)."""
    with _LEADS_LOCK:
        _LEADS.clear()


def _blocks(path: Path, start: int, block_start: int, n_blocks: int | None,
            block: int) -> Iterator[bytes]:
    """Chunks cut as the local reader cuts them: ``n_blocks`` blocks from ``block_start``
    (None: to the end of the file).

    The bytes from ``start`` to ``block_start`` are the end of the previous block that
    the local reader carries into the next chunk.
    """
    with open(path, "rb") as fh:
        fh.seek(start)
        rest = fh.read(block_start - start)

        def blocks() -> Iterator[bytes]:
            done = 0
            while n_blocks is None or done < n_blocks:
                data = fh.read(block)
                done += 1
                yield data
                if not data:
                    return

        yield from line_chunks(blocks(), rest)


def plan_ranges(path: str, scans: list[BlockScan], *, bom: int, block: int,
                partition_bytes: int, multiple_of: int = 1) -> list[ByteRange]:
    """Byte ranges of at most about ``partition_bytes`` each, cut where the local reader
    cuts.

    ``scans`` are every block of the file in order (:func:`scan_blocks`). The blocks are
    shared out evenly; a file of at least ``multiple_of`` ranges (the workers) gets a
    multiple of it, so that no worker waits for another one's last range. A boundary
    needs a line end in the block before it and an even count of quote characters
    before it; otherwise it moves on by one block.

    >>> s = scan_block(b"x\\n" * 32)
    >>> [r.first_block for r in plan_ranges("f", [s] * 10, bom=0, block=64,
    ...                                     partition_bytes=256, multiple_of=2)]
    [0, 2, 5, 8]
    """
    n = len(scans)
    count = -(-n // max(1, partition_bytes // block))
    if multiple_of > 1 and count >= multiple_of:
        count = -(-count // multiple_of) * multiple_of
    targets = iter(sorted({round(i * n / count) for i in range(1, count)} - {0}))
    path = os.path.abspath(path)
    ranges = [ByteRange(path=path, start=bom, first_block=0, stop_block=None, line=1,
                        block=block, bom=bom)]
    lines = quotes = 0  # before the start of block k
    straddle = False
    next_cut = next(targets, n)
    for k, s in enumerate(scans):
        if straddle and s.starts_lf:
            lines -= 1  # a CRLF across the junction was counted in both blocks
        if k + 1 >= next_cut and k + 1 < n and s.last_end > 0 \
                and (quotes + s.prefix_quotes) % 2 == 0:
            line = 1 + lines + s.prefix_terminators
            ranges[-1].stop_block = k + 1
            ranges.append(ByteRange(path=path, start=bom + k * block + s.last_end,
                                    first_block=k + 1, stop_block=None, line=line,
                                    block=block, bom=bom))
            while next_cut <= k + 1:
                next_cut = next(targets, n)
        lines += s.terminators
        quotes += s.quotes
        straddle = s.ends_cr
    return ranges
