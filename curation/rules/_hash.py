"""One row hash: 64 bits per row from the values of named columns, read off Arrow buffers.

Every duplicate decision of curation uses it: the exact-duplicate key of raw records
(:mod:`iotforge.curation.rules.duplicates`, over the raw *text*, so that key tells
``80`` from ``80.0``: :func:`~iotforge.curation.rules.duplicates.raw_keys`), the
cleaned feature rows compared for conflicting labels, the files compared for holding
the same records, and the leakage audit, augmentation and evaluation. Equal values
hash equally whatever their chunk or spelling:

- text by its UTF-8 bytes (``"tcp"`` and ``" tcp"`` differ);
- numbers by value: ``80``, ``80.0`` and an integer 80 are one value, ``-0.0`` is
  ``0.0``, and null and NaN are one missing value;
- booleans as 0/1, timestamps and dates by their integer count of units.

pandas frames go through :func:`frame_hash`, which keys each column as the Arrow array
it converts to (so ``frame_hash(df)`` is ``row_hash`` of ``pa.Table.from_pandas(df)``);
a column of mixed Python objects that Arrow cannot type keeps numbers by value and
hashes any other value by its text, so ``80`` and ``80.0`` are one value and ``"80"``
another.

Strings are hashed eight bytes at a time with numpy on the Arrow data buffer, so no
Python object is made per value. The hash is not cryptographic: it separates distinct
records by chance (about one false match in 2**64 pairs), not against an adversary.

>>> import pyarrow as pa
>>> a = hash_values(pa.array([80, None], pa.int64()))
>>> b = hash_values(pa.array([80.0, float("nan")]))
>>> z = hash_values(pa.array([-0.0, 0.0]))
>>> bool((a == b).all()), bool(z[0] == z[1])
(True, True)
>>> t = pa.table({"port": [80.0, 80.0], "proto": ["tcp", " tcp"]})
>>> h = row_hash(t, ["port", "proto"])
>>> bool(h[0] == h[1])
False
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

NULL_HASH = np.uint64(0x9E3779B97F4A7C15)
TEXT_SALT = np.uint64(0xC2B2AE3D27D4EB4F)
_NUMBER_SALT = np.uint64(0x165667B19E3779F9)
_TIME_SALT = np.uint64(0x27D4EB2F165667C5)
_WORD_STEP = np.uint64(0x9FB21C651E98DF25)
_EXACT = 2.0 ** 53  # integers beyond it are hashed by their bits, not as floats


_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S1, _S2, _S3 = np.uint64(30), np.uint64(27), np.uint64(31)


def mix64(h: np.ndarray, scratch: np.ndarray | None = None) -> np.ndarray:
    """splitmix64's finaliser, in place: every input bit moves every output bit.

    ``scratch`` (same shape) saves allocating the shifted copy.
    """
    t = np.empty_like(h) if scratch is None else scratch
    np.right_shift(h, _S1, out=t)
    h ^= t
    h *= _M1
    np.right_shift(h, _S2, out=t)
    h ^= t
    h *= _M2
    np.right_shift(h, _S3, out=t)
    h ^= t
    return h


def _nulls(arr: pa.Array, h: np.ndarray) -> np.ndarray:
    if arr.null_count:
        h[np.asarray(arr.is_null())] = NULL_HASH
    return h


def _float_keys(values: np.ndarray) -> np.ndarray:
    """The bits of each float, -0.0 as 0.0 and NaN as :data:`NULL_HASH` (a new array)."""
    keys = (values + 0.0).view(np.uint64)  # -0.0 -> 0.0
    nan = np.isnan(values)
    if nan.any():
        keys[nan] = NULL_HASH
    return keys


def _number_keys(arr: pa.Array) -> np.ndarray:
    if pa.types.is_integer(arr.type):
        ints = np.asarray(arr.cast(pa.int64(), safe=False).fill_null(0), dtype=np.int64)
        as_float = ints.astype(np.float64)
        keys = _float_keys(as_float)
        big = np.abs(as_float) > _EXACT
        if big.any():
            keys[big] = mix64(ints[big].view(np.uint64) ^ _NUMBER_SALT)
        return _nulls(arr, keys)
    if arr.type != pa.float64():
        arr = arr.cast(pa.float64())
    if arr.null_count:
        arr = arr.fill_null(np.nan)
    return _float_keys(np.asarray(arr, dtype=np.float64))


def _hash_bytes(arr: pa.Array) -> np.ndarray:
    """Hash of each string's bytes: 8-byte words mixed with their position, summed, and
    finished with the length."""
    arr = arr.cast(pa.large_binary())
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + n + 1]
    lo, hi = int(offsets[0]), int(offsets[-1])
    lengths = np.diff(offsets)
    nwords = (lengths + 7) >> 3
    total = int(nwords.sum())
    h = np.zeros(n, dtype=np.uint64)
    if total:
        data = arr.buffers()[2]
        padded = np.zeros(hi - lo + 8, dtype=np.uint8)
        padded[:hi - lo] = np.frombuffer(data, dtype=np.uint8)[lo:hi]
        # an unaligned view: element i is the 8 bytes that start at byte i
        unaligned = np.ndarray(shape=(hi - lo + 1,), dtype="<u8", buffer=padded,
                               strides=(1,))
        owner = np.repeat(np.arange(n), nwords)
        first = np.cumsum(nwords) - nwords
        k = np.arange(total, dtype=np.int64) - first[owner]
        start = offsets[:-1] - lo
        words = unaligned[start[owner] + 8 * k]
        left = lengths[owner] - 8 * k  # bytes of this string from this word on
        short = left < 8
        if short.any():
            bits = (left[short] * 8).astype(np.uint64)
            words[short] &= (np.uint64(1) << bits) - np.uint64(1)
        words ^= k.astype(np.uint64) * _WORD_STEP
        mix64(words)
        has = nwords > 0
        h[has] = np.add.reduceat(words, first[has])
    h ^= lengths.astype(np.uint64) * _WORD_STEP
    h ^= TEXT_SALT
    return _nulls(arr, mix64(h))


def _hash_text(arr: pa.Array) -> np.ndarray:
    if len(arr) > 64:
        enc = pc.dictionary_encode(arr)
        if len(enc.dictionary) * 2 < len(arr):  # hash each distinct string once
            table = np.append(_hash_bytes(enc.dictionary), NULL_HASH)
            return table[np.asarray(enc.indices.fill_null(len(enc.dictionary)),
                                    dtype=np.int64)]
    return _hash_bytes(arr)


def value_keys(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit key per value, equal exactly when the values are (by the module's rules).

    Numbers are keyed by their bits (canonical: -0.0 as 0.0, every NaN and null one
    missing value), text by a hash of its bytes. Keys of numbers are not mixed: use
    :func:`hash_values` for a hash, :func:`combine` for rows.
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    typ = arr.type
    if pa.types.is_dictionary(typ):
        return value_keys(arr.cast(typ.value_type))
    if pa.types.is_null(typ):
        return np.full(len(arr), NULL_HASH, dtype=np.uint64)
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or \
            pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
        return _hash_text(arr)
    if pa.types.is_integer(typ) or pa.types.is_floating(typ):
        return _number_keys(arr)
    if pa.types.is_boolean(typ):
        return _number_keys(arr.cast(pa.int8()))
    if pa.types.is_temporal(typ):
        ints = np.asarray(arr.cast(pa.int64()).fill_null(0), dtype=np.int64)
        return _nulls(arr, mix64(ints.view(np.uint64) ^ _TIME_SALT))
    return _hash_text(arr.cast(pa.string()))


def hash_values(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each value of ``arr`` (``uint64``), by the rules of the module.

    Parameters
    ----------
    arr : pyarrow.Array or pyarrow.ChunkedArray
        Values of any type; text and numbers as described above, other types by
        their text.

    Returns
    -------
    numpy.ndarray
        One ``uint64`` per value.

    >>> h = hash_values(pa.array(["a", None, "a", "b"]))
    >>> bool(h[0] == h[2]), bool(h[0] == h[3]), bool(h[1] == hash_values(pa.array([None]))[0])
    (True, False, True)
    """
    return mix64(value_keys(arr) ^ _NUMBER_SALT)


def combine(parts: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """One 64-bit hash per row from per-column keys (:func:`value_keys`).

    Each column's keys are salted with the column's name and mixed, all columns in one
    numpy operation, then summed: equal values in different columns do not cancel,
    and the order of the columns does not matter.
    """
    names = sorted(parts)
    salts = _hash_text(pa.array(names, pa.string()))
    total = np.zeros(n, dtype=np.uint64)
    # one column at a time: the three arrays stay in the CPU cache
    mixed, scratch = np.empty(n, dtype=np.uint64), np.empty(n, dtype=np.uint64)
    for name, salt in zip(names, salts, strict=True):
        np.bitwise_xor(parts[name], salt, out=mixed)
        total += mix64(mixed, scratch)
    return mix64(total, scratch)


def row_hash(table: pa.Table, columns: Sequence[str] | None = None) -> np.ndarray:
    """The hash of each row of ``table`` over ``columns`` (default: all of them).

    Parameters
    ----------
    table : pyarrow.Table
        The rows.
    columns : sequence of str, optional
        The columns that make a row; their order does not matter.

    Returns
    -------
    numpy.ndarray
        One ``uint64`` per row: equal rows (by the module's rules) hash equally.
    """
    names = table.column_names if columns is None else list(columns)
    return combine({c: value_keys(table.column(c)) for c in names}, table.num_rows)


def _object_keys(values: np.ndarray) -> np.ndarray:
    """Keys of Python objects Arrow cannot type as one column: numbers (and booleans) by
    value, every missing value as one, anything else by its ``str``."""
    keys = np.full(len(values), NULL_HASH, dtype=np.uint64)
    missing = np.asarray(pd.isna(values), dtype=bool)
    number = np.fromiter((isinstance(v, (numbers.Real, np.bool_)) for v in values),
                         dtype=bool, count=len(values)) & ~missing
    text = ~number & ~missing
    if number.any():
        keys[number] = _number_keys(pa.array([float(v) for v in values[number]], pa.float64()))
    if text.any():
        keys[text] = _hash_text(pa.array([str(v) for v in values[text]], pa.string()))
    return keys


def _series_keys(s: pd.Series) -> np.ndarray:
    try:
        arr = pa.array(s, from_pandas=True)
    except (pa.ArrowException, ValueError, TypeError, OverflowError):
        arr = None  # mixed Python objects
    if arr is None or pa.types.is_nested(arr.type) or isinstance(arr.type, pa.ExtensionType):
        return _object_keys(s.to_numpy(dtype=object))
    return value_keys(arr)


def frame_hash(df: pd.DataFrame, columns: Sequence[Hashable] | None = None) -> np.ndarray:
    """:func:`row_hash` of the rows of a pandas frame over ``columns`` (default: all).

    Parameters
    ----------
    df : pandas.DataFrame
        The rows; its index is ignored.
    columns : sequence of hashable, optional
        The columns that make a row; their order does not matter.

    Returns
    -------
    numpy.ndarray
        One ``uint64`` per row, equal to ``row_hash`` of the frame as an Arrow table.
        Columns are told apart by their names as text (by position where two names
        read the same).

    >>> df = pd.DataFrame({"port": [80, 80, 443], "proto": ["tcp", "tcp", None]})
    >>> h = frame_hash(df)
    >>> bool(h[0] == h[1]), bool(h[0] == h[2])
    (True, False)
    >>> bool((h == row_hash(pa.Table.from_pandas(df))).all())
    True
    """
    part = df if columns is None else df[list(columns)]
    names = [str(c) for c in part.columns]
    if len(set(names)) < len(names):
        names = [f"{i}:{name}" for i, name in enumerate(names)]
    return combine({name: _series_keys(part.iloc[:, i]) for i, name in enumerate(names)},
                   len(part))


__all__ = ["NULL_HASH", "TEXT_SALT", "combine", "frame_hash", "hash_values", "mix64",
           "row_hash", "value_keys"]
