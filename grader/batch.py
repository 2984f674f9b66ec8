"""Grade a whole class: intake, skip what is graded, grade the rest, record, write outputs.

:func:`grade_class` is ``grader grade``:

1. ``intake``   :func:`~grader.ingest.ingest` copies each student's latest submission into
                ``OUT/work/`` and hashes it;
2. ``plan``     the gradebook says which (student, exercise) pairs have no result for the
                current submission, course and grader (``--regrade``: all of them);
3. ``grade``    on a local pool of fresh worker processes (:mod:`grader.pool`) or, with a
                scheduler address, on a dask.distributed cluster; each result is written to
                the gradebook in its own transaction the moment it arrives;
4. ``outputs``  ``gradebook.csv`` from the gradebook, then the reports of the students graded
                now and the class summary (:mod:`grader.report`).

:func:`report_class` is ``grader report``: step 4 for every student, without grading.
A Ctrl-C or a kill at any point loses nothing that was recorded; the same command
finishes the rest.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import shutil
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from grader.course import Course
from grader.errors import GraderError
from grader.gradebook import CSV_FILE, GRADEBOOK_FILE, Gradebook, grading_key
from grader.ingest import Intake, Roster, StudentSubmission, ingest
from grader.pool import Prestarted, run_pool
from grader.results import ResultError, SubmissionResult, from_json
from grader.shard import course_files, grade_shard

__all__ = [
    "WORK_DIR",
    "BatchError",
    "BatchInterrupted",
    "ClassRun",
    "Listener",
    "default_jobs",
    "grade_class",
    "report_class",
    "write_outputs",
]

WORK_DIR = "work"
LOG_DIR = "logs"
MAX_SHARD = 25


class BatchError(GraderError):
    """The batch cannot run (no scheduler, a broken gradebook); the message says why."""


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C during a batch; what finished is in the gradebook."""

    def __init__(self, graded: int, total: int, gradebook: Path) -> None:
        self.graded = graded
        self.total = total
        self.gradebook = gradebook
        super().__init__(f"{graded} of {total} submissions graded")


class Listener(Protocol):
    """Follows a batch; the CLI draws the progress bar from these calls."""

    def started(self, total: int, unchanged: int) -> None: ...

    def finished(self, result: SubmissionResult) -> None: ...

    def reports_started(self, total: int) -> None: ...

    def report_written(self, student: str) -> None: ...


@dataclass
class ClassRun:
    """What ``grader grade`` or ``grader report`` did."""

    out: Path
    intake: Intake = field(default_factory=Intake)
    graded: list[str] = field(default_factory=list)
    unchanged: int = 0
    csv: Path | None = None
    reports: list[Path] = field(default_factory=list)
    summary: Path | None = None
    problems: list[str] = field(default_factory=list)


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def grade_class(
    course: Course,
    source: Path | str,
    out: Path | str,
    *,
    roster: Roster | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    regrade: bool = False,
    exercises: Sequence[str] = (),
    reports: bool = True,
    listener: Listener | None = None,
    time_limit: float | None = None,
) -> ClassRun:
    """Grade every submission in *source* that has no valid result yet; write the outputs."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    selected = [e.id for e in course.select(exercises)]
    logs = out / LOG_DIR
    shutil.rmtree(logs, ignore_errors=True)
    # the local workers start while the class is copied in
    with contextlib.ExitStack() as stack:
        early = None
        if not scheduler:
            early = stack.enter_context(
                Prestarted(course, selected, jobs or default_jobs(), log_dir=logs)
            )
        intake = ingest(
            source, out / WORK_DIR, roster=roster, modules=[e.module for e in course],
            exclude=[out],
        )
        return _grade_intake(
            course, intake, out, logs, selected, early, jobs=jobs, scheduler=scheduler,
            regrade=regrade, reports=reports, listener=listener, time_limit=time_limit,
        )


def _grade_intake(
    course: Course,
    intake: Intake,
    out: Path,
    logs: Path,
    selected: list[str],
    early: Prestarted | None,
    *,
    jobs: int | None,
    scheduler: str | None,
    regrade: bool,
    reports: bool,
    listener: Listener | None,
    time_limit: float | None,
) -> ClassRun:
    run = ClassRun(out=out, intake=intake)
    with Gradebook(out / GRADEBOOK_FILE) as book:
        book.set_meta("course", str(course.root))
        book.set_class(intake)
        key = grading_key(course, selected)
        todo = book.pending(intake.submissions, key, regrade=regrade)
        run.unchanged = len(intake.submissions) - len(todo)
        by_student = {s.student: s for s in intake.submissions}
        if listener is not None:
            listener.started(len(todo), run.unchanged)

        def record(result: SubmissionResult) -> None:
            submission = by_student.get(result.student)
            if submission is None or result.student not in todo:
                raise BatchError(f"a worker returned a result for unknown '{result.student}'")
            book.record(result, submission.digest, key)
            run.graded.append(result.student)
            if listener is not None:
                listener.finished(result)

        groups: dict[frozenset[str], list[StudentSubmission]] = {}
        for student in sorted(todo):
            groups.setdefault(todo[student], []).append(by_student[student])
        try:
            for wanted, group in sorted(groups.items(), key=lambda g: sorted(g[0])):
                ids = [e for e in selected if e in wanted]
                if scheduler:
                    _grade_on_dask(course, group, ids, scheduler, record, time_limit)
                else:
                    run_pool(
                        course,
                        [s.submission for s in group],
                        exercises=ids,
                        jobs=jobs or default_jobs(),
                        on_result=record,
                        log_dir=logs,
                        time_limit=time_limit,
                        prestarted=early,
                    )
        except KeyboardInterrupt:
            book.write_csv(out / CSV_FILE, course)
            raise BatchInterrupted(len(run.graded), len(todo), book.path) from None
        if reports:
            write_outputs(
                book,
                course,
                run,
                students=run.graded,
                jobs=jobs or default_jobs(),
                listener=listener,
            )
        else:
            run.csv = book.write_csv(out / CSV_FILE, course)
    return run


def report_class(
    course: Course, out: Path | str, *, jobs: int | None = None, listener: Listener | None = None
) -> ClassRun:
    """Write the CSV, every student's report and the class summary from the gradebook.

    The reports are written by *jobs* processes (default: all cores).
    """
    out = Path(out)
    path = out / GRADEBOOK_FILE
    if not path.is_file():
        raise BatchError(
            f"{path}: there is no gradebook here; grade first with "
            f"'grader grade SUBMISSIONS -o {out}'"
        )
    run = ClassRun(out=out)
    with Gradebook(path) as book:
        write_outputs(
            book, course, run, students=None, jobs=jobs or default_jobs(), listener=listener
        )
    return run


def write_outputs(
    book: Gradebook,
    course: Course,
    run: ClassRun,
    *,
    students: Collection[str] | None,
    jobs: int = 1,
    listener: Listener | None = None,
) -> None:
    """``gradebook.csv``, reports (by *jobs* processes) and the class summary.

    Reports are written for *students* (everyone when None) and for every student whose
    report is missing, e.g. after a batch was killed before its outputs were written.
    """
    run.csv = book.write_csv(run.out / CSV_FILE, course)
    results = book.results(course)
    try:
        from grader.report import student_folder, write_class_outputs
        from grader.report.parallel import write_reports
    except ImportError as exc:
        run.problems.append(f"reports were not written: {exc}")
        return
    wanted = None if students is None else set(students)
    due = [
        result
        for result in results
        if wanted is None
        or result.student in wanted
        or not (student_folder(run.out, result.student) / "report.html").is_file()
    ]
    if listener is not None:
        listener.reports_started(len(due))
    for student, paths, problem in write_reports(due, course, run.out, jobs=jobs):
        if listener is not None:
            listener.report_written(student)
        if paths is None:
            run.problems.append(
                f"the report of '{student}' could not be written ({problem}); "
                "its result is in the gradebook"
            )
        else:
            run.reports += paths
    if not results:
        return
    written = write_class_outputs(results, course, run.out)
    run.summary = next((p for p in written if p.suffix == ".html"), None)


def _files_of(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def _grade_on_dask(
    course: Course,
    submissions: Sequence[StudentSubmission],
    exercises: Sequence[str],
    scheduler: str,
    record: Callable[[SubmissionResult], None],
    time_limit: float | None,
) -> None:
    try:
        import distributed
    except ImportError:
        raise BatchError(
            "--scheduler needs dask.distributed; install it with pip install 'grader[dask]'"
        ) from None
    dask: Any = distributed
    try:
        client = dask.Client(scheduler)
    except (OSError, TimeoutError, ValueError) as exc:
        raise BatchError(
            f"cannot reach the dask scheduler at {scheduler} ({exc}); check the address "
            "(e.g. tcp://host:8786) and that the scheduler is running"
        ) from None
    futures: dict[Any, set[str]] = {}
    try:
        files = course_files(course)
        digest = hashlib.sha256()
        for name in sorted(files):
            digest.update(name.encode() + b"\0" + files[name])
        shipped = client.scatter(files, broadcast=True)
        threads = max(1, sum(client.nthreads().values()))
        size = max(1, min(MAX_SHARD, math.ceil(len(submissions) / (4 * threads))))
        for start in range(0, len(submissions), size):
            shard = submissions[start : start + size]
            payload = [(s.student, _files_of(s.path)) for s in shard]
            future = client.submit(
                grade_shard,
                shipped,
                digest.hexdigest(),
                list(exercises),
                payload,
                time_limit,
                pure=False,
            )
            futures[future] = {s.student for s in shard}
        for future in dask.as_completed(list(futures)):
            try:
                texts = future.result()
            except GraderError:
                raise
            except Exception as exc:
                raise BatchError(f"a dask task failed: {type(exc).__name__}: {exc}") from None
            for text in texts:
                try:
                    result = from_json(text, SubmissionResult)
                except ResultError as exc:
                    raise BatchError(f"a dask task returned an invalid result ({exc})") from None
                if result.student not in futures[future]:
                    raise BatchError(
                        f"a dask task returned a result for '{result.student}', not in its shard"
                    )
                record(result)
    except KeyboardInterrupt:
        client.cancel(list(futures))
        raise
    finally:
        client.close()
