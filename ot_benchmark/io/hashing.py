"""A 64-bit hash of each string of a pyarrow array, vectorised (no Python string per value).

Used where millions of identifiers are compared: the validator's check that no id repeats
(:mod:`ot_benchmark.io.validate`) and the runner's index of case identifiers
(:mod:`ot_benchmark.runner.case_ids`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["string_hashes"]

_K1, _K2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)


def string_hashes(values) -> np.ndarray:
    """A 64-bit hash of each string (uint64), the same in every process and platform.

    Vectorised over a pyarrow string array (or anything ``pyarrow.array`` takes), chunk by
    chunk, with no string copied: a chunk's data buffer is read as an unaligned 8-byte word at
    every byte, so a string's words are one gather each (the last one overlapping, a short
    string's masked to its length), mixed with the length by multiply-xor rounds. Equal
    strings always have equal hashes; different strings almost never do. A missing value
    hashes as the empty string.
    """
    arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values, type=pa.large_string())
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    out = np.empty(sum(len(c) for c in chunks), dtype=np.uint64)
    at = 0
    for chunk in chunks:
        out[at:at + len(chunk)] = _chunk_hashes(chunk)
        at += len(chunk)
    return out


def _chunk_hashes(chunk: pa.Array) -> np.ndarray:
    n = len(chunk)
    out = np.zeros(n, dtype=np.uint64)
    if n == 0:
        return out
    if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
        chunk = chunk.cast(pa.large_string())
    _, off_buf, data_buf = chunk.buffers()[:3]
    wide = pa.types.is_large_string(chunk.type)
    offs = np.frombuffer(off_buf, dtype=np.int64 if wide else np.int32)[chunk.offset: chunk.offset + n + 1]
    lo, hi = int(offs[0]), int(offs[-1])
    data = np.zeros(hi - lo + 8, dtype=np.uint8)  # this chunk's bytes, and room for the last word
    if data_buf is not None and hi > lo:
        data[: hi - lo] = np.frombuffer(data_buf, dtype=np.uint8)[lo:hi]
    word_at = np.ndarray((len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))  # the 8 bytes from each byte
    starts = offs[:-1].astype(np.int64) - lo
    length = np.diff(offs).astype(np.int64)
    widths = np.flatnonzero(np.bincount(length))  # the few lengths there are (no hash table)
    with np.errstate(over="ignore"):
        for w in widths.tolist():
            rows = slice(None) if len(widths) == 1 else np.flatnonzero(length == w)
            first = starts[rows]
            h = np.full(len(first), np.uint64(w) * _K2 + np.uint64(1), dtype=np.uint64)
            for pos in list(range(0, max(w - 7, 1), 8)) + ([w - 8] if w > 8 and w % 8 else []):
                word = word_at[first + pos]
                if w < 8:  # the bytes past a short string are not part of it
                    word &= np.uint64((1 << (8 * w)) - 1)
                h ^= word
                h *= _K1
                h ^= h >> np.uint64(29)
            out[rows] = h
    return out
