"""The plain-data codec between the grader and student code.

Only these values cross: ``None``, ``bool``, ``int``, ``float``, ``str``,
numeric ndarrays (bool, signed and unsigned integers, float16/32/64), tuples of
values and dicts with string keys. The decoder never calls into anything the
sender made: it reads a tag byte, checks every length against the bytes left,
and builds fresh ndarrays with :func:`numpy.frombuffer`. No pickle, ever.

Encoding a value that is not plain data raises :class:`NotPlainData` with a
description of what was found ("list", "ndarray of dtype object").
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

__all__ = ["DecodeError", "NotPlainData", "decode", "describe", "encode"]

_DTYPES: dict[bytes, np.dtype[Any]] = {
    b"f8": np.dtype("<f8"),
    b"f4": np.dtype("<f4"),
    b"f2": np.dtype("<f2"),
    b"i8": np.dtype("<i8"),
    b"i4": np.dtype("<i4"),
    b"i2": np.dtype("<i2"),
    b"i1": np.dtype("i1"),
    b"u8": np.dtype("<u8"),
    b"u4": np.dtype("<u4"),
    b"u2": np.dtype("<u2"),
    b"u1": np.dtype("u1"),
    b"b1": np.dtype("?"),
}
_CODES = {dt: code for code, dt in _DTYPES.items()}
MAX_DEPTH = 8
MAX_ITEMS = 1_000_000
MAX_NDIM = 32
_Q = struct.Struct("<q")
_D = struct.Struct("<d")
_I = struct.Struct("<I")


class NotPlainData(TypeError):
    """The value cannot cross: it is not plain data."""


class DecodeError(ValueError):
    """The bytes are not a well-formed frame."""


def describe(value: Any) -> str:
    """A short, student-readable description of *value*'s kind and shape."""
    if isinstance(value, np.ndarray):
        return f"ndarray of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, tuple):
        return f"tuple of {len(value)} ({', '.join(describe(v) for v in value[:4])})"
    if value is None:
        return "None"
    return type(value).__name__


def encode(value: Any) -> bytes:
    """Encode *value* as bytes, or raise :class:`NotPlainData`."""
    out: list[bytes] = []
    _encode(value, out, 0)
    return b"".join(out)


def _encode(value: Any, out: list[bytes], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise NotPlainData("a value nested more than 8 levels deep")
    kind = type(value)
    if value is None:
        out.append(b"N")
    elif kind is bool or kind is np.bool_:
        out.append(b"T" if value else b"F")
    elif kind is int or isinstance(value, np.integer):
        number = int(value)
        if not -(2**63) <= number < 2**63:
            raise NotPlainData("an integer too large for 64 bits")
        out.append(b"i" + _Q.pack(number))
    elif kind is float or isinstance(value, np.floating):
        out.append(b"f" + _D.pack(float(value)))
    elif kind is str:
        data = value.encode("utf-8", "replace")
        out.append(b"s" + _I.pack(len(data)) + data)
    elif isinstance(value, np.ndarray):
        array = np.ndarray.view(value, np.ndarray)
        code = _CODES.get(
            array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
        )
        if code is None:
            raise NotPlainData(f"an ndarray of dtype {array.dtype}")
        if array.ndim > MAX_NDIM:
            raise NotPlainData(f"an ndarray with {array.ndim} dimensions")
        array = np.asarray(array, dtype=_DTYPES[code], order="C")
        header = code + bytes([array.ndim]) + b"".join(_Q.pack(n) for n in array.shape)
        out.append(b"a" + header + array.tobytes())
    elif kind is tuple:
        out.append(b"t" + _I.pack(len(value)))
        for item in value:
            _encode(item, out, depth + 1)
    elif kind is dict:
        out.append(b"d" + _I.pack(len(value)))
        for key, item in value.items():
            if type(key) is not str:
                raise NotPlainData("a dict with a key that is not a string")
            _encode(key, out, depth + 1)
            _encode(item, out, depth + 1)
    else:
        raise NotPlainData(f"a {type(value).__name__}")


def decode(data: bytes) -> Any:
    """Decode bytes made by :func:`encode`; raise :class:`DecodeError` on anything else."""
    view = memoryview(data)
    value, pos = _decode(view, 0, 0)
    if pos != len(view):
        raise DecodeError(f"{len(view) - pos} stray bytes after the value")
    return value


def _take(view: memoryview, pos: int, size: int) -> tuple[memoryview, int]:
    end = pos + size
    if size < 0 or end > len(view):
        raise DecodeError("frame ends early")
    return view[pos:end], end


def _decode(view: memoryview, pos: int, depth: int) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise DecodeError("nested too deeply")
    tag_bytes, pos = _take(view, pos, 1)
    tag = bytes(tag_bytes)
    if tag == b"N":
        return None, pos
    if tag == b"T":
        return True, pos
    if tag == b"F":
        return False, pos
    if tag == b"i":
        raw, pos = _take(view, pos, 8)
        return _Q.unpack(raw)[0], pos
    if tag == b"f":
        raw, pos = _take(view, pos, 8)
        return _D.unpack(raw)[0], pos
    if tag == b"s":
        raw, pos = _take(view, pos, 4)
        raw, pos = _take(view, pos, _I.unpack(raw)[0])
        return bytes(raw).decode("utf-8", "replace"), pos
    if tag == b"a":
        raw, pos = _take(view, pos, 3)
        dtype = _DTYPES.get(bytes(raw[:2]))
        ndim = raw[2]
        if dtype is None or ndim > MAX_NDIM:
            raise DecodeError("unknown array header")
        raw, pos = _take(view, pos, 8 * ndim)
        shape = tuple(_Q.unpack_from(raw, 8 * k)[0] for k in range(ndim))
        count = 1
        for n in shape:
            if n < 0:
                raise DecodeError("negative array dimension")
            count *= n
        raw, pos = _take(view, pos, count * dtype.itemsize)
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy(), pos
    if tag in (b"t", b"d"):
        raw, pos = _take(view, pos, 4)
        count = _I.unpack(raw)[0]
        if count > MAX_ITEMS:
            raise DecodeError("too many items")
        items = []
        for _ in range(count * (2 if tag == b"d" else 1)):
            item, pos = _decode(view, pos, depth + 1)
            items.append(item)
        if tag == b"t":
            return tuple(items), pos
        keys = items[0::2]
        if not all(type(k) is str for k in keys):
            raise DecodeError("dict key is not a string")
        return dict(zip(keys, items[1::2], strict=True)), pos
    raise DecodeError(f"unknown tag {tag!r}")
