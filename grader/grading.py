"""Grade submissions: collect the graders once, run them on each, return SubmissionResults.

The pipeline, in order:

1. ``select``   choose the exercises and their grader files (public only for students);
2. ``collect``  pytest collects the graders once and checks them against exercise.yml
                (graders that need nothing of pytest are collected by :mod:`grader.quick`);
3. ``grade``    for each submission: open a backend, run every check, close it
                (:class:`~grader.checking.Grading`);
4. ``deliver``  each :class:`~grader.results.SubmissionResult` goes to ``on_result``
                as soon as it is finished.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable, Iterable
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from grader import quick
from grader.checking import BackendFactory, Grading, grader_version
from grader.course import EXERCISE_FILE, Course, Exercise
from grader.errors import CourseError
from grader.results import SubmissionResult
from grader.sandbox import Sandbox, SandboxConfig, SandboxLimits
from grader.student import Backend
from grader.submission import Submission, locate_module

if TYPE_CHECKING:
    from grader.session import GradingSession

_INTERRUPTED = 2  # pytest.ExitCode.INTERRUPTED

__all__ = [
    "grade_submission",
    "grade_submissions",
    "grader_files",
    "grader_version",
    "locate_module",
    "run_session",
]

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
    "terminal",
    "unittest",
    "debugging",
    "legacypath",
    "setuponly",
    "setupplan",
    "python_path",
)


def grade_submissions(
    course: Course,
    submissions: Iterable[Submission],
    *,
    exercises: Iterable[str] = (),
    public_only: bool = False,
    backend_factory: BackendFactory | None = None,
    on_result: Callable[[SubmissionResult], None] | None = None,
    without_pytest: bool = True,
    sandbox: SandboxConfig | None = None,
    side_by_side: bool = True,
) -> list[SubmissionResult]:
    """Grade every submission with graders collected once; return the results in order.

    *on_result* is called with each result as soon as it is finished. Without a
    *backend_factory*, student code runs in a :class:`~grader.sandbox.Sandbox`
    started here with the *sandbox* config (default: the one for a single job) and
    stopped on return. Checks whose graders need nothing of pytest
    run without it (:mod:`grader.quick`) unless *without_pytest* is false; they run
    side by side (:mod:`grader.interleave`) unless *side_by_side* is false.
    """
    if backend_factory is None:
        with Sandbox(sandbox or SandboxConfig.for_jobs(1)) as started:
            return grade_submissions(
                course,
                submissions,
                exercises=exercises,
                public_only=public_only,
                backend_factory=started.factory(SandboxLimits.of(course)),
                on_result=on_result,
                without_pytest=without_pytest,
                side_by_side=side_by_side,
            )
    selected = course.select(exercises)
    finished: list[SubmissionResult] = []

    def deliver(result: SubmissionResult) -> None:
        finished.append(result)
        if on_result is not None:
            on_result(result)

    paths = grader_files(selected, public_only)
    common = (course, selected, submissions, backend_factory, deliver)
    _forget_graders(course.root, paths)
    try:
        planned = quick.plan(course, selected, public_only=public_only) if without_pytest else None
        if planned is not None:
            grading = Grading(*common, public_only=public_only, side_by_side=side_by_side)
            quick.grade(grading, planned)
            _raise_for(grading)
            return finished
    finally:
        _forget_graders(course.root, paths)
    from grader.session import GradingSession

    session = GradingSession(*common, public_only=public_only)
    code = run_session(course, paths, session)
    _raise_for(session)
    if code == _INTERRUPTED:
        raise KeyboardInterrupt
    return finished


def _raise_for(grading: Grading) -> None:
    if grading.course_errors:
        raise CourseError("the course's graders are broken:\n" + "\n".join(grading.course_errors))
    if grading.failure is not None:
        raise grading.failure


def grade_submission(
    course: Course,
    folder: Path,
    *,
    student: str = "",
    exercises: Iterable[str] = (),
    public_only: bool = False,
    backend: Backend | None = None,
) -> SubmissionResult:
    """Grade the modules in *folder* against the course's graders."""
    factory = None if backend is None else (lambda _submission: backend)
    (result,) = grade_submissions(
        course,
        [Submission(student, folder)],
        exercises=exercises,
        public_only=public_only,
        backend_factory=factory,
    )
    return result


def grader_files(exercises: list[Exercise], public_only: bool) -> list[Path]:
    """The pytest files that grade *exercises*: public graders, exercise.yml, hidden graders.

    ``exercise.yml`` is listed when it declares checks (``kind:``) for the session to collect.
    """
    found: list[Path] = []
    for exercise in exercises:
        found += exercise.public_grader_files()
        if any(c.declarative and (c.public or not public_only) for c in exercise.checks):
            found.append(exercise.exercise_dir / EXERCISE_FILE)
        if not public_only:
            found += exercise.hidden_grader_files()
    return found


def run_session(course: Course, paths: list[Path], session: GradingSession) -> int:
    """Run one pytest session over the grader files *paths*; return pytest's exit code."""
    import pytest

    from grader import plugin

    ini = files("grader") / "templates" / "pytest-grading.ini"
    args = [
        *(str(p.resolve()) for p in paths),
        "-c",
        str(ini),
        "--rootdir",
        str(course.root),
        "--import-mode=importlib",
        "--disable-plugin-autoload",
        "--assert=plain",
        # Graders' prints are caught in this process; there is no subprocess output to
        # catch at the file-descriptor level (student code runs in the sandbox).
        "--capture=sys",
        *[arg for name in _UNUSED_PLUGINS for arg in ("-p", f"no:{name}")],
    ]
    sink = io.StringIO()
    _forget_graders(course.root, paths)
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            # The plugin goes in as a module object: `-p grader.plugin` would make pytest
            # scan every installed distribution's entry points for that name first.
            code = pytest.main(args, plugins=[plugin, session])
    finally:
        _forget_graders(course.root, paths)
    if code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        output = sink.getvalue()[-2000:]
        session.course_errors.append(f"pytest could not run the graders:\n{output}")
    return int(code)


def _forget_graders(root: Path, paths: list[Path]) -> None:
    """Drop grader modules from ``sys.modules``, by file and by the name pytest gives them.

    pytest's importlib mode names a grader module after its path below the course root
    and reuses any module of that name, so a later session in this process (another
    course copy, an edited grader) would otherwise run an earlier session's graders.
    """
    files = {str(p.resolve()) for p in paths}
    basenames = {p.name for p in paths}
    names = set()
    for path in paths:
        with contextlib.suppress(ValueError):
            names.add(".".join(path.resolve().relative_to(root.resolve()).with_suffix("").parts))
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        same_file = (
            isinstance(file, str)
            and os.path.basename(file) in basenames
            and str(Path(file).resolve()) in files
        )
        if name in names or same_file:
            del sys.modules[name]
