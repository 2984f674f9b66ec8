"""The plain-data codec between the grader and student code.

Only these values cross: ``None``, ``bool``, ``int``, ``float``, ``str``,
numeric ndarrays (bool, signed and unsigned integers, float16/32/64), tuples of
values and dicts with string keys. The decoder never calls into anything the
sender made: it reads a tag byte, checks every length against the bytes left,
and copies array data out of the frame into fresh ndarrays. No pickle, ever.

In the grader's requests, an array that occurs again in one value (the
unchanged arguments of a batch of calls) is sent once and referred to by
number; each occurrence still decodes to an array of its own. Replies from
student code may not use references.

Encoding a value that is not plain data raises :class:`NotPlainData` with a
description of what was found ("list", "ndarray of dtype object").
"""

from __future__ import annotations

import math
import struct
from functools import lru_cache
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
# An array header after its dtype code: the number of dimensions (one byte), each dimension.
_NDIM_AND_SHAPE = [struct.Struct(f"<B{ndim}q") for ndim in range(MAX_NDIM + 1)]
_SHAPE = [struct.Struct(f"<{ndim}q") for ndim in range(MAX_NDIM + 1)]
_HEADERS = {code: b"a" + code for code in _DTYPES}
_TAG_NONE, _TAG_TRUE, _TAG_FALSE = b"NTF"
_TAG_INT, _TAG_FLOAT, _TAG_STR, _TAG_ARRAY = b"ifsa"
_TAG_TUPLE, _TAG_DICT, _TAG_REF = b"tdr"


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


# -- encoding ---------------------------------------------------------------------------
def encode(value: Any, *, repeats: bool = True) -> bytes:
    """Encode *value* as bytes, or raise :class:`NotPlainData`.

    With *repeats*, an array object that occurs again is sent as a reference to
    its first occurrence; only the trusted side sends references (see :func:`decode`).
    """
    out: list[bytes] = []
    _encode(value, out, 0, {} if repeats else None)
    return b"".join(out)


@lru_cache(maxsize=1024)
def _string(value: str) -> bytes:
    """A string's bytes: tag, length and UTF-8 (the protocol's keys and names recur)."""
    data = value.encode("utf-8", "replace")
    return b"s" + _I.pack(len(data)) + data


def _encode(value: Any, out: list[bytes], depth: int, seen: dict[int, int] | None) -> None:
    """Append *value*'s bytes to *out*; *seen* numbers the arrays encoded so far."""
    kind = type(value)
    if kind is str:
        out.append(_string(value) if len(value) <= 64 else _string.__wrapped__(value))
    elif kind is np.ndarray or isinstance(value, np.ndarray):
        number = None if seen is None else seen.get(id(value))
        if number is None:
            if seen is not None:
                seen[id(value)] = len(seen)
            _encode_array(value, out)
        else:
            out.append(b"r" + _I.pack(number))
    elif kind is tuple:
        if depth >= MAX_DEPTH:
            raise NotPlainData(f"a value nested more than {MAX_DEPTH} levels deep")
        out.append(b"t" + _I.pack(len(value)))
        for item in value:
            _encode(item, out, depth + 1, seen)
    elif kind is dict:
        if depth >= MAX_DEPTH:
            raise NotPlainData(f"a value nested more than {MAX_DEPTH} levels deep")
        out.append(b"d" + _I.pack(len(value)))
        for key, item in value.items():
            if type(key) is not str:
                raise NotPlainData("a dict with a key that is not a string")
            out.append(_string(key) if len(key) <= 64 else _string.__wrapped__(key))
            _encode(item, out, depth + 1, seen)
    elif value is None:
        out.append(b"N")
    elif kind is bool or kind is np.bool_:
        out.append(b"T" if value else b"F")
    elif kind is float or isinstance(value, np.floating):
        out.append(b"f" + _D.pack(float(value)))
    elif kind is int or isinstance(value, np.integer):
        number = int(value)
        if not -(2**63) <= number < 2**63:
            raise NotPlainData("an integer too large for 64 bits")
        out.append(b"i" + _Q.pack(number))
    else:
        raise NotPlainData(f"a {kind.__name__}")


def _encode_array(value: np.ndarray[Any, Any], out: list[bytes]) -> None:
    array = value if type(value) is np.ndarray else np.ndarray.view(value, np.ndarray)
    dtype = array.dtype
    code = _CODES.get(dtype)
    if code is None:
        if dtype.byteorder == ">":
            code = _CODES.get(dtype.newbyteorder("<"))
        if code is None:
            raise NotPlainData(f"an ndarray of dtype {dtype}")
        array = array.astype(_DTYPES[code])
    ndim = array.ndim
    if ndim > MAX_NDIM:
        raise NotPlainData(f"an ndarray with {ndim} dimensions")
    out.append(_HEADERS[code] + _NDIM_AND_SHAPE[ndim].pack(ndim, *array.shape))
    out.append(array.tobytes())


# -- decoding ---------------------------------------------------------------------------
def decode(data: bytes | bytearray | memoryview, *, references: bool = False) -> Any:
    """Decode bytes made by :func:`encode`; raise :class:`DecodeError` on anything else.

    References to earlier arrays are accepted only with *references*: each one
    costs a copy of its array, so a few bytes could otherwise make the decoder
    allocate without bound. The student side accepts them in the grader's
    requests; the grader never accepts them in what student code sends back.
    """
    frame = data if type(data) is bytes else bytes(data)
    try:
        value, pos = _decode(frame, 0, 0, [] if references else None)
    except DecodeError:
        raise
    except (IndexError, struct.error):
        raise DecodeError("frame ends early") from None
    except ValueError as exc:
        raise DecodeError(f"not a valid array ({exc})") from None
    if pos != len(frame):
        raise DecodeError(f"{len(frame) - pos} stray bytes after the value")
    return value


def _decode(
    data: bytes, pos: int, depth: int, arrays: list[np.ndarray[Any, Any]] | None
) -> tuple[Any, int]:
    """The value that starts at *pos* and the position after it.

    *arrays* holds the arrays decoded so far (None: references are refused); a
    reference to one of them decodes as a copy of it, so that every occurrence is
    an array of its own, as if sent again.

    Reading past the end raises IndexError or struct.error, and an impossible
    shape ValueError, which :func:`decode` reports as a DecodeError; every
    length is checked against the bytes left before it is used to allocate.
    """
    tag = data[pos]
    pos += 1
    if tag == _TAG_STR:
        return _decode_str(data, pos)
    if tag == _TAG_ARRAY:
        array, pos = _decode_array(data, pos)
        if arrays is not None:
            arrays.append(array)
        return array, pos
    if tag in (_TAG_TUPLE, _TAG_DICT):
        if depth >= MAX_DEPTH:
            raise DecodeError("nested too deeply")
        count = _I.unpack_from(data, pos)[0]
        pos += 4
        if count > MAX_ITEMS or count > len(data) - pos:
            raise DecodeError("too many items")
        depth += 1
        if tag == _TAG_TUPLE:
            items = []
            for _ in range(count):
                item, pos = _decode(data, pos, depth, arrays)
                items.append(item)
            return tuple(items), pos
        result = {}
        for _ in range(count):
            if data[pos] != _TAG_STR:
                raise DecodeError("dict key is not a string")
            key, pos = _decode_str(data, pos + 1)
            result[key], pos = _decode(data, pos, depth, arrays)
        return result, pos
    if tag == _TAG_REF:
        if arrays is None:
            raise DecodeError("a reference to an earlier array, which is not accepted here")
        number = _I.unpack_from(data, pos)[0]
        if number >= len(arrays):
            raise DecodeError("a reference to an array not sent before")
        return arrays[number].copy(), pos + 4
    if tag == _TAG_NONE:
        return None, pos
    if tag == _TAG_TRUE:
        return True, pos
    if tag == _TAG_FALSE:
        return False, pos
    if tag == _TAG_INT:
        return _Q.unpack_from(data, pos)[0], pos + 8
    if tag == _TAG_FLOAT:
        return _D.unpack_from(data, pos)[0], pos + 8
    raise DecodeError(f"unknown tag {bytes([tag])!r}")


def _decode_str(data: bytes, pos: int) -> tuple[str, int]:
    end = pos + 4 + _I.unpack_from(data, pos)[0]
    if end > len(data):
        raise DecodeError("frame ends early")
    return data[pos + 4 : end].decode("utf-8", "replace"), end


def _decode_array(data: bytes, pos: int) -> tuple[np.ndarray[Any, Any], int]:
    dtype = _DTYPES.get(data[pos : pos + 2])
    ndim = data[pos + 2]
    if dtype is None or ndim > MAX_NDIM:
        raise DecodeError("unknown array header")
    pos += 3
    shape = _SHAPE[ndim].unpack_from(data, pos)
    pos += 8 * ndim
    if ndim and min(shape) < 0:
        raise DecodeError("negative array dimension")
    end = pos + math.prod(shape) * dtype.itemsize
    if end > len(data):
        raise DecodeError("frame ends early")
    return np.ndarray(shape, dtype, data, pos).copy(), end
