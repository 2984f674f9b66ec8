"""Run student code in sandboxed child processes forked from a pre-warmed zygote.

:class:`Sandbox` owns the zygote: a fresh interpreter, started when the
sandbox is created, that has imported numpy and the modules student code
uses, and forks one confined child per submission on request (see
:mod:`grader.sandbox_zygote` and :mod:`grader.sandbox_child`). Use it as a
context manager; :meth:`Sandbox.factory` gives the ``backend_factory`` that
:func:`grader.grading.grade_submissions` takes::

    with Sandbox() as sandbox:
        grade_submissions(course, submissions,
                          backend_factory=sandbox.factory(SandboxLimits.of(course)))

Each submission gets a :class:`~grader.sandbox_backend.SandboxBackend`, which
talks to its child over a socket and never unpickles or trusts what comes back.

A Sandbox is used from one thread, the one that created it: the zygote is
bound to that thread's lifetime (it dies with its parent).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import select
import socket
import subprocess
import sys
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader import wire
from grader.errors import SandboxError
from grader.threads import ONE_THREAD

if TYPE_CHECKING:
    from grader.course import Course, Defaults
    from grader.sandbox_backend import SandboxBackend
    from grader.student import Backend
    from grader.submission import Submission

__all__ = [
    "MEMORY_TEMP",
    "SPIN_SECONDS",
    "ExitInfo",
    "Sandbox",
    "SandboxConfig",
    "SandboxLimits",
]

MEMORY_TEMP = "/dev/shm"

_MAX_PACKET = 1 << 16
_RESTARTS = 3
# How long both sides of a channel poll before sleeping, when cores are spare.
SPIN_SECONDS = 200e-6
_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", **ONE_THREAD}
# Run with -I -S: no environment variables, no user or site directories, no .pth files.
# numpy's own directory is put on the path; a stub package stands in for grader, so
# that only the modules the zygote imports by name are loaded, not grader/__init__.py.
_BOOT = (
    "import sys, types\n"
    "sys.path.append(sys.argv[2])\n"
    "package = types.ModuleType('grader')\n"
    "package.__path__ = [sys.argv[1]]\n"
    "sys.modules['grader'] = package\n"
    "from grader.sandbox_zygote import main\n"
    "main(int(sys.argv[3]), int(sys.argv[4]))\n"
)


@dataclass(frozen=True)
class SandboxLimits:
    """The limits of one submission, from the course's ``defaults``."""

    call_timeout: float = 5.0
    submission_timeout: float = 120.0
    memory_mb: int = 1024
    cpu_seconds: int = 60

    @classmethod
    def of(cls, course: Course) -> SandboxLimits:
        return cls.from_defaults(course.defaults)

    @classmethod
    def from_defaults(cls, defaults: Defaults) -> SandboxLimits:
        return cls(
            call_timeout=defaults.call_timeout,
            submission_timeout=defaults.submission_timeout,
            memory_mb=defaults.memory_mb,
            cpu_seconds=defaults.cpu_seconds,
        )


@dataclass(frozen=True)
class SandboxConfig:
    """How children are confined. The defaults are the safe ones.

    ``privileged`` None means: use the layers that need root when running as root.

    ``temp_dir`` is where each child's directory is made. None means
    :data:`MEMORY_TEMP` when it is a writable in-memory file system (a submission's
    files are copied there for every child; on a disk each copy costs a new inode and
    its later removal), and the system's temporary directory otherwise.

    ``spin`` is how many seconds the grader and the child poll their channel without
    sleeping while they wait for each other, before they sleep. It saves two process
    switches per call, but takes a core: use :meth:`for_jobs`, which spins only when
    every grading job has a core for the grader and one for the student's code.
    """

    uid: int = 65534
    gid: int = 65534
    privileged: bool | None = None
    namespaces: bool = True
    seccomp: bool = True
    max_processes: int = 1
    max_file_bytes: int = 1 << 20
    max_open_files: int = 64
    max_files: int = 1000
    max_bytes: int = 64 << 20
    output_bytes: int = 64 << 10
    max_frame: int = 64 << 20
    temp_dir: str | None = None
    start_timeout: float = 30.0
    spin: float = 0.0

    @classmethod
    def for_jobs(cls, jobs: int) -> SandboxConfig:
        """The default confinement for one of *jobs* grading processes on this machine."""
        cores = len(os.sched_getaffinity(0))
        return cls(spin=SPIN_SECONDS if 2 * jobs <= cores else 0.0)

    @property
    def child_dir(self) -> str | None:
        """The folder the children's directories are made in (None: the system's default)."""
        if self.temp_dir is not None:
            return self.temp_dir
        return MEMORY_TEMP if _in_memory(MEMORY_TEMP) else None

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0 if self.privileged is None else self.privileged

    def confinement(self, as_root: bool) -> dict[str, bool]:
        """The part of a child's spec that a spare child is prepared for in advance."""
        return {
            "privileged": as_root,
            "namespaces": self.namespaces,
            "pid_namespace": self.namespaces and as_root,
            "seccomp": self.seccomp,
        }


@dataclass(frozen=True)
class ExitInfo:
    """How a child ended, as the zygote reaped it."""

    status: int
    maxrss_kb: int
    cpu_seconds: float

    @property
    def signal(self) -> int:
        return os.WTERMSIG(self.status) if os.WIFSIGNALED(self.status) else 0

    @property
    def exit_code(self) -> int | None:
        return os.WEXITSTATUS(self.status) if os.WIFEXITED(self.status) else None


class _Zygote:
    """The running zygote process and its control socket."""

    def __init__(self, config: SandboxConfig) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-S",
                    "-c",
                    _BOOT,
                    str(Path(__file__).resolve().parent),
                    _numpy_home(),
                    str(theirs.fileno()),
                    str(os.getpid()),
                ],
                pass_fds=(theirs.fileno(),),
                env=_ENVIRONMENT,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                cwd="/",
            )
        except OSError as exc:
            ours.close()
            raise SandboxError(f"the sandbox's zygote process could not start: {exc}") from exc
        finally:
            theirs.close()
        self.control = ours
        self.info: dict[str, Any] | None = None
        self.exits: dict[int, ExitInfo] = {}
        self.spawned: dict[int, dict[str, Any]] = {}
        self.dead = False
        self.finalizer = weakref.finalize(self, _terminate, self.process, ours)
        # The first spare child is forked as soon as the zygote has booted, so the first
        # submission does not wait for it.
        with contextlib.suppress(SandboxError):
            self.send({"op": "prepare", "spec": config.confinement(config.as_root)})

    def send(self, message: dict[str, Any], fds: list[int] | None = None) -> None:
        data = wire.encode(message)
        try:
            if fds:
                socket.send_fds(self.control, [data], fds)
            else:
                self.control.sendall(data)
        except OSError as exc:
            self.dead = True
            raise SandboxError(f"the sandbox's zygote is gone: {exc}") from exc

    def read(self, deadline: float) -> bool:
        """Read one message (into ``info``, ``exits`` or ``spawned``); False on timeout."""
        if self.dead:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        ready, _, _ = select.select([self.control], [], [], remaining)
        if not ready:
            return False
        try:
            data = self.control.recv(_MAX_PACKET)
        except OSError:
            data = b""
        if not data:
            self.dead = True
            return True
        message = wire.decode(data)
        if not isinstance(message, dict):
            return True
        if "exited" in message:
            self.exits[int(message["exited"])] = ExitInfo(
                int(message["status"]), int(message["maxrss"]), float(message["cpu"])
            )
        elif "spawned" in message:
            self.spawned[int(message["spawned"])] = message
        elif "spawn_failed" in message:
            self.spawned[int(message["spawn_failed"])] = message
        else:
            self.info = message
        return True

    def close(self) -> None:
        self.finalizer()


def _numpy_home() -> str:
    """The folder numpy is installed in, found without importing numpy here."""
    spec = importlib.util.find_spec("numpy")
    if spec is None or spec.origin is None:
        raise SandboxError("numpy is not installed; the sandbox needs it: pip install numpy")
    return str(Path(spec.origin).resolve().parent.parent)


def _terminate(process: subprocess.Popen[bytes], control: socket.socket) -> None:
    with contextlib.suppress(OSError):
        control.sendall(wire.encode({"op": "exit"}))
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    control.close()


class Sandbox:
    """Owns the zygote that forks sandboxed children; a context manager."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self._zygote = _Zygote(self.config)
        self._restarts = 0
        self._next_id = 0
        self._closed = False

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- for grading --------------------------------------------------------------------
    def backend(self, folder: Path, limits: SandboxLimits | None = None) -> SandboxBackend:
        """A backend that runs the modules in *folder* in sandboxed children."""
        from grader.sandbox_backend import SandboxBackend

        return SandboxBackend(self, folder, limits or SandboxLimits())

    def factory(self, limits: SandboxLimits | None = None) -> Callable[[Submission], Backend]:
        """A ``backend_factory`` for :func:`grader.grading.grade_submissions`."""

        def make(submission: Submission) -> Backend:
            return self.backend(submission.path, limits)

        return make

    # -- used by SandboxBackend ---------------------------------------------------------
    @property
    def zygote_pid(self) -> int:
        return self._zygote.process.pid

    def ready(self) -> dict[str, Any]:
        """The zygote's ready message (waits for it); restarts a dead zygote."""
        if self._closed:
            raise SandboxError("the sandbox is closed")
        zygote = self._zygote
        if zygote.dead:
            self._restart()
            zygote = self._zygote
        deadline = time.monotonic() + self.config.start_timeout
        while zygote.info is None and not zygote.dead:
            if not zygote.read(deadline):
                raise SandboxError(
                    f"the sandbox's zygote did not start within {self.config.start_timeout:g} s"
                )
        if zygote.info is None or "error" in zygote.info:
            problem = (zygote.info or {}).get("error", "it exited")
            raise SandboxError(f"the sandbox's zygote could not start: {problem}")
        return zygote.info

    def spawn(self, spec: dict[str, Any], channel_fd: int, output_fd: int) -> int:
        """Fork a child confined as *spec* says; return its pid."""
        self.ready()
        self._next_id += 1
        request_id = self._next_id
        zygote = self._zygote
        zygote.send({"op": "spawn", "id": request_id, "spec": spec}, [channel_fd, output_fd])
        deadline = time.monotonic() + self.config.start_timeout
        while request_id not in zygote.spawned:
            if zygote.dead or not zygote.read(deadline):
                raise SandboxError("the sandbox's zygote did not fork a child")
        answer = zygote.spawned.pop(request_id)
        if "pid" not in answer:
            raise SandboxError(f"the sandbox could not fork a child: {answer.get('message', '')}")
        return int(answer["pid"])

    def kill(self, pid: int) -> None:
        """SIGKILL a child and everything in its process group or PID namespace."""
        if not self._zygote.dead:
            with contextlib.suppress(SandboxError):
                self._zygote.send({"op": "kill", "pid": pid})

    def wait_exit(self, pid: int, timeout: float) -> ExitInfo | None:
        """How child *pid* ended, once the zygote has reaped it; None if unknown in time."""
        zygote = self._zygote
        deadline = time.monotonic() + timeout
        while pid not in zygote.exits:
            if zygote.dead or not zygote.read(deadline):
                return None
        return zygote.exits.pop(pid)

    def close(self) -> None:
        """Stop the zygote; it kills and reaps every child it still has."""
        if not self._closed:
            self._closed = True
            self._zygote.close()

    def _restart(self) -> None:
        if self._restarts >= _RESTARTS:
            raise SandboxError("the sandbox's zygote keeps dying; grading stopped")
        self._restarts += 1
        self._zygote.close()
        self._zygote = _Zygote(self.config)


@functools.lru_cache(maxsize=4)
def _in_memory(folder: str, mount_table: str = "/proc/self/mounts") -> bool:
    """Whether *folder* is a directory this process can write, mounted as a tmpfs."""
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        with open(mount_table, encoding="utf-8") as mounts:
            return any(
                len(fields) > 2 and fields[1] == folder and fields[2] == "tmpfs"
                for fields in (line.split() for line in mounts)
            )
    except OSError:
        return False
