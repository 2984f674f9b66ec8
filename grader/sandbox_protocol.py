"""Frames on the sandbox's sockets, and the capped capture of a child's output.

A frame is a 12-byte header (payload length, request id; little endian) and the
payload, which is always bytes made by :mod:`grader.wire`. The reader checks
the length against a maximum before it buffers anything, so a child cannot
make the grader allocate more than that by announcing a huge frame.

Used on both sides: the trusted parent reads with :class:`FrameReader` and a
deadline; the child and the zygote use the blocking helpers.
"""

from __future__ import annotations

import os
import socket
import struct
import time

__all__ = [
    "HEADER",
    "FrameReader",
    "FrameSocket",
    "OutputCapture",
    "ProtocolError",
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

    def send(self, request_id: int, payload: bytes) -> None:
        self.sock.sendall(pack(request_id, payload))


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
