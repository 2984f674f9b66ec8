"""Grade one submission: run the graders in a pytest session, return a SubmissionResult.

The pipeline, in order:

1. ``select``    choose the exercises and their grader files (public only for students);
2. ``locate``    find each exercise's module in the submission folder;
3. ``run``       one pytest session with a :class:`~grader.plugin.GradingSession`;
4. ``collect``   one :class:`~grader.results.CheckResult` per declared check;
5. ``summarise`` per exercise: points and a one-line message.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path

import pytest

from grader.course import Course, Exercise
from grader.errors import CourseError
from grader.plugin import GradingSession
from grader.results import CheckResult, ExerciseResult, SubmissionResult
from grader.student import Backend, InProcessBackend

__all__ = ["grade_submission", "grader_version", "locate_module"]


def grader_version() -> str:
    try:
        return version("grader")
    except PackageNotFoundError:
        return "0+unknown"


def locate_module(submission: Path, exercise: Exercise) -> Path:
    """Where *exercise*'s module is in *submission* (flat, ``<id>/`` or ``exercises/<id>/``)."""
    candidates = [
        submission / exercise.module,
        submission / exercise.id / exercise.module,
        submission / "exercises" / exercise.id / exercise.module,
    ]
    for path in candidates:
        if path.is_file():
            return path
    return candidates[0]


def grade_submission(
    course: Course,
    submission: Path,
    *,
    student: str = "",
    exercises: Iterable[str] = (),
    public_only: bool = False,
    backend: Backend | None = None,
) -> SubmissionResult:
    """Grade the modules in *submission* against the course's graders."""
    started = time.perf_counter()
    selected = course.select(exercises)
    own_backend = backend is None
    backend = backend or InProcessBackend()
    session = GradingSession(
        course,
        selected,
        lambda ex: locate_module(submission, ex),
        backend,
        student=student,
        public_only=public_only,
    )
    try:
        _run(course, _grader_files(selected, public_only), session)
    finally:
        if own_backend:
            backend.close()
    if session.course_errors:
        raise CourseError("the course's graders are broken:\n" + "\n".join(session.course_errors))
    return SubmissionResult(
        student=student,
        course=course.title,
        course_version=course.version,
        grader_version=grader_version(),
        exercises=[_summarise(ex, session.results, public_only) for ex in selected],
        isolation=list(backend.layers),
        duration=time.perf_counter() - started,
    )


def _grader_files(exercises: list[Exercise], public_only: bool) -> list[Path]:
    found: list[Path] = []
    for exercise in exercises:
        found += exercise.public_grader_files()
        if not public_only:
            found += exercise.hidden_grader_files()
    return found


_UNUSED_PLUGINS = (
    "cacheprovider",
    "unraisableexception",
    "threadexception",
    "faulthandler",
    "logging",
    "pastebin",
    "junitxml",
    "doctest",
    "stepwise",
    "warnings",
)


def _run(course: Course, grader_files: list[Path], session: GradingSession) -> None:
    ini = files("grader") / "templates" / "pytest-grading.ini"
    args = [
        *(str(p.resolve()) for p in grader_files),
        "-c",
        str(ini),
        "--rootdir",
        str(course.root),
        "--import-mode=importlib",
        "--disable-plugin-autoload",
        "--assert=plain",
        *[arg for name in _UNUSED_PLUGINS for arg in ("-p", f"no:{name}")],
        "-p",
        "grader.plugin",
        "-q",
    ]
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        code = pytest.main(args, plugins=[session])
    if code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        session.course_errors.append(
            f"pytest could not run the graders:\n{sink.getvalue()[-2000:]}"
        )


def _summarise(
    exercise: Exercise, results: dict[tuple[str, str], CheckResult], public_only: bool
) -> ExerciseResult:
    checks = [
        results[(exercise.id, c.name)]
        for c in exercise.checks
        if (exercise.id, c.name) in results and (c.public or not public_only)
    ]
    message = ""
    if checks and all(c.not_implemented for c in checks):
        message = f"not implemented yet: fill in the functions in {exercise.module}"
    elif checks and all(c.status != "passed" for c in checks):
        messages = {c.message for c in checks}
        if len(messages) == 1:
            message = messages.pop()
    return ExerciseResult(
        exercise=exercise.id,
        title=exercise.title,
        points=sum(c.points for c in checks),
        max_points=sum(c.max_points for c in checks),
        checks=checks,
        message=message,
    )
