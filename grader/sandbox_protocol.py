"""Frames on the sandbox's sockets, and the capped capture of a child's output.

A frame is a 12-byte header (payload length, request id; little endian) and the
payload, which is always bytes made by :mod:`grader.wire`. The reader checks
the length against a maximum before it buffers anything, so a child cannot
make the grader allocate more than that by announcing a huge frame.

Used on both sides: the trusted parent reads with :class:`FrameReader` and a
deadline; the child and the zygote use the blocking helpers. The parent checks
every reply's shape against its request with :func:`check_reply`.
"""

from __future__ import annotations

import os
import socket
import struct
import time
from pathlib import Path
from typing import Any

__all__ = [
    "HEADER",
    "FrameReader",
    "FrameSocket",
    "OutputCapture",
    "ProtocolError",
    "check_reply",
    "describe_request",
    "pack",
]

HEADER = struct.Struct("<IQ")
_TAIL = 4096


class ProtocolError(Exception):
    """The bytes on a channel are not a well-formed frame."""


def pack(request_id: int, payload: bytes) -> bytes:
    """One frame: header and payload."""
    return HEADER.pack(len(payload), request_id) + payload


class FrameReader:
    """Splits a byte stream into frames; refuses frames above *limit* bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) >= HEADER.size:
            size, _ = HEADER.unpack_from(self._buffer)
            if size > self.limit:
                raise ProtocolError(f"a frame of {size} bytes is above the limit of {self.limit}")

    def take(self, data: memoryview) -> tuple[int, bytes] | None:
        """Feed *data* and return the next complete frame, or None.

        When nothing is buffered and *data* is exactly one frame, as in a
        request and its reply, the frame is cut out of *data* without a copy
        into the buffer.
        """
        if not self._buffer and len(data) >= HEADER.size:
            size, request_id = HEADER.unpack_from(data)
            if len(data) == HEADER.size + size and size <= self.limit:
                return request_id, bytes(data[HEADER.size :])
        self.feed(bytes(data))
        return self.next()

    def next(self) -> tuple[int, bytes] | None:
        """The next complete frame as (request id, payload), or None."""
        if len(self._buffer) < HEADER.size:
            return None
        size, request_id = HEADER.unpack_from(self._buffer)
        if size > self.limit:
            raise ProtocolError(f"a frame of {size} bytes is above the limit of {self.limit}")
        end = HEADER.size + size
        if len(self._buffer) < end:
            return None
        payload = bytes(self._buffer[HEADER.size : end])
        del self._buffer[:end]
        return request_id, payload

    @property
    def pending(self) -> int:
        return len(self._buffer)


class FrameSocket:
    """Blocking frames on a socket, read with as few system calls as possible.

    With *spin* (seconds), a read polls the socket that long without sleeping
    before it blocks.
    """

    def __init__(self, sock: socket.socket, spin: float = 0.0) -> None:
        self.sock = sock
        self.spin_ns = int(spin * 1e9)
        self._buffer = bytearray(1 << 16)
        self._reader = FrameReader(1 << 62)

    def recv(self) -> tuple[int, bytes] | None:
        """The next frame; None when the other end closed the socket."""
        frame = self._reader.next()
        while frame is None:
            count = self._recv_into()
            if count == 0:
                return None
            frame = self._reader.take(memoryview(self._buffer)[:count])
        return frame

    def _recv_into(self) -> int:
        if self.spin_ns:
            end = time.perf_counter_ns() + self.spin_ns
            while True:
                try:
                    return self.sock.recv_into(self._buffer, 0, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    if time.perf_counter_ns() > end:
                        break
        return self.sock.recv_into(self._buffer)

    def waiting(self) -> tuple[int, bytes] | None:
        """The next frame if it has already arrived, else None; never blocks."""
        frame = self._reader.next()
        while frame is None:
            try:
                count = self.sock.recv_into(self._buffer, 0, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return None
            if count == 0:
                return None
            frame = self._reader.take(memoryview(self._buffer)[:count])
        return frame

    def send(self, request_id: int, payload: bytes) -> None:
        self.sock.sendall(pack(request_id, payload))

    def send_all(self, frames: list[tuple[int, bytes]]) -> None:
        """Send several frames at once."""
        self.sock.sendall(b"".join(pack(request_id, payload) for request_id, payload in frames))


class OutputCapture:
    """Keeps the first *limit* bytes of a child's stdout and stderr and counts the rest.

    ``tail`` holds the last few KiB seen, to tell why a child died.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept = bytearray()
        self.tail = bytearray()
        self.dropped = 0
        self.notes: list[str] = []
        self._scratch = bytearray(1 << 20)

    def drain(self, fd: int) -> bool:
        """Read what *fd* (non-blocking) holds now; False once it reached end of file."""
        view = memoryview(self._scratch)
        while True:
            try:
                count = os.readv(fd, [view])
            except BlockingIOError:
                return True
            except OSError:
                return False
            if count == 0:
                return False
            if count >= _TAIL:
                self.tail = bytearray(view[count - _TAIL : count])
            else:
                self.tail = (self.tail + view[:count])[-_TAIL:]
            room = self.limit - len(self.kept)
            if room > 0:
                self.kept += view[: min(room, count)]
            self.dropped += max(0, count - max(room, 0))

    def text(self) -> str:
        shown = self.kept.decode("utf-8", "replace")
        if self.dropped:
            shown += f"\n[... {self.dropped} more bytes of output not kept]"
        for note in self.notes:
            shown += f"\n[sandbox] {note}"
        return shown


# -- the replies a child may send --------------------------------------------------------

_FAULT_KINDS = ("import", "raised", "return")


def describe_request(message: dict[str, Any]) -> str:
    """What *message* asks of the student's code, for a fault's message."""
    if message.get("op") == "load":
        return f"importing {Path(str(message.get('path', ''))).name}"
    if message.get("op") == "many":
        names = dict.fromkeys(str(call[0]) for call in message.get("calls", ()) if call)
        return " or ".join(f"{name}()" for name in names) or "your functions"
    return f"{message.get('fn', 'your function')}()"


def check_reply(reply: Any, message: dict[str, Any]) -> dict[str, Any]:
    """*reply*, if it has exactly the shape *message* calls for; else raise ProtocolError."""
    if not isinstance(reply, dict):
        raise ProtocolError("the reply is not a dict")
    if "fault" in reply:
        types = {"fault": str, "message": str, "exc_type": str, "not_implemented": bool}
        if set(reply) != set(types) or reply["fault"] not in _FAULT_KINDS:
            raise ProtocolError("a malformed fault")
        if not all(type(reply[key]) is kind for key, kind in types.items()):
            raise ProtocolError("a malformed fault")
        return reply
    op = message.get("op")
    wants_inputs = op in ("call", "many") and bool(message.get("inputs"))
    if set(reply) != ({"ok", "inputs"} if wants_inputs else {"ok"}):
        raise ProtocolError("unexpected keys in the reply")
    if op == "load" and reply["ok"] is not None:
        raise ProtocolError("a load answered with a value")
    if op in ("map", "many"):
        calls = message.get("calls", ())
        if not isinstance(reply["ok"], tuple) or len(reply["ok"]) != len(calls):
            raise ProtocolError("a batch answered with the wrong number of results")
    if wants_inputs:
        inputs = reply["inputs"]
        if op == "call":
            inputs = (inputs,)
        elif not isinstance(inputs, tuple) or len(inputs) != len(message.get("calls", ())):
            raise ProtocolError("malformed inputs")
        if not all(_is_inputs(one) for one in inputs):
            raise ProtocolError("malformed inputs")
    return reply


def _is_inputs(value: Any) -> bool:
    """Whether *value* is a call's ``(args, kwargs)`` as the child reports them."""
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], tuple)
        and isinstance(value[1], dict)
    )
