"""The zygote: a pre-warmed process that forks one sandbox child per request.

The trusted parent starts it as a fresh interpreter (never a fork of itself,
so it holds no grader state, test source or expected value), with a minimal
environment and a stub ``grader`` package so that only the modules the child
needs are imported: :mod:`grader.wire`, :mod:`grader.runner`, the sandbox's
own modules, numpy and the standard-library modules student code commonly
uses. Forking from it costs about a millisecond; importing numpy afresh would
cost 60 ms or more per child.

It speaks on one ``SOCK_SEQPACKET`` socket with its parent, one message per
packet, each a :mod:`grader.wire` dict:

* parent -> zygote: ``{"op": "spawn", "id": n, "spec": {...}}`` with two file
  descriptors attached (the child's channel socket and its output pipe), which
  the zygote passes on to its *spare*, a child it forked ahead of need, so that
  a submission does not wait for a fork (it forks the next spare afterwards);
  ``{"op": "kill", "pid": p}``; ``{"op": "exit"}``.
* zygote -> parent: ``{"ready": ...}`` once, ``{"spawned": n, "pid": p}`` or
  ``{"spawn_failed": n, "message": m}``, and ``{"exited": p, "status": s,
  "maxrss": kb, "cpu": seconds}`` whenever a child ends.

The zygote reaps its children itself (through pidfds), so a pid it reports or
kills can never belong to an unrelated process. It dies with its parent.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import select
import signal
import socket
import sys
from dataclasses import dataclass
from typing import Any

from grader import wire
from grader.sandbox_child import run_spare
from grader.sandbox_layers import (
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWPID,
    Kernel,
    seccomp_supported,
)

__all__ = ["PRELOAD", "main"]

# The child cannot import what is not loaded here (its root holds only the submission):
# numpy.ma is what np.median, np.percentile and np.quantile import on first use.
PRELOAD = (
    "numpy",
    "numpy.random",
    "numpy.linalg",
    "numpy.fft",
    "numpy.ma",
    "numpy.polynomial",
    "math",
    "cmath",
    "itertools",
    "functools",
    "collections",
    "collections.abc",
    "typing",
    "traceback",
    "linecache",
    "warnings",
    "operator",
    "copy",
    "dataclasses",
    "enum",
    "numbers",
    "random",
    "fractions",
    "re",
    "string",
    "time",
    "heapq",
    "bisect",
    "array",
    "struct",
    "contextlib",
    "abc",
    "types",
    "weakref",
    "gc",
    "threading",
    "ctypes",
    "io",
)
MAX_PACKET = 1 << 16


def main(control_fd: int, parent_pid: int) -> None:
    """Entry point of the zygote process (see :mod:`grader.sandbox` for how it starts)."""
    kernel = Kernel()
    with contextlib.suppress(OSError):
        kernel.parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    control = socket.socket(fileno=control_fd)
    try:
        for name in PRELOAD:
            importlib.import_module(name)
        # Keep the collector away from everything imported so far: a collection in a child
        # would otherwise write to every object's header and copy the zygote's pages.
        gc.collect()
        gc.freeze()
        zygote = _Zygote(control, kernel)
    except BaseException as exc:
        _send(control, {"error": f"{type(exc).__name__}: {exc}"})
        os._exit(1)
    zygote.serve()
    os._exit(0)


def _send(control: socket.socket, message: dict[str, Any]) -> None:
    control.sendall(wire.encode(message))


@dataclass
class _Spare:
    """A child forked ahead of need, waiting on *link* for its submission."""

    pid: int
    link: socket.socket
    generic: dict[str, Any]


class _Zygote:
    def __init__(self, control: socket.socket, kernel: Kernel) -> None:
        self.control = control
        self.kernel = kernel
        self.children: dict[int, int] = {}  # pid -> pidfd (-1 without pidfd support)
        self.poller = select.poll()
        self.poller.register(control.fileno(), select.POLLIN)
        self.pidns_fd = _pid_namespace_fd(kernel)
        self.isolated: _Namespaces | None = None  # made on first need, see _isolated_fds
        self.spare: _Spare | None = None
        self.handed: set[int] = set()
        _send(
            control,
            {
                "ready": True,
                "pid": os.getpid(),
                "euid": os.geteuid(),
                "pid_namespace": self.pidns_fd is not None,
                "seccomp": seccomp_supported(),
            },
        )

    def serve(self) -> None:
        while True:
            timeout = None if all(fd >= 0 for fd in self.children.values()) else 20
            for fd, _event in self.poller.poll(timeout):
                if fd == self.control.fileno() and not self._command():
                    self._shutdown()
                    return
            self._reap()

    def _command(self) -> bool:
        try:
            data, fds, _flags, _addr = socket.recv_fds(self.control, MAX_PACKET, 4)
        except OSError:
            return False
        if not data:
            return False
        try:
            message = wire.decode(data)
        except wire.DecodeError:
            message = {}
        op = message.get("op") if isinstance(message, dict) else None
        if op == "spawn" and len(fds) == 2:
            self._spawn(int(message["id"]), dict(message["spec"]), fds[0], fds[1])
            return True
        for fd in fds:
            os.close(fd)
        if op == "prepare":
            self._prepare(dict(message["spec"]))
        if op == "kill":
            self._kill(int(message["pid"]))
        return op != "exit"

    def _generic(self, spec: dict[str, Any]) -> dict[str, Any]:
        """The part of *spec* a spare is prepared for before its submission is known."""
        privileged = bool(spec.get("privileged")) and os.geteuid() == 0
        namespaces = bool(spec.get("namespaces"))
        # shared only where the seccomp filter will close the ways through it
        filtered = bool(spec.get("seccomp")) and seccomp_supported()
        return {
            "privileged": bool(spec.get("privileged")),
            "namespaces": namespaces,
            "pidns": self.pidns_fd is not None and bool(spec.get("pid_namespace")),
            "netns": privileged and namespaces and filtered and self._isolated_fds() is not None,
        }

    def _isolated_fds(self) -> _Namespaces | None:
        """The network and IPC namespaces the privileged children share, made once.

        Making a network namespace costs a child about a millisecond, and as much again
        to tear down; joining one costs microseconds. The children's seccomp filter
        refuses sockets and System V and POSIX IPC, so a shared, empty namespace leaves
        one child nothing to reach another with.
        """
        if self.isolated is None:
            self.isolated = _make_isolated(self.kernel) or _Namespaces(-1, -1, -1, -1)
        return self.isolated if self.isolated.net >= 0 else None

    def _prepare(self, spec: dict[str, Any]) -> None:
        """Fork a spare for children confined like *spec*, unless one is ready."""
        generic = self._generic(spec)
        if self.spare is None or self.spare.generic != generic:
            self._drop_spare()
            with contextlib.suppress(OSError):
                self.spare = self._fork_spare(generic)

    def _spawn(self, request_id: int, spec: dict[str, Any], channel: int, output: int) -> None:
        """Hand the submission to a spare child (forked now if none fits); fork the next spare."""
        generic = self._generic(spec)
        spare = self.spare if self.spare is not None and self.spare.generic == generic else None
        if spare is None:
            self._drop_spare()
            try:
                spare = self._fork_spare(generic)
            except OSError as exc:
                os.close(channel)
                os.close(output)
                _send(self.control, {"spawn_failed": request_id, "message": str(exc)})
                return
        self.spare = None
        try:
            socket.send_fds(spare.link, [wire.encode(spec)], [channel, output])
        except OSError as exc:
            self._kill(spare.pid)
            _send(self.control, {"spawn_failed": request_id, "message": str(exc)})
            return
        finally:
            spare.link.close()
            os.close(channel)
            os.close(output)
        self.handed.add(spare.pid)
        _send(self.control, {"spawned": request_id, "pid": spare.pid})
        with contextlib.suppress(OSError):
            self.spare = self._fork_spare(generic)

    def _fork_spare(self, generic: dict[str, Any]) -> _Spare:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        shared = self._isolated_fds() if generic["netns"] else None
        pid = -1
        try:
            if generic["pidns"]:
                self.kernel.unshare(CLONE_NEWPID)
            if shared is not None:
                _enter(self.kernel, shared.net, shared.ipc)
            pid = os.fork()
        except OSError:
            ours.close()
            theirs.close()
            raise
        finally:
            if pid != 0:  # the zygote, whether or not the fork worked, goes back home
                if generic["pidns"]:
                    self._restore_pid_namespace()
                if shared is not None:
                    _enter(self.kernel, shared.own_net, shared.own_ipc)
        if pid == 0:
            run_spare(theirs.fileno(), generic, self.kernel)
        theirs.close()
        try:
            pidfd = os.pidfd_open(pid)
            self.poller.register(pidfd, select.POLLIN)
        except (AttributeError, OSError):
            pidfd = -1
        self.children[pid] = pidfd
        return _Spare(pid, ours, generic)

    def _drop_spare(self) -> None:
        if self.spare is not None:
            self.spare.link.close()
            self._kill(self.spare.pid)
            self.spare = None

    def _restore_pid_namespace(self) -> None:
        """The next fork lands in this process's own PID namespace again."""
        if self.pidns_fd is not None:
            self.kernel.setns(self.pidns_fd, CLONE_NEWPID)

    def _kill(self, pid: int) -> None:
        if pid not in self.children:
            return
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(OSError):
                kill(pid, signal.SIGKILL)

    def _reap(self) -> None:
        for pid, pidfd in list(self.children.items()):
            try:
                done, status, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                done, status, usage = pid, 0, None
            if done == 0:
                continue
            del self.children[pid]
            if pidfd >= 0:
                self.poller.unregister(pidfd)
                os.close(pidfd)
            if self.spare is not None and self.spare.pid == pid:
                self.spare.link.close()
                self.spare = None
            if pid not in self.handed:
                continue
            self.handed.discard(pid)
            report: dict[str, Any] = {"exited": pid, "status": status, "maxrss": 0, "cpu": 0.0}
            if usage is not None:
                report["maxrss"] = int(usage.ru_maxrss)
                report["cpu"] = float(usage.ru_utime + usage.ru_stime)
            with contextlib.suppress(OSError):
                _send(self.control, report)

    def _shutdown(self) -> None:
        self._drop_spare()
        for pid in list(self.children):
            self._kill(pid)
        for pid in list(self.children):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.children.clear()


@dataclass(frozen=True)
class _Namespaces:
    """Fds on the children's shared network and IPC namespaces, and on the zygote's own."""

    net: int
    ipc: int
    own_net: int
    own_ipc: int


def _enter(kernel: Kernel, net: int, ipc: int) -> None:
    kernel.setns(net, CLONE_NEWNET)
    kernel.setns(ipc, CLONE_NEWIPC)


def _make_isolated(kernel: Kernel) -> _Namespaces | None:
    """New network and IPC namespaces, left by this process at once; None where not allowed."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return None
    opened: list[int] = []
    try:
        for name in ("net", "ipc"):
            opened.append(os.open(f"/proc/self/ns/{name}", os.O_RDONLY | os.O_CLOEXEC))
        kernel.unshare(CLONE_NEWNET | CLONE_NEWIPC)
        try:
            for name in ("net", "ipc"):
                opened.append(os.open(f"/proc/self/ns/{name}", os.O_RDONLY | os.O_CLOEXEC))
        finally:
            _enter(kernel, opened[0], opened[1])
    except OSError:
        for fd in opened:
            os.close(fd)
        return None
    own_net, own_ipc, net, ipc = opened
    return _Namespaces(net, ipc, own_net, own_ipc)


def _pid_namespace_fd(kernel: Kernel) -> int | None:
    """An fd on this process's PID namespace if new PID namespaces work here, else None.

    Tried in a throwaway child first: ``unshare(CLONE_NEWPID)`` changes where the
    *next* fork lands, and only a working ``setns`` back makes that repeatable.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            kernel.unshare(CLONE_NEWPID)
            kernel.setns(own, CLONE_NEWPID)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        os.close(own)
        return None
    return own
