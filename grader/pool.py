"""A pool of fresh worker processes that grade submissions and send results back as JSON.

Each worker is a new interpreter (``python -m grader.pool``), so it can set up the sandbox
before any solution is imported. It collects the graders once and then grades one
submission after another in one grading session
(:func:`~grader.grading.grade_submissions`), asking the parent for the next submission
as it goes, so fast workers take more of the work.

The parent and a worker talk over two private pipes, one JSON object per line, never
pickle::

    parent -> worker   {"course": ROOT, "exercises": [...], "jobs": N, "core": C}  first
                       {"student": S, "path": P} | {"stop": true}
    worker -> parent   {"type": "next"}                            ready for a submission
                       {"type": "result", "result": {...}}         a SubmissionResult
                       {"type": "error", "message": M}             the course is broken

The parent checks each result against the submission it sent. A worker that dies or
runs past the course's ``submission_timeout`` while grading is killed (with its process
group) and replaced; that submission gets a ``crashed`` or ``timeout`` result, so one
hostile submission never costs the others. :func:`grader.shard.grade_shard` runs the
same pool on a dask worker, with the course and the submissions shipped as bytes.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import msgspec

from grader.checking import grader_version
from grader.course import Course, load_course
from grader.errors import GraderError
from grader.results import CheckResult, ExerciseResult, Status, SubmissionResult, to_json
from grader.submission import Submission
from grader.threads import use_one_thread

__all__ = ["PoolError", "Prestarted", "failed_result", "pinned_cores", "run_pool"]

MAX_MESSAGE = 64 * 2**20
GRACE_SECONDS = 30.0
STARTUP_SECONDS = 300.0
RECYCLE_AFTER = 200
_READ = 1 << 20


class PoolError(GraderError):
    """The workers cannot grade at all (the course is broken or a worker cannot start)."""


class _Broken(Exception):
    """A worker sent something that is not a valid message."""


def failed_result(
    course: Course, exercises: Sequence[str], student: str, status: Status, message: str
) -> SubmissionResult:
    """A result with every check at 0 points and *status*, for a submission that never finished."""
    graded = []
    for exercise in course.select(exercises):
        checks = [
            CheckResult(
                exercise=exercise.id,
                name=check.name,
                title=check.title,
                points=0.0,
                max_points=check.points,
                public=check.public,
                status=status,
                message=message,
            )
            for check in exercise.checks
        ]
        graded.append(
            ExerciseResult(
                exercise=exercise.id,
                title=exercise.title,
                points=0.0,
                max_points=exercise.points,
                checks=checks,
                message=message,
            )
        )
    return SubmissionResult(
        student=student,
        course=course.title,
        course_version=course.version,
        grader_version=grader_version(),
        exercises=graded,
    )


class _Message(msgspec.Struct):
    """A line from a worker: ``next``, a ``result``, or an ``error`` with its message."""

    type: str
    result: SubmissionResult | None = None
    message: str = ""


_MESSAGES = msgspec.json.Decoder(_Message)


class _Worker:
    """The parent's handle on one worker process."""

    def __init__(
        self,
        course: Course,
        exercises: Sequence[str],
        jobs: int,
        log: Path | None,
        core: int | None = None,
    ) -> None:
        task_read, self._task_write = os.pipe()
        self.fd, result_write = os.pipe()
        package_parent = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_parent, env.get("PYTHONPATH", "")) if p
        )
        use_one_thread(env)
        self._log: IO[bytes] | None = None
        output: IO[bytes] | int = subprocess.DEVNULL
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            self._log = output = open(log, "ab")  # noqa: SIM115
        self.log = log
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "grader.pool",
                    str(task_read),
                    str(result_write),
                    str(os.getpid()),
                ],
                pass_fds=(task_read, result_write),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                env=env,
                start_new_session=True,
            )
        finally:
            os.close(task_read)
            os.close(result_write)
        os.set_blocking(self.fd, False)
        self._buffer = bytearray()
        self.current: Submission | None = None
        self.deadline = time.monotonic() + STARTUP_SECONDS
        self.started = False
        self.stopping = False
        self.graded = 0
        self.core = core
        self.send(
            {"course": str(course.root), "exercises": list(exercises), "jobs": jobs, "core": core}
        )

    def send(self, message: Mapping[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        with contextlib.suppress(BrokenPipeError):
            while data:
                data = data[os.write(self._task_write, data) :]

    def assign(self, submission: Submission, limit: float) -> None:
        self.current = submission
        self.deadline = time.monotonic() + limit
        self.send({"student": submission.student, "path": str(submission.path)})

    def read(self) -> list[_Message] | None:
        """The complete messages that have arrived; None once the worker has closed its end."""
        try:
            chunk = os.read(self.fd, _READ)
        except BlockingIOError:
            return []
        if not chunk:
            return None
        self._buffer += chunk
        messages = []
        while (end := self._buffer.find(b"\n")) >= 0:
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            try:
                messages.append(_MESSAGES.decode(line))
            except msgspec.ValidationError as exc:
                raise _Broken(f"sent a message that is not valid ({exc})") from None
            except msgspec.DecodeError:
                raise _Broken("sent a line that is not JSON") from None
        if len(self._buffer) > MAX_MESSAGE:
            raise _Broken(f"sent a message larger than {MAX_MESSAGE} bytes")
        return messages

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()

    def close(self) -> None:
        for fd in (self.fd, self._task_write):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self._log is not None:
            self._log.close()

    def log_tail(self) -> str:
        if self.log is None or not self.log.is_file():
            return ""
        text = self.log.read_bytes()[-3000:].decode("utf-8", "replace").strip()
        return f"\n{text}" if text else ""

    def exit_description(self) -> str:
        code = self.process.wait()
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit status {code}"


class Prestarted:
    """Workers started while the class is copied in (a worker takes about half a second
    to start), for :func:`run_pool`; on exit, the ones no run took are stopped."""

    def __init__(
        self, course: Course, exercises: Sequence[str], jobs: int, log_dir: Path | None = None
    ) -> None:
        self.exercises = [e.id for e in course.select(exercises)]
        self.jobs = jobs
        cores = pinned_cores(jobs, jobs)
        self.workers = [
            _Worker(
                course, self.exercises, jobs, _log(log_dir, index), cores[index] if cores else None
            )
            for index in range(max(jobs, 1))
        ]

    def take(self, exercises: Sequence[str], jobs: int) -> list[_Worker]:
        """The workers, if they grade *exercises* with this many jobs; else none (stopped)."""
        taken, self.workers = self.workers, []
        if list(exercises) == self.exercises and jobs == self.jobs:
            for worker in taken:
                worker.deadline = time.monotonic() + STARTUP_SECONDS
            return taken
        for worker in taken:
            worker.kill()
            worker.close()
        return []

    def __enter__(self) -> Prestarted:
        return self

    def __exit__(self, *exc: object) -> None:
        self.take((), 0)


def _log(log_dir: Path | None, index: int) -> Path | None:
    return log_dir / f"worker-{index}.log" if log_dir is not None else None


def run_pool(
    course: Course,
    submissions: Sequence[Submission],
    *,
    exercises: Sequence[str],
    jobs: int,
    on_result: Callable[[SubmissionResult], None],
    log_dir: Path | None = None,
    time_limit: float | None = None,
    recycle_after: int = RECYCLE_AFTER,
    concurrency: int | None = None,
    prestarted: Prestarted | None = None,
) -> None:
    """Grade *submissions* on *jobs* fresh worker processes; hand each result to *on_result*.

    *time_limit* is the wall-clock seconds one submission may take (default: the course's
    ``submission_timeout`` plus a grace period). A worker is replaced by a fresh one after
    *recycle_after* submissions, so its memory stays bounded however large the class.
    Ctrl-C stops every worker at once; results already handed over stay handed over.
    *concurrency* is how many grading processes share this machine's cores (default
    *jobs*); a worker's sandbox spin-waits only when each has two cores
    (:meth:`~grader.sandbox.SandboxConfig.for_jobs`), and otherwise each worker and its
    sandbox share one core of their own when there are enough (:func:`pinned_cores`).
    The workers of *prestarted* are used first when they grade the same exercises.
    """
    queue = deque(submissions)
    selected = [e.id for e in course.select(exercises)]
    limit = time_limit or course.defaults.submission_timeout + GRACE_SECONDS
    selector = selectors.DefaultSelector()
    workers: list[_Worker] = []
    ready = [] if prestarted is None else prestarted.take(selected, concurrency or jobs)
    spawned = len(ready)
    cores = pinned_cores(jobs, concurrency or jobs)

    def spawn() -> None:
        nonlocal spawned
        if ready:
            worker = ready.pop(0)
        else:
            log = _log(log_dir, spawned)
            spawned += 1
            core = None
            if cores:
                taken = [w.core for w in workers]
                core = min(cores, key=taken.count)
            worker = _Worker(course, selected, concurrency or jobs, log, core)
        workers.append(worker)
        selector.register(worker.fd, selectors.EVENT_READ, worker)

    def finish(worker: _Worker, status: Status, why: str) -> None:
        selector.unregister(worker.fd)
        workers.remove(worker)
        worker.kill()
        worker.close()
        if worker.current is not None:
            on_result(failed_result(course, selected, worker.current.student, status, why))
        elif not worker.started:
            raise PoolError(
                f"a grading worker stopped before it could grade ({worker.exit_description()})"
                + worker.log_tail()
            )
        if queue and len(workers) < jobs:
            spawn()

    def handle(worker: _Worker, message: _Message) -> None:
        kind = message.type
        if kind == "next":
            if worker.current is not None:
                raise _Broken("asked for a submission before finishing the one it had")
            worker.started = True
            if queue and worker.graded < recycle_after:
                worker.assign(queue.popleft(), limit)
            else:
                worker.stopping = True
                worker.deadline = time.monotonic() + GRACE_SECONDS
                worker.send({"stop": True})
        elif kind == "result":
            expected = worker.current
            result = message.result
            if result is None:
                raise _Broken("sent a result message without a result")
            if expected is None or result.student != expected.student:
                raise _Broken("sent a result for a submission it was not grading")
            worker.current = None
            worker.graded += 1
            on_result(result)
        elif kind == "error":
            raise PoolError(message.message or "a grading worker failed")
        else:
            raise _Broken(f"sent an unknown message type {kind!r}")

    try:
        for _ in range(min(max(jobs, 1), len(queue))):
            spawn()
        while workers:
            now = time.monotonic()
            waits = [w.deadline - now for w in workers if w.current or w.stopping or not w.started]
            for key, _ in selector.select(max(0.0, min([1.0, *waits]))):
                worker = key.data
                try:
                    messages = worker.read()
                    for message in messages or []:
                        handle(worker, message)
                except _Broken as exc:
                    finish(worker, "crashed", f"the grading process {exc}; it was stopped")
                    continue
                if messages is None:
                    finish(
                        worker,
                        "crashed",
                        "the grading process ended while grading this submission "
                        f"({worker.exit_description()}); code that exits the process "
                        "(os._exit, a crash in C code) stops grading",
                    )
            for worker in [w for w in workers if time.monotonic() > w.deadline]:
                if not worker.started:
                    raise PoolError(
                        f"a grading worker did not start within {STARTUP_SECONDS:g} seconds"
                        + worker.log_tail()
                    )
                if worker.current is not None or worker.stopping:
                    finish(
                        worker,
                        "timeout",
                        f"grading this submission took longer than {limit:g} seconds, the "
                        "limit for a whole submission; it was stopped",
                    )
    finally:
        for worker in [*workers, *ready]:
            worker.kill()
            worker.close()
        selector.close()


def pinned_cores(jobs: int, concurrency: int) -> list[int]:
    """The cores to pin workers to, one each; empty when they are better left unpinned.

    A worker and its sandbox child take turns: one waits while the other runs. When
    they sleep while they wait (the sandbox does not spin-wait, see
    :meth:`~grader.sandbox.SandboxConfig.for_jobs`), keeping both on one core saves
    each request a wake-up on another core, and both run on caches the other has just
    warmed, since they run the same interpreter. That needs a core per worker: with
    more workers than cores, or a single worker, nothing is pinned.
    """
    from grader.sandbox import SandboxConfig

    cores = sorted(os.sched_getaffinity(0))
    if jobs < 2 or jobs > len(cores) or SandboxConfig.for_jobs(concurrency).spin:
        return []
    return cores


# -- the worker process -------------------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when the parent dies (kill -9 included)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _worker(task_fd: int, result_fd: int) -> int:
    from grader.grading import grade_submissions
    from grader.sandbox import SandboxConfig

    tasks = os.fdopen(task_fd, "rb")
    out = os.fdopen(result_fd, "wb")

    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message).encode() + b"\n")
        out.flush()

    def send_result(result: SubmissionResult) -> None:
        out.write(b'{"type": "result", "result": ' + to_json(result) + b"}\n")
        out.flush()

    def queue() -> Iterator[Submission]:
        while True:
            send({"type": "next"})
            line = tasks.readline()
            if not line:
                return
            message = json.loads(line)
            if message.get("stop"):
                return
            yield Submission(str(message["student"]), Path(message["path"]))

    config = json.loads(tasks.readline() or b"{}")
    if config.get("core") is not None:
        # the sandbox's zygote and children are forked from here, and keep this core
        with contextlib.suppress(OSError, ValueError):
            os.sched_setaffinity(0, {int(config["core"])})
    try:
        course = load_course(config["course"])
        grade_submissions(
            course,
            queue(),
            exercises=config.get("exercises", ()),
            on_result=send_result,
            sandbox=SandboxConfig.for_jobs(int(config.get("jobs", 1))),
        )
    except GraderError as exc:
        send({"type": "error", "message": str(exc)})
        return 2
    except Exception:
        send({"type": "error", "message": "a grading worker failed:\n" + traceback.format_exc()})
        return 3
    return 0


def main(argv: Sequence[str]) -> int:
    task_fd, result_fd, parent = (int(a) for a in argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    return _worker(task_fd, result_fd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
