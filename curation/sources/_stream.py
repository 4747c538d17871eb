"""Opening a capture file: compressed ones (gzip, bzip2, xz, zstd) are read transparently.

The compression is told by the file's first bytes, not its name, so ``flows.csv`` that
is really gzip data is read, and ``flows.csv.gz`` that is plain text is too. Every text
adapter reads through :func:`open_capture`: formats are detected on the decompressed
stream and line numbers are those of the decompressed text. Archives that hold
several files (zip, tar) are refused with one clear line: which member is the
capture is the user's choice.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, cast

from ..errors import InputError

Compression = Literal["gzip", "bzip2", "xz", "zstd"]

MAGIC: tuple[tuple[bytes, Compression], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
DECOMPRESS_HINT: dict[Compression, str] = {
    "gzip": "gunzip -k", "bzip2": "bunzip2 -k", "xz": "unxz -k", "zstd": "unzstd"}
OFFICE_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".docx")


def compression_of(path: str | os.PathLike[str]) -> Compression | None:
    """The compression of ``path`` from its magic bytes (None: not compressed).

    A zip archive is an :class:`~iotforge.curation.errors.InputError`: it is a container of
    files, not one compressed capture.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(6)
    if head[:4] in ZIP_MAGIC:
        if path.suffix.lower() in OFFICE_SUFFIXES:
            raise InputError("expected a capture, found a spreadsheet or document (a zip "
                             "archive)", path=str(path), hint="export the sheet as CSV")
        raise InputError("zip archives are not read; unzip it first", path=str(path),
                         hint="then pass the capture files it holds")
    for magic, kind in MAGIC:
        if head.startswith(magic) and (kind != "bzip2" or head[3:4].isdigit()):
            return kind
    return None


class _ZstdReader(io.RawIOBase):
    """A zstd stream of one or more frames; a stream cut short is an EOFError.

    (``zstandard``'s own stream reader returns a truncated stream without a word.)
    """

    def __init__(self, raw: IO[bytes]) -> None:
        try:
            import zstandard
        except ModuleNotFoundError:
            raise InputError("reading .zst captures needs the 'zstandard' package",
                             hint="pip install zstandard, or decompress it: unzstd FILE"
                             ) from None
        self._zstd = zstandard
        self._raw = raw
        self._obj = zstandard.ZstdDecompressor().decompressobj()
        self._buf = b""
        self._fed = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf:
            if self._obj.eof:
                rest = self._obj.unused_data
                if not rest:
                    rest = self._raw.read(1 << 16)
                    if not rest:
                        return 0  # every frame ended cleanly
                self._obj = self._zstd.ZstdDecompressor().decompressobj()
                self._buf = self._obj.decompress(rest)
                continue
            data = self._raw.read(1 << 16)
            if not data:
                if self._fed:
                    raise EOFError("compressed file ended before the end-of-frame marker")
                return 0
            self._fed = True
            self._buf = self._obj.decompress(data)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (EOFError, OSError, lzma.LZMAError)
    with contextlib.suppress(ModuleNotFoundError):
        import zstandard

        errors += (zstandard.ZstdError,)
    return errors


@contextlib.contextmanager
def open_capture(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """The bytes of ``path``, decompressed when it is compressed.

    A damaged or cut-short compressed stream, found while reading, becomes one
    :class:`~iotforge.curation.errors.InputError` that names the file.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = Path(tmp) / "x.csv.gz"
    ...     _ = p.write_bytes(gzip.compress(b"a,b\\n1,2\\n"))
    ...     with open_capture(p) as fh:
    ...         fh.read()
    b'a,b\\n1,2\\n'
    """
    kind = compression_of(path)
    with open(path, "rb") as raw:
        stream: IO[bytes]
        if kind is None:
            yield raw
            return
        if kind == "gzip":
            stream = cast(IO[bytes], gzip.GzipFile(fileobj=raw))
        elif kind == "bzip2":
            stream = cast(IO[bytes], bz2.BZ2File(raw))
        elif kind == "xz":
            stream = cast(IO[bytes], lzma.LZMAFile(raw))
        else:
            stream = cast(IO[bytes], io.BufferedReader(_ZstdReader(raw), 1 << 16))
        try:
            yield stream
        except _errors() as exc:
            detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise InputError(f"the {kind} data is damaged or cut short ({detail})",
                             path=str(path),
                             hint=f"check the download; '{DECOMPRESS_HINT[kind]} FILE' says "
                                  "where it breaks") from None


def read_head(path: str | os.PathLike[str], size: int = 65536) -> bytes:
    """The first ``size`` bytes of the (decompressed) file."""
    with open_capture(path) as fh:
        return fh.read(size)


BINARY_KINDS = (
    (b"\xd4\xc3\xb2\xa1", "a pcap capture"), (b"\xa1\xb2\xc3\xd4", "a pcap capture"),
    (b"\x4d\x3c\xb2\xa1", "a pcap capture"), (b"\xa1\xb2\x3c\x4d", "a pcap capture"),
    (b"\x0a\x0d\x0d\x0a", "a pcapng capture"), (b"PAR1", "a Parquet file"),
    (b"%PDF", "a PDF document"), (b"\x89PNG", "a PNG image"), (b"SQLite format 3", "an "
                                                                "SQLite database"),
)


def describe_binary(head: bytes) -> str:
    """What binary data looks like, for an error message.

    >>> describe_binary(b"PAR1....")
    'a Parquet file'
    >>> describe_binary(b"ab\\x00c")
    'binary data (a NUL byte at offset 2)'
    """
    for magic, what in BINARY_KINDS:
        if head.startswith(magic):
            return what
    if head[257:262] == b"ustar":
        return "a tar archive (extract it first: tar xf FILE)"
    at = head.find(b"\x00")
    return f"binary data (a NUL byte at offset {at})" if at >= 0 else "binary data"
