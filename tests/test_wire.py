"""The plain-data codec: what crosses from student code, and what is refused."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from grader.sandbox_protocol import FrameReader, ProtocolError, pack
from grader.wire import DecodeError, NotPlainData, decode, encode


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        -(2**63),
        2.5,
        "text",
        (1, 2.0, None),
        {"a": (1, "b")},
        np.arange(12, dtype=np.float64).reshape(3, 4),
        np.array([1, 0, -1], dtype=np.int8),
        np.zeros((0, 3)),
        np.array(True),
    ],
)
def test_round_trip(value):
    back = decode(encode(value))
    if isinstance(value, np.ndarray):
        assert type(back) is np.ndarray
        assert back.dtype == value.dtype and back.shape == value.shape
        np.testing.assert_array_equal(back, value)
    else:
        assert back == value and type(back) is type(value)


def test_numpy_scalars_become_python_numbers():
    assert type(decode(encode(np.float64(1.5)))) is float
    assert type(decode(encode(np.int32(7)))) is int


def test_ndarray_subclass_arrives_as_a_plain_ndarray():
    class Lying(np.ndarray):
        def __eq__(self, other):
            return True

    value = np.arange(3.0).view(Lying)
    back = decode(encode(value))
    assert type(back) is np.ndarray
    assert not np.array_equal(back, np.zeros(3))


def test_non_contiguous_and_big_endian_arrays():
    value = np.arange(20.0).reshape(4, 5)[:, ::2]
    np.testing.assert_array_equal(decode(encode(value)), value)
    big = np.arange(4, dtype=">f8")
    np.testing.assert_array_equal(decode(encode(big)), big)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ([1, 2], "list"),
        (np.array([object()]), "dtype object"),
        (np.array([1 + 2j]), "complex"),
        (lambda: 1, "function"),
        (2**70, "too large"),
        ({1: 2}, "key"),
    ],
)
def test_not_plain_data_is_refused_with_a_description(value, said):
    with pytest.raises(NotPlainData, match=said):
        encode(value)


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"X",
        b"a" + b"f8" + bytes([1]) + (10).to_bytes(8, "little"),
        b"a" + b"f8" + bytes([1]) + (-1).to_bytes(8, "little", signed=True),
        b"a" + b"O!" + bytes([0]),
        b"t" + (5).to_bytes(4, "little") + b"N",
        b"NN",
        b"i" + bytes(4),
        b"s" + (100).to_bytes(4, "little") + b"short",
        b"d" + (1).to_bytes(4, "little") + b"i" + bytes(8) + b"N",
        b"a" + b"f8" + bytes([2]) + (0).to_bytes(8, "little") + (2**62).to_bytes(8, "little"),
        b"t" + (1).to_bytes(4, "little") * 1 + (b"t" + (1).to_bytes(4, "little")) * 9 + b"N",
        pickle.dumps([1, 2, 3]),
    ],
)
def test_malformed_frames_are_rejected(frame):
    with pytest.raises(DecodeError):
        decode(frame)


def test_decoded_arrays_are_writable_copies_that_own_their_data():
    frame = encode((np.arange(6.0).reshape(2, 3), np.arange(3, dtype=np.int64)))
    first, second = decode(frame)
    assert first.flags.writeable and first.flags.owndata and first.flags.c_contiguous
    first[0, 0] = 99.0
    assert decode(frame)[0][0, 0] == 0.0
    np.testing.assert_array_equal(second, [0, 1, 2])


@pytest.mark.parametrize("chunk", [1, 5, 12, 13, 1000])
def test_frame_reader_splits_a_stream_into_frames_in_any_chunking(chunk):
    stream = pack(1, b"first") + pack(2, b"") + pack(3, encode(np.ones(4)))
    reader, frames = FrameReader(1 << 20), []
    for start in range(0, len(stream), chunk):
        frame = reader.take(memoryview(stream[start : start + chunk]))
        while frame is not None:
            frames.append(frame)
            frame = reader.next()
    assert [(i, p) for i, p in frames[:2]] == [(1, b"first"), (2, b"")]
    assert frames[2][0] == 3
    np.testing.assert_array_equal(decode(frames[2][1]), np.ones(4))
    assert reader.pending == 0


def test_frame_reader_refuses_a_frame_above_its_limit_even_when_whole():
    with pytest.raises(ProtocolError, match="above the limit"):
        FrameReader(8).take(memoryview(pack(1, b"123456789")))


def test_an_array_repeated_in_one_value_is_sent_once_and_arrives_as_separate_copies():
    shared = np.arange(100.0)
    calls = tuple(((shared, np.full(2, float(k))), {}) for k in range(10))
    frame = encode(calls)
    assert len(frame) < 2 * shared.nbytes
    copies = tuple(((shared.copy(), np.full(2, float(k))), {}) for k in range(10))
    assert len(encode(copies)) > 10 * shared.nbytes
    back = decode(frame, references=True)
    firsts = [args[0] for args, _ in back]
    for array in firsts:
        np.testing.assert_array_equal(array, shared)
    firsts[0][0] = -1.0
    assert all(array[0] == 0.0 for array in firsts[1:])
    assert len({id(array) for array in firsts}) == len(firsts)


@pytest.mark.parametrize(
    "frame",
    [
        b"r" + (0).to_bytes(4, "little"),
        b"t" + (2).to_bytes(4, "little") + b"r" + (0).to_bytes(4, "little") + b"N",
        b"t" + (2).to_bytes(4, "little") + encode(np.ones(2)) + b"r" + (1).to_bytes(4, "little"),
    ],
)
def test_a_reference_to_an_array_not_sent_before_is_rejected(frame):
    with pytest.raises(DecodeError, match="not sent before"):
        decode(frame, references=True)


def test_references_are_refused_unless_asked_for_so_a_reply_cannot_amplify_itself():
    big = np.zeros(1 << 16)
    bomb = b"t" + (1000).to_bytes(4, "little") + encode(big) + (b"r" + bytes(4)) * 999
    with pytest.raises(DecodeError, match="not accepted here"):
        decode(bomb)
    repeated = (big, big)
    assert len(encode(repeated, repeats=False)) > 2 * big.nbytes
    first, second = decode(encode(repeated, repeats=False))
    assert first is not second and first.shape == second.shape == big.shape
