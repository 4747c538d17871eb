"""One row hash: 64 bits per row from the values of named columns, read off Arrow buffers.

Every duplicate decision of curation uses it: the exact-duplicate key of raw records
(:mod:`curation.rules.duplicates`), the feature rows compared for conflicting labels,
and the files compared for holding the same records. Equal values hash equally
whatever their chunk or spelling:

- text by its UTF-8 bytes (``"tcp"`` and ``" tcp"`` differ);
- numbers by value: ``80``, ``80.0`` and an integer 80 are one value, ``-0.0`` is
  ``0.0``, and null and NaN are one missing value;
- booleans as 0/1, timestamps and dates by their integer count of units.

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

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NULL_HASH = np.uint64(0x9E3779B97F4A7C15)
TEXT_SALT = np.uint64(0xC2B2AE3D27D4EB4F)
_NUMBER_SALT = np.uint64(0x165667B19E3779F9)
_TIME_SALT = np.uint64(0x27D4EB2F165667C5)
_WORD_STEP = np.uint64(0x9FB21C651E98DF25)
_EXACT = 2.0 ** 53  # integers beyond it are hashed by their bits, not as floats


def mix64(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place: every input bit moves every output bit."""
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def _nulls(arr: pa.Array, h: np.ndarray) -> np.ndarray:
    if arr.null_count:
        h[np.asarray(arr.is_null())] = NULL_HASH
    return h


def _hash_floats(values: np.ndarray) -> np.ndarray:
    canonical = values + 0.0  # -0.0 -> 0.0
    canonical[np.isnan(canonical)] = np.nan  # one NaN bit pattern
    h = canonical.view(np.uint64) ^ _NUMBER_SALT
    h = mix64(h)
    h[np.isnan(canonical)] = NULL_HASH
    return h


def _hash_numbers(arr: pa.Array) -> np.ndarray:
    if pa.types.is_integer(arr.type):
        ints = np.asarray(arr.cast(pa.int64(), safe=False).fill_null(0), dtype=np.int64)
        h = _hash_floats(ints.astype(np.float64))
        big = np.abs(ints.astype(np.float64)) > _EXACT
        if big.any():
            h[big] = mix64(ints[big].view(np.uint64) ^ _TIME_SALT ^ _NUMBER_SALT)
        return _nulls(arr, h)
    values = np.asarray(arr.cast(pa.float64()).fill_null(np.nan), dtype=np.float64)
    return _hash_floats(values.copy())


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
    >>> bool(h[0] == h[2]), bool(h[0] == h[3]), bool(h[1] == NULL_HASH)
    (True, False, True)
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    typ = arr.type
    if pa.types.is_dictionary(typ):
        return hash_values(arr.cast(typ.value_type))
    if pa.types.is_null(typ):
        return np.full(len(arr), NULL_HASH, dtype=np.uint64)
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or \
            pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
        return _hash_text(arr)
    if pa.types.is_integer(typ) or pa.types.is_floating(typ):
        return _hash_numbers(arr)
    if pa.types.is_boolean(typ):
        return _hash_numbers(arr.cast(pa.int8()))
    if pa.types.is_temporal(typ):
        ints = np.asarray(arr.cast(pa.int64()).fill_null(0), dtype=np.int64)
        return _nulls(arr, mix64(ints.view(np.uint64) ^ _TIME_SALT))
    return _hash_text(arr.cast(pa.string()))


def combine(parts: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """One 64-bit hash per row from per-column hashes, in column-name order.

    Each column's hash is salted with the column's name, so equal values in
    different columns do not cancel.
    """
    h = np.zeros(n, dtype=np.uint64)
    names = sorted(parts)
    salts = hash_values(pa.array(names, pa.string()))
    for name, salt in zip(names, salts, strict=True):
        h ^= parts[name]
        h ^= salt
        mix64(h)
    return h


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
    return combine({c: hash_values(table.column(c)) for c in names}, table.num_rows)


__all__ = ["NULL_HASH", "TEXT_SALT", "combine", "hash_values", "mix64", "row_hash"]
