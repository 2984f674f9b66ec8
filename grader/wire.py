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


def decode(data: bytes | bytearray | memoryview) -> Any:
    """Decode bytes made by :func:`encode`; raise :class:`DecodeError` on anything else."""
    view = memoryview(data).cast("B")
    value, pos = _decode(view, 0, 0)
    if pos != len(view):
        raise DecodeError(f"{len(view) - pos} stray bytes after the value")
    return value


def _need(view: memoryview, pos: int, size: int) -> int:
    """The position after *size* more bytes from *pos*; DecodeError if the frame is shorter."""
    end = pos + size
    if size < 0 or end > len(view):
        raise DecodeError("frame ends early")
    return end


_TAG_NONE, _TAG_TRUE, _TAG_FALSE = ord("N"), ord("T"), ord("F")
_TAG_INT, _TAG_FLOAT, _TAG_STR, _TAG_ARRAY = ord("i"), ord("f"), ord("s"), ord("a")
_TAG_TUPLE, _TAG_DICT = ord("t"), ord("d")


def _decode(view: memoryview, pos: int, depth: int) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise DecodeError("nested too deeply")
    if pos >= len(view):
        raise DecodeError("frame ends early")
    tag = view[pos]
    pos += 1
    if tag == _TAG_ARRAY:
        end = _need(view, pos, 3)
        dtype = _DTYPES.get(bytes(view[pos : pos + 2]))
        ndim = view[pos + 2]
        if dtype is None or ndim > MAX_NDIM:
            raise DecodeError("unknown array header")
        pos, end = end, _need(view, end, 8 * ndim)
        shape = struct.unpack_from(f"<{ndim}q", view, pos)
        count = 1
        for n in shape:
            if n < 0:
                raise DecodeError("negative array dimension")
            count *= n
        pos, end = end, _need(view, end, count * dtype.itemsize)
        array = np.frombuffer(view, dtype=dtype, count=count, offset=pos).reshape(shape)
        return array.copy(), end
    if tag == _TAG_STR:
        end = _need(view, pos, 4)
        size = _I.unpack_from(view, pos)[0]
        pos, end = end, _need(view, end, size)
        return bytes(view[pos:end]).decode("utf-8", "replace"), end
    if tag in (_TAG_TUPLE, _TAG_DICT):
        end = _need(view, pos, 4)
        count = _I.unpack_from(view, pos)[0]
        if count > MAX_ITEMS:
            raise DecodeError("too many items")
        pos = end
        items = []
        for _ in range(count * (2 if tag == _TAG_DICT else 1)):
            item, pos = _decode(view, pos, depth + 1)
            items.append(item)
        if tag == _TAG_TUPLE:
            return tuple(items), pos
        keys = items[0::2]
        if not all(type(k) is str for k in keys):
            raise DecodeError("dict key is not a string")
        return dict(zip(keys, items[1::2], strict=True)), pos
    if tag == _TAG_NONE:
        return None, pos
    if tag == _TAG_TRUE:
        return True, pos
    if tag == _TAG_FALSE:
        return False, pos
    if tag == _TAG_INT:
        end = _need(view, pos, 8)
        return _Q.unpack_from(view, pos)[0], end
    if tag == _TAG_FLOAT:
        end = _need(view, pos, 8)
        return _D.unpack_from(view, pos)[0], end
    raise DecodeError(f"unknown tag {bytes([tag])!r}")
