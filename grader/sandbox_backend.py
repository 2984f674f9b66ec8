"""The trusted side of one submission's sandbox: send requests, judge what comes back.

:class:`SandboxBackend` implements the :class:`~grader.student.Backend`
protocol. It starts its child lazily (forked by the :class:`~grader.sandbox.Sandbox`'s
zygote), sends each request as a frame with a fresh request id, and waits with
a per-call wall-clock timeout inside a per-submission budget while draining the
child's output. The reply must be a frame with the same id whose payload
:mod:`grader.wire` decodes (never pickle) into the exact shape the request
calls for; anything else stops the child.

Every way a child can end a call becomes a :class:`~grader.errors.StudentFault`:
a timeout (:class:`StudentTimeout`), death by a signal, ``os._exit`` or the CPU
limit (:class:`StudentCrashed`), a ``MemoryError`` or death at the memory limit
(:class:`StudentOutOfMemory`), a malformed reply (:class:`StudentCrashed`).
The broken child is killed and the next request starts a fresh one, replaying
the modules loaded so far, so that the remaining checks still run.

``{"op": "fresh", "requests": (...)}`` runs the given requests, in order, in a
new child of their own (modules loaded, nothing else run before) and returns
``{"ok": (reply, ...)}``: a way to ask what a function returns without any
state left behind by earlier calls.

:meth:`SandboxBackend.request_each` sends several requests at once (the checks
of :mod:`grader.interleave`); the child answers them in order and sends the
replies together, naming a request that runs long (an empty frame with its id),
so that a request that hangs or ends the child is known and blamed alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import select
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from grader import wire
from grader.errors import (
    SandboxError,
    StudentCrashed,
    StudentFault,
    StudentTimeout,
)
from grader.sandbox import ExitInfo, Sandbox, SandboxLimits
from grader.sandbox_faults import channel_fault, exit_fault, timeout_fault
from grader.sandbox_protocol import (
    FrameReader,
    OutputCapture,
    ProtocolError,
    check_reply,
    describe_request,
    pack,
)
from grader.student import RequestAgain

__all__ = ["SandboxBackend"]

_F_SETPIPE_SZ = 1031
_EXIT_WAIT = 5.0
_START_TIMEOUT = 10.0


class _TimedOut(Exception):
    """The deadline passed before a whole frame arrived; *frames* are those that did."""

    def __init__(self, frames: list[tuple[int, bytes]]) -> None:
        super().__init__()
        self.frames = frames


class _Child:
    """One sandboxed process: its pid, channel, output pipe and directory."""

    def __init__(self, pid: int, sock: socket.socket, output_fd: int, root: Path, limit: int):
        self.pid = pid
        self.sock = sock
        self.output_fd = output_fd
        self.root = root
        self.reader = FrameReader(limit)
        self.buffer = bytearray(1 << 20)
        self.layers: tuple[str, ...] = ()
        self.running = 0  # the request the child last said it was still working on
        self.poller = select.poll()
        self.poller.register(sock.fileno(), select.POLLIN)
        self.poller.register(output_fd, select.POLLIN)


class SandboxBackend:
    """Runs one submission's modules in sandboxed children; see the module docstring."""

    def __init__(self, sandbox: Sandbox, folder: Path, limits: SandboxLimits) -> None:
        self.layers: tuple[str, ...] = ()
        self._sandbox = sandbox
        self._config = sandbox.config
        self._folder = Path(os.path.normpath(folder.absolute()))
        self._limits = limits
        self._child: _Child | None = None
        self._loads: dict[str, dict[str, Any]] = {}
        self._output = OutputCapture(self._config.output_bytes)
        self._budget_end: float | None = None
        self._next_id = 0
        self._fresh_start = False

    # -- the Backend protocol -------------------------------------------------------------
    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        if time.monotonic() >= self._clock():
            raise StudentTimeout(self._budget_message())
        if message.get("op") == "fresh":
            return self._fresh(message, timeout)
        if message.get("op") == "load":
            message = self._relocate(message)
        child = self._child or self._start()
        self._child = child
        reply = self._exchange(child, message, timeout)
        if self._out_of_memory(message, reply):
            self._discard(child)
        return reply

    def request_each(
        self, messages: Sequence[dict[str, Any]], timeouts: Sequence[float]
    ) -> list[dict[str, Any] | StudentFault | RequestAgain | None]:
        """Send *messages* to the child at once; each one's reply, fault, or neither.

        The child answers them in order, as if they came one by one, and each must be
        answered within its timeout of the answer before it. A reply is the one
        :meth:`request` would return; a fault is what it would raise.
        :class:`~grader.student.RequestAgain` means the message was not answered
        because an earlier one ended the child (it hung, died or ran out of memory):
        send it again. None means the child hung or died with several messages
        unanswered and it is not known which of them was running (the child names
        the running request after :data:`~grader.sandbox_child.FLUSH_AFTER`, unless
        it is stuck where Python cannot interrupt it): send them again one by one.
        """
        outcomes: list[dict[str, Any] | StudentFault | RequestAgain | None] = [None] * len(
            messages
        )
        if len(messages) == 1:
            try:
                outcomes[0] = self.request(messages[0], timeouts[0])
            except StudentFault as fault:
                outcomes[0] = fault
            return outcomes
        budget_end = self._clock()
        if time.monotonic() >= budget_end:
            return [StudentTimeout(self._budget_message()), *(RequestAgain() for _ in messages[1:])]
        sent = [self._relocate(m) if m.get("op") == "load" else m for m in messages]
        try:
            child = self._child or self._start()
        except StudentFault as fault:
            outcomes[0] = fault
            return outcomes
        self._child = child
        first = self._next_id + 1
        self._next_id += len(sent)
        data = b"".join(
            pack(first + index, wire.encode(message)) for index, message in enumerate(sent)
        )

        def due(arrived: int, at: float) -> float:
            return min(at + timeouts[arrived], budget_end)

        try:
            frames = self._pump(child, data, len(sent), due)
            ended = len(frames) < len(sent)
        except _TimedOut as timed_out:
            frames = timed_out.frames
            ended = False
        except ProtocolError:
            self._discard(child)
            return outcomes
        broken = False
        for index, frame in enumerate(frames):
            message = sent[index]
            try:
                reply = _judge(frame, first + index, message)
            except ProtocolError as exc:
                outcomes[index] = channel_fault(message, exc)
                broken = True
                break
            outcomes[index] = reply
            if self._out_of_memory(message, reply):
                broken = True
                break
        answered = sum(outcome is not None for outcome in outcomes)
        if answered == len(sent) and not broken:
            return outcomes
        # the request that was running: the last one, or the one the child named
        known = answered == len(sent) - 1 or child.running == first + answered
        if not broken and known and ended:
            outcomes[answered] = self._ended(child, describe_request(sent[answered]))
        else:
            self._discard(child)
            if not broken and time.monotonic() >= budget_end:
                outcomes[answered] = StudentTimeout(self._budget_message())
            elif not broken and known:
                outcomes[answered] = timeout_fault(sent[answered], timeouts[answered])
            elif not broken:
                return outcomes
        for index in range(len(sent)):
            if outcomes[index] is None:
                outcomes[index] = RequestAgain()
        return outcomes

    def _out_of_memory(self, message: dict[str, Any], reply: dict[str, Any]) -> bool:
        """Keep a load that worked, to replay in later children; whether *reply* says the
        child ran out of memory (it is then discarded: the next request gets a fresh one)."""
        if message.get("op") == "load" and "fault" not in reply:
            self._loads[str(message["key"])] = message
        return reply.get("exc_type") == "MemoryError"

    def _clock(self) -> float:
        """When the submission's grading time ends; its first request starts the clock."""
        if self._fresh_start:
            self._fresh_start = False
            self._output = OutputCapture(self._config.output_bytes)
            self._budget_end = None
        if self._budget_end is None:
            self._budget_end = time.monotonic() + self._limits.submission_timeout
        return self._budget_end

    def close(self) -> None:
        """Kill the child (and everything it started) and remove its directory."""
        if self._child is not None:
            self._discard(self._child)
        self._loads.clear()
        self._fresh_start = True

    def output(self) -> str:
        """The child's stdout and stderr: the first bytes, then how many more there were."""
        return self._output.text()

    # -- children -----------------------------------------------------------------------
    def _start(self, keys: set[str] | None = None) -> _Child:
        """Fork a confined child, wait for its hello, and load the modules loaded so far.

        With *keys*, only the modules of those keys are loaded.
        """
        child = self._spawn()
        for key, load in self._loads.items():
            if keys is not None and key not in keys:
                continue
            reply = self._exchange(child, load, self._limits.call_timeout)
            if "fault" in reply:
                self._discard(child)
                raise StudentCrashed(
                    "your module imported before but failed when it was imported again "
                    f"in a fresh process: {reply.get('message', '')}"
                )
        return child

    def _spawn(self) -> _Child:
        config = self._config
        root = Path(tempfile.mkdtemp(prefix="grader-sandbox-", dir=config.child_dir))
        os.chmod(root, 0o755)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        output_read, output_write = os.pipe()
        with contextlib.suppress(OSError):
            fcntl.fcntl(output_read, _F_SETPIPE_SZ, 1 << 20)
        os.set_blocking(output_read, False)
        info = self._sandbox.ready()
        as_root = config.as_root and int(info.get("euid", -1)) == 0
        spec = {
            "root": str(root),
            "source": str(self._folder),
            "uid": config.uid,
            "gid": config.gid,
            **config.confinement(as_root),
            "memory_mb": self._limits.memory_mb,
            "cpu_seconds": self._limits.cpu_seconds,
            "max_processes": config.max_processes,
            "max_file_bytes": config.max_file_bytes,
            "max_open_files": config.max_open_files,
            "max_files": config.max_files,
            "max_bytes": config.max_bytes,
            "spin": float(config.spin),
        }
        try:
            pid = self._sandbox.spawn(spec, theirs.fileno(), output_write)
        except BaseException:
            ours.close()
            os.close(output_read)
            _remove_tree(root)
            raise
        finally:
            theirs.close()
            os.close(output_write)
        ours.setblocking(False)
        child = _Child(pid, ours, output_read, root, config.max_frame)
        hello = self._hello(child)
        layers = hello.get("layers")
        notes = hello.get("notes", ())
        if not isinstance(layers, tuple) or not all(isinstance(x, str) for x in layers):
            self._discard(child)
            raise SandboxError("the sandbox child did not start properly")
        child.layers = layers
        self.layers = layers
        for note in notes if isinstance(notes, tuple) else ():
            if isinstance(note, str) and note not in self._output.notes:
                self._output.notes.append(note)
        return child

    def _hello(self, child: _Child) -> dict[str, Any]:
        deadline = time.monotonic() + max(_START_TIMEOUT, self._limits.call_timeout)
        try:
            frame = self._transact(child, b"", deadline)
        except (ProtocolError, _TimedOut):
            frame = None
        if frame is None or frame[0] != 0:
            self._discard(child)
            raise SandboxError(
                "the sandbox child did not start: " + self._output.kept.decode()[-300:]
            )
        hello = wire.decode(frame[1])
        if not isinstance(hello, dict):
            raise SandboxError("the sandbox child sent a malformed greeting")
        return hello

    def _discard(self, child: _Child) -> ExitInfo | None:
        """Kill *child*, wait until it is reaped, keep its last output, remove its files."""
        if self._child is child:
            self._child = None
        self._sandbox.kill(child.pid)
        info = self._sandbox.wait_exit(child.pid, _EXIT_WAIT)
        child.sock.close()
        if child.output_fd >= 0:
            self._output.drain(child.output_fd)
            os.close(child.output_fd)
            child.output_fd = -1
        _remove_tree(child.root)
        return info

    def _fresh(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        requests = message.get("requests")
        if not isinstance(requests, tuple):
            raise SandboxError("a fresh request needs a tuple of requests")
        child = self._start({str(r.get("key")) for r in requests if isinstance(r, dict)})
        try:
            replies = tuple(self._exchange(child, dict(r), timeout) for r in requests)
        finally:
            if child.output_fd >= 0:
                self._discard(child)
        return {"ok": replies}

    # -- one request --------------------------------------------------------------------
    def _exchange(self, child: _Child, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send *message* to *child* and return its checked reply, or raise a StudentFault."""
        self._next_id += 1
        request_id = self._next_id
        now = time.monotonic()
        budget_end = self._budget_end if self._budget_end is not None else math.inf
        deadline = min(now + timeout, budget_end)
        try:
            try:
                frame = self._transact(child, pack(request_id, wire.encode(message)), deadline)
            except _TimedOut:
                self._discard(child)
                if deadline >= budget_end:
                    raise StudentTimeout(self._budget_message()) from None
                raise timeout_fault(message, timeout) from None
            if frame is None:
                raise self._ended(child, describe_request(message))
            checked = _judge(frame, request_id, message)
        except ProtocolError as exc:
            self._discard(child)
            raise channel_fault(message, exc) from None
        return checked

    def _transact(self, child: _Child, data: bytes, deadline: float) -> tuple[int, bytes] | None:
        """Send *data*, then wait for one frame; None at end of file; _TimedOut at *deadline*."""
        frames = self._pump(child, data, 1, lambda _arrived, _at: deadline)
        return frames[0] if frames else None

    def _pump(
        self,
        child: _Child,
        data: bytes,
        count: int,
        deadline: Callable[[int, float], float],
    ) -> list[tuple[int, bytes]]:
        """Send *data*, then read up to *count* frames; fewer at end of file.

        ``deadline(arrived, at)`` is when the next frame is due, *arrived* frames
        having come, the last at *at* (at first, when the sending began); past it,
        :class:`_TimedOut` carries the frames that did come. The child's output is
        drained whenever the pipe is reported readable; a child flushes it before it
        replies, so it is read with the reply.
        """
        sock = child.sock
        sock_fd = sock.fileno()
        poller = child.poller
        frames: list[tuple[int, bytes]] = []
        pending = memoryview(data)
        due = deadline(0, time.monotonic())
        if pending:
            try:
                pending = pending[sock.send(pending) :]
            except BlockingIOError:
                pass
            except OSError:
                return frames
            if pending:
                poller.modify(sock_fd, select.POLLIN | select.POLLOUT)
        frame = child.reader.next()
        spin_end = time.monotonic() + self._config.spin
        while True:
            while frame is not None:
                if not frame[1]:
                    # a notice: the child is still working on this request
                    child.running = frame[0]
                    frame = child.reader.next()
                    continue
                frames.append(frame)
                if len(frames) == count:
                    if pending:
                        poller.modify(sock_fd, select.POLLIN)
                    return frames
                due = deadline(len(frames), time.monotonic())
                frame = child.reader.next()
            now = time.monotonic()
            remaining = due - now
            if remaining <= 0:
                raise _TimedOut(frames)
            wait = 0 if now < spin_end else max(1, math.ceil(remaining * 1000))
            for fd, event in poller.poll(wait):
                if fd != sock_fd:
                    if fd == child.output_fd and not self._output.drain(fd):
                        poller.unregister(fd)
                        os.close(fd)
                        child.output_fd = -1
                    continue
                if event & select.POLLOUT and pending:
                    try:
                        pending = pending[sock.send(pending) :]
                    except BlockingIOError:
                        pass
                    except OSError:
                        return frames
                    if not pending:
                        poller.modify(sock_fd, select.POLLIN)
                if event & (select.POLLIN | select.POLLHUP | select.POLLERR):
                    try:
                        got = sock.recv_into(child.buffer)
                    except BlockingIOError:
                        continue
                    except OSError:
                        return frames
                    if got == 0:
                        return frames
                    frame = child.reader.take(memoryview(child.buffer)[:got])

    def _ended(self, child: _Child, what: str) -> StudentFault:
        """The fault for a child that closed its channel: how did it end?"""
        info = self._discard(child)
        return exit_fault(info, bytes(self._output.tail), self._limits, what)

    # -- helpers ------------------------------------------------------------------------
    def _relocate(self, message: dict[str, Any]) -> dict[str, Any]:
        """The load request with the module's path as the child sees it: relative to its root."""
        path = Path(os.path.normpath(Path(str(message.get("path", ""))).absolute()))
        try:
            relative = path.relative_to(self._folder)
        except ValueError:
            relative = Path("outside-the-submission") / path.name
        return {**message, "path": relative.as_posix()}

    def _budget_message(self) -> str:
        return (
            f"the submission used up its {self._limits.submission_timeout:g} s of grading time; "
            "this check was not run"
        )


def _judge(frame: tuple[int, bytes], request_id: int, message: dict[str, Any]) -> dict[str, Any]:
    """The reply in *frame* to request *request_id*, *message*; else raise ProtocolError."""
    reply_id, payload = frame
    if reply_id != request_id:
        raise ProtocolError("a reply to a request that was not made")
    try:
        reply = wire.decode(payload)
    except wire.DecodeError as exc:
        raise ProtocolError(f"the reply is not plain data ({exc})") from None
    return check_reply(reply, message)


def _remove_tree(root: Path) -> None:
    """Remove a child's directory; never follows a link the child may have made."""
    if not root.exists():
        return
    for dirpath, _dirnames, _filenames in os.walk(root):
        with contextlib.suppress(OSError):
            if stat.S_ISDIR(os.lstat(dirpath).st_mode):
                os.chmod(dirpath, 0o700)
    shutil.rmtree(root, ignore_errors=True)
