"""The sandbox child: confine a freshly forked process, then answer requests.

The zygote forks each child ahead of need (a *spare*), and, as root, in a new
PID namespace. :func:`run_spare` first applies the layers that do not depend on
the submission and warms the code paths of a first request, then waits for its
submission. Every layer is in place before any student code is loaded:

1. die with the zygote (``PR_SET_PDEATHSIG``), own session and process group;
2. as root: new network and IPC namespaces;
3. file descriptors: stdout and stderr to the parent's capture pipe, stdin empty,
   the channel on fd 3, every other descriptor closed;
4. the submission's regular files copied into the child's own directory
   (symbolic links and special files skipped, never followed; count and size capped);
5. as root: ``chroot`` into that directory, which is read-only for the child;
6. resource limits: CPU time, address space, processes, file size, open files, core 0;
7. as root: every uid and gid set to the unprivileged sandbox uid, no groups;
8. no new privileges, not dumpable, and a seccomp filter (x86-64);

then it reports the layers in force on the channel and serves requests with a
:class:`~grader.runner.Runner` until the channel closes. Nothing here trusts
what student code did: the parent checks every byte it gets back.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import signal
import socket
import stat
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np

from grader import wire
from grader.runner import Runner
from grader.sandbox_layers import CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWUSER, Kernel
from grader.sandbox_protocol import FrameSocket

__all__ = ["CHANNEL_FD", "copy_submission", "run_spare"]

CHANNEL_FD = 3
# seconds of answering after which replies are sent even if more requests are waiting
FLUSH_AFTER = 0.05
_SKIPPED_DIRS = ("__pycache__",)
_MAX_DEPTH = 8


def run_spare(link_fd: int, generic: dict[str, Any], kernel: Kernel) -> NoReturn:
    """Prepare a child before its submission is known, then wait on *link_fd* for it.

    *generic* holds what does not depend on the submission (``privileged``,
    ``namespaces``, ``pidns``). The zygote later sends, on the *link_fd* socket,
    the spec of the submission with the channel and output descriptors attached.
    """
    code = 0
    try:
        os.closerange(3, link_fd)
        os.closerange(link_fd + 1, 1 << 20)
        active = _prepare(generic, kernel)
        _warm()
        link = socket.socket(fileno=link_fd)
        data, fds, _flags, _addr = socket.recv_fds(link, 1 << 16, 2)
        spec = wire.decode(data) if data and len(fds) == 2 else None
        if isinstance(spec, dict):
            notes = _confine({**spec, **generic}, fds[0], fds[1], active, kernel)
            spin = spec.get("spin", 0.0)
            channel = FrameSocket(
                socket.socket(fileno=CHANNEL_FD), spin if type(spin) is float else 0.0
            )
            channel.send(0, wire.encode({"layers": tuple(active), "notes": tuple(notes)}))
            _serve(channel)
    except BaseException as exc:
        code = 70
        with contextlib.suppress(OSError):
            os.write(2, f"sandbox child failed: {type(exc).__name__}: {exc}\n".encode())
    finally:
        os._exit(code)


class _Replies:
    """Replies held back while more requests of the same batch are waiting.

    They are sent when no request is waiting. A timer (SIGALRM) also sends them
    when a request has run for :data:`FLUSH_AFTER` seconds, together with a notice
    that names the request still running (an empty frame with its id), and that
    request's reply is then sent as soon as it is made. So a request named in a
    notice and not answered was still running: if it never ends, the grader knows
    which request it was.
    """

    def __init__(self, channel: FrameSocket) -> None:
        self.channel = channel
        self.held: list[tuple[int, bytes]] = []
        self.since = 0.0
        self.running = 0
        self.noticed = 0
        self.armed = False
        self.timer = True
        try:
            signal.signal(signal.SIGALRM, self._on_timer)
        except (OSError, ValueError):
            self.timer = False

    def start(self, request_id: int) -> None:
        self.running = request_id
        if self.timer and not self.armed:
            self.armed = True
            signal.setitimer(signal.ITIMER_REAL, FLUSH_AFTER)

    def hold(self, request_id: int, reply: bytes) -> None:
        self.running = 0
        if not self.held:
            self.since = time.monotonic()
        self.held.append((request_id, reply))
        if request_id == self.noticed:
            self.send()

    def overdue(self) -> bool:
        """Whether replies have waited too long (should the timer not have fired)."""
        return bool(self.held) and time.monotonic() - self.since > FLUSH_AFTER

    def send(self) -> None:
        if self.armed:
            self.armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
        # taken before sending, so that a timer that fires meanwhile finds nothing
        held, self.held = self.held, []
        if held:
            self.channel.send_all(held)

    def _on_timer(self, _signum: int, _frame: object) -> None:
        self.armed = False
        if self.running:
            self.held.append((self.running, b""))
            self.noticed = self.running
        self.send()


def _serve(channel: FrameSocket) -> None:
    """Answer requests until the grader closes the channel.

    Requests that arrive together are answered together (see :class:`_Replies`),
    so a batch of requests costs one wake-up on each side.
    """
    runner = Runner(own_process=True)
    replies = _Replies(channel)
    while True:
        frame = channel.waiting()
        if frame is None or replies.overdue():
            replies.send()
            if frame is None:
                frame = channel.recv()
                if frame is None:
                    return
        request_id, payload = frame
        replies.start(request_id)
        replies.hold(request_id, runner.handle(payload))
        _flush()


def _flush() -> None:
    # try/except rather than contextlib.suppress: this runs after every request.
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105
            stream.flush()
        except BaseException:
            pass


def _prepare(generic: dict[str, Any], kernel: Kernel) -> list[str]:
    """The layers and settings that do not depend on the submission."""
    active = ["child-process", "plain-data-channel"]
    _try(lambda: kernel.parent_death_signal(signal.SIGKILL), "dies-with-parent", active)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    _try(os.setsid, "own-session", active)
    if generic["pidns"] and os.getpid() == 1:
        active.append("pid-namespace")
    if generic.get("netns"):
        active += ["network-namespace", "ipc-namespace"]  # the zygote's shared ones
    elif _privileged(generic) and generic["namespaces"]:
        _try(
            lambda: kernel.unshare(CLONE_NEWNET | CLONE_NEWIPC),
            "network-namespace",
            active,
        )
        if "network-namespace" in active:
            active.append("ipc-namespace")
    sys.dont_write_bytecode = True
    os.environ.clear()
    os.environ["LANG"] = "C.UTF-8"
    return active


def _warm() -> None:
    """Touch the code paths of a first request now, while nobody waits for this child."""
    runner = Runner(own_process=True)
    x = np.linspace(-2.0, 2.0, 64)
    runner.handle(wire.encode({"op": "call", "key": "", "fn": "f", "args": (x,), "kwargs": {}}))
    wire.decode(wire.encode({"ok": np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)), np.abs(x) * x)}))
    compile("def f(x):\n    return x * (1 - x)\n", "<warm>", "exec")


def _privileged(spec: dict[str, Any]) -> bool:
    return bool(spec["privileged"]) and os.geteuid() == 0


def _confine(
    spec: dict[str, Any], channel_fd: int, output_fd: int, active: list[str], kernel: Kernel
) -> list[str]:
    """The layers that need the submission; appends to *active*, returns notes."""
    privileged = _privileged(spec)
    _arrange_fds(channel_fd, output_fd)
    root = str(spec["root"])
    address_space = _address_space()
    _copied, notes = copy_submission(
        str(spec["source"]), root, int(spec["max_files"]), int(spec["max_bytes"])
    )
    os.chdir(root)
    if not privileged and spec["namespaces"]:
        # Without root, a user namespace (where the kernel allows them) still gives a
        # network namespace and chroot; every capability is dropped again right after.
        _try(
            lambda: kernel.unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC),
            "user-namespace",
            active,
        )
        if "user-namespace" in active:
            active += ["network-namespace", "ipc-namespace"]
    if privileged or "user-namespace" in active:
        _try(lambda: os.chroot("."), "chroot", active)
    if "chroot" in active:
        os.chdir("/")
    else:
        active.append("own-directory")
    if "user-namespace" in active:
        _try(kernel.capabilities_drop, "no-capabilities", active)
    _limits(spec, privileged, address_space)
    active.append("rlimits")
    if privileged:
        _drop_privileges(int(spec["uid"]), int(spec["gid"]))
        active.append("unprivileged-uid")
    # A change of uid clears the parent-death signal: set it again.
    if "dies-with-parent" in active:
        kernel.parent_death_signal(signal.SIGKILL)
    _try(kernel.no_new_privs, "no-new-privileges", active)
    _try(lambda: kernel.set_dumpable(False), "not-dumpable", active)
    if spec["seccomp"] and "no-new-privileges" in active:
        _try(kernel.install_seccomp, "seccomp", active)
    _python_state("/" if "chroot" in active else root)
    return notes


def _try(step: Callable[[], object], name: str, active: list[str]) -> None:
    try:
        step()
    except OSError:
        return
    active.append(name)


def _arrange_fds(channel_fd: int, output_fd: int) -> None:
    channel = os.dup(channel_fd)
    output = os.dup(output_fd)
    empty, _writer = os.pipe()
    os.dup2(empty, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.dup2(channel, CHANNEL_FD)
    # Closes the copies above too; with the pipe's write end gone, stdin reads end of file.
    os.closerange(CHANNEL_FD + 1, 1 << 20)


def copy_submission(
    source: str, dest: str, max_files: int, max_bytes: int
) -> tuple[int, list[str]]:
    """Copy the regular files under *source* into *dest*; never follow a symbolic link.

    Returns the number of files copied and notes about what was left out.
    """
    skipped_links: list[str] = []
    left_out = 0
    copied = 0
    budget = max_bytes
    top = os.open(source, os.O_RDONLY | os.O_DIRECTORY)
    try:
        stack: list[tuple[int, str, int]] = [(top, "", 0)]
        while stack:
            dir_fd, rel, depth = stack.pop()
            try:
                names = sorted(os.listdir(dir_fd))
            except OSError:
                names = []
            for name in names:
                path = f"{rel}/{name}" if rel else name
                try:
                    info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISLNK(info.st_mode):
                    skipped_links.append(path)
                elif stat.S_ISDIR(info.st_mode):
                    if name in _SKIPPED_DIRS or depth >= _MAX_DEPTH:
                        continue
                    try:
                        sub = os.open(
                            name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd
                        )
                    except OSError:
                        continue
                    os.mkdir(os.path.join(dest, path), 0o755)
                    stack.append((sub, path, depth + 1))
                elif stat.S_ISREG(info.st_mode):
                    if copied >= max_files or info.st_size > budget:
                        left_out += 1
                        continue
                    size = _copy_file(dir_fd, name, os.path.join(dest, path), budget)
                    if size < 0:
                        left_out += 1
                        continue
                    budget -= size
                    copied += 1
            if dir_fd != top:
                os.close(dir_fd)
    finally:
        os.close(top)
    _read_only(dest)
    notes = []
    if skipped_links:
        shown = ", ".join(skipped_links[:5]) + (" ..." if len(skipped_links) > 5 else "")
        notes.append(f"symbolic links are not followed; left out: {shown}")
    if left_out:
        notes.append(
            f"{left_out} files were left out: a submission may hold at most {max_files} "
            f"files and {max_bytes // 2**20} MiB"
        )
    return copied, notes


def _copy_file(dir_fd: int, name: str, target: str, budget: int) -> int:
    try:
        src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError:
        return -1
    try:
        if not stat.S_ISREG(os.fstat(src).st_mode):
            return -1
        dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
        total = 0
        try:
            while True:
                chunk = os.read(src, 1 << 20)
                if not chunk:
                    break
                total += len(chunk)
                if total > budget:
                    raise OSError(errno.EFBIG, "submission too large")
                os.write(dst, chunk)
        finally:
            os.close(dst)
        return total
    except OSError:
        return -1
    finally:
        os.close(src)


def _read_only(dest: str) -> None:
    for dirpath, _dirnames, _filenames in os.walk(dest, topdown=False):
        os.chmod(dirpath, 0o555)


def _limits(spec: dict[str, Any], privileged: bool, address_space: int) -> None:
    cpu = int(spec["cpu_seconds"])
    memory = max(int(spec["memory_mb"]) * 2**20, address_space + 32 * 2**20)
    processes = int(spec["max_processes"]) if privileged else 0
    for which, soft, hard in (
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_CPU, cpu, cpu + 1),
        (resource.RLIMIT_AS, memory, memory),
        (resource.RLIMIT_NPROC, processes, processes),
        (resource.RLIMIT_FSIZE, int(spec["max_file_bytes"]), int(spec["max_file_bytes"])),
        (resource.RLIMIT_NOFILE, int(spec["max_open_files"]), int(spec["max_open_files"])),
    ):
        resource.setrlimit(which, (soft, hard))


def _address_space() -> int:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) or os.getgroups():
        raise OSError(errno.EPERM, "the sandbox uid could not be set")


def _python_state(root: str) -> None:
    sys.path[:] = [root]
    sys.path_importer_cache.clear()
