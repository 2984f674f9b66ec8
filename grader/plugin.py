"""The pytest plugin: fixtures for graders and the hooks that turn tests into results.

Registered through the ``pytest11`` entry point as ``grader``. Graders use:

* ``student``: the submission's module for this exercise, reached only through
  the sandbox (:class:`~grader.student.StudentModule`);
* ``reference``: the course's reference solution (trusted, imported here);
* ``rng``: a :class:`numpy.random.Generator` seeded from the course, the
  exercise, the check and (for hidden checks) the student;
* ``exercise``: the :class:`~grader.course.Exercise` being graded;
* ``record``: a dict the check may fill with numbers for the reports' plots
  (kept with the result whatever its outcome; never put expected values in it).

A grading run passes a :class:`GradingSession` to ``pytest.main``; it maps each
test to its declared check and records a :class:`~grader.results.CheckResult`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from grader.course import Check, Course, Exercise
from grader.errors import CheckFailure, CourseError, StudentFault, StudentRaised
from grader.mistakes import MistakeCatalog
from grader.results import CheckResult
from grader.student import Backend, StudentModule

__all__ = ["SESSION_KEY", "GradingSession", "check_seed"]

SESSION_KEY = pytest.StashKey["GradingSession"]()


def check_seed(course: str, exercise: str, check: str, student: str = "") -> int:
    """The seed of one check's random inputs (``student`` is empty for public checks)."""
    digest = hashlib.sha256(f"{course}\0{exercise}\0{check}\0{student}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


class GradingSession:
    """One submission's grading run, as a pytest plugin object."""

    def __init__(
        self,
        course: Course,
        exercises: list[Exercise],
        locate: Callable[[Exercise], Path],
        backend: Backend,
        *,
        student: str = "",
        public_only: bool = False,
    ) -> None:
        self.course = course
        self.exercises = {e.id: e for e in exercises}
        self.locate = locate
        self.backend = backend
        self.student_id = student
        self.public_only = public_only
        self.results: dict[tuple[str, str], CheckResult] = {}
        self.course_errors: list[str] = []
        self._modules: dict[str, StudentModule] = {}
        self._catalogs: dict[str, MistakeCatalog] = {}
        self.recorded: dict[str, dict[str, Any]] = {}

    # -- lookups used by the fixtures -------------------------------------------------
    def exercise_of(self, path: Path) -> Exercise:
        exercise = self.exercises.get(path.parent.name)
        if exercise is None:
            raise CourseError(f"{path} is not inside exercises/<id>/ or solutions/<id>/")
        return exercise

    def student_module(self, exercise: Exercise) -> StudentModule:
        if exercise.id not in self._modules:
            self._modules[exercise.id] = StudentModule(
                exercise.id,
                self.locate(exercise),
                [f.name for f in exercise.functions],
                self.backend,
                timeout=self.course.defaults.call_timeout,
            )
        return self._modules[exercise.id]

    def catalog(self, exercise: Exercise) -> MistakeCatalog:
        if exercise.id not in self._catalogs:
            self._catalogs[exercise.id] = MistakeCatalog.load(exercise)
        return self._catalogs[exercise.id]

    def check_of(self, item: pytest.Item) -> tuple[Exercise, Check]:
        exercise = self.exercise_of(item.path)
        name = getattr(item, "originalname", item.name).removeprefix("test_")
        check = exercise.check(name)
        if check is None:
            raise CourseError(
                f"{item.path}: test_{name} is not declared in exercises/{exercise.id}/exercise.yml;"
                f" add a check named '{name}' with its points there"
            )
        return exercise, check

    # -- hooks --------------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[SESSION_KEY] = self

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.course_errors.append(
                f"{report.nodeid}: the grader file does not import:\n{report.longreprtext[-2000:]}"
            )

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        seen: set[tuple[str, str]] = set()
        for item in items:
            try:
                exercise, check = self.check_of(item)
            except CourseError as exc:
                self.course_errors.append(str(exc))
                continue
            public_file = item.path.parent == exercise.exercise_dir.resolve()
            if check.public != public_file:
                where = "exercises" if check.public else "solutions"
                self.course_errors.append(
                    f"{item.path}: check '{check.name}' is declared public: {check.public} "
                    f"but lives in the wrong folder; move it to {where}/{exercise.id}/"
                )
            seen.add((exercise.id, check.name))
        for exercise in self.exercises.values():
            for check in exercise.checks:
                if (exercise.id, check.name) not in seen and (check.public or not self.public_only):
                    self.course_errors.append(
                        f"exercises/{exercise.id}/exercise.yml: check '{check.name}' has no "
                        f"test_{check.name} in the graders; write it or remove the entry"
                    )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when == "teardown" or (call.when == "setup" and report.passed):
            return report
        try:
            exercise, check = self.check_of(item)
        except CourseError:
            return report
        result = self._result(exercise, check, call)
        result.details.update(self.recorded.pop(item.nodeid, {}) if call.when == "call" else {})
        key = (exercise.id, check.name)
        previous = self.results.get(key)
        if previous is None or (previous.passed and not result.passed):
            if previous is not None:
                result.duration += previous.duration
            self.results[key] = result
        else:
            previous.duration += result.duration
        return report

    def _result(self, exercise: Exercise, check: Check, call: pytest.CallInfo[None]) -> CheckResult:
        base = dict(
            exercise=exercise.id,
            name=check.name,
            title=check.title,
            max_points=check.points,
            public=check.public,
            duration=call.duration,
        )
        if call.excinfo is None:
            return CheckResult(points=check.points, status="passed", **base)  # type: ignore[arg-type]
        exc = call.excinfo.value
        not_implemented = isinstance(exc, StudentRaised) and exc.not_implemented
        details: dict[str, Any] = {}
        if isinstance(exc, StudentFault):
            status, message = exc.status, exc.message
        elif isinstance(exc, CheckFailure):
            status = "failed"
            message = exc.message + (f"\n{exc.revealing}" if check.public and exc.revealing else "")
            details = dict(exc.data) if check.public else {}
        elif isinstance(exc, AssertionError):
            status, message = "failed", _author_message(exc)
        else:
            status = "error"
            message = (
                f"this check could not use your result ({type(exc).__name__}); "
                "compare your return values with the docstring"
            )
            details = {"grader_exception": type(exc).__name__}
        hints = [check.hint] if check.hint and not not_implemented else []
        matched: list[str] = []
        if status == "failed" or (status == "error" and not not_implemented):
            module = self._modules.get(exercise.id)
            if module is not None and module.records and exercise.mistakes:
                for mistake in self.catalog(exercise).match(module.records):
                    matched.append(mistake.id)
                    hints.append(mistake.hint)
        return CheckResult(
            points=0.0,
            status=status,  # type: ignore[arg-type]
            message=message,
            hint="\n".join(hints),
            mistakes=matched,
            not_implemented=not_implemented,
            details=details,
            **base,  # type: ignore[arg-type]
        )


def _author_message(exc: AssertionError) -> str:
    """The message a grader's author wrote for a bare ``assert``, without introspection."""
    text = str(exc.args[0]) if exc.args else ""
    text = text.split("\nassert ", 1)[0].strip()
    return text if text and not text.startswith("assert ") else "the check's condition did not hold"


# -- fixtures ---------------------------------------------------------------------------------


def _session(request: pytest.FixtureRequest) -> GradingSession:
    session = request.config.stash.get(SESSION_KEY, None)
    if session is None:
        pytest.fail(
            "graders run through the grader (grader check / grader grade), not plain pytest",
            pytrace=False,
        )
    return session


@pytest.fixture
def exercise(request: pytest.FixtureRequest) -> Exercise:
    """The exercise this grader file belongs to."""
    return _session(request).exercise_of(request.path)


@pytest.fixture
def student(request: pytest.FixtureRequest, exercise: Exercise) -> Iterator[StudentModule]:
    """The submission's module for this exercise, reached only through the sandbox."""
    module = _session(request).student_module(exercise)
    module.records.clear()
    module.ensure_loaded()
    yield module


@pytest.fixture
def reference(request: pytest.FixtureRequest, exercise: Exercise) -> ModuleType:
    """The reference solution (hidden checks only: students do not have it)."""
    return _session(request).catalog(exercise).reference


@pytest.fixture
def record(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Numbers for the reports (e.g. a training path to plot), kept with the result."""
    return _session(request).recorded.setdefault(request.node.nodeid, {})


@pytest.fixture
def rng(request: pytest.FixtureRequest, exercise: Exercise) -> np.random.Generator:
    """Random inputs: fixed for public checks, per student for hidden ones."""
    session = _session(request)
    name = request.node.originalname.removeprefix("test_")
    check = exercise.check(name)
    who = "" if check is None or check.public else session.student_id
    return np.random.default_rng(check_seed(session.course.title, exercise.id, name, who))
