"""The grading session: one pytest session that grades any number of submissions.

The graders are collected once. For each submission the session opens a
backend (where the student's code runs), runs every collected check against
it, turns each outcome into a :class:`~grader.results.CheckResult`, and hands
the finished :class:`~grader.results.SubmissionResult` to ``on_result`` before
starting the next one, so that a crash later in a batch loses nothing.

All pytest hooks of the grader live here; the fixtures graders use are in
:mod:`grader.plugin`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable
from pathlib import Path
from typing import Any

import pytest

from grader import __version__
from grader.checks import ExerciseChecksFile
from grader.course import EXERCISE_FILE, Check, Course, Exercise
from grader.errors import CheckFailure, CourseError, StudentFault
from grader.mistakes import MistakeCatalog
from grader.outcome import check_result
from grader.results import CheckResult, ExerciseResult, SubmissionResult
from grader.sandbox_audit import audit_requests, verify_replies
from grader.student import Backend, StudentModule
from grader.submission import Submission, locate_module
from grader.variants import ParamValue, check_seed, resolve_params

__all__ = ["SESSION_KEY", "BackendFactory", "GradingSession", "grader_version"]

SESSION_KEY = pytest.StashKey["GradingSession"]()
BackendFactory = Callable[[Submission], Backend]


def grader_version() -> str:
    """The grader's version, as results and the gradebook record it."""
    return __version__


class GradingSession:
    """A pytest plugin object that grades *submissions* one after another."""

    def __init__(
        self,
        course: Course,
        exercises: list[Exercise],
        submissions: Iterable[Submission],
        backend_factory: BackendFactory,
        on_result: Callable[[SubmissionResult], None],
        *,
        public_only: bool = False,
    ) -> None:
        self.course = course
        self.exercises = {e.id: e for e in exercises}
        self.submissions = submissions
        self.backend_factory = backend_factory
        self.on_result = on_result
        self.public_only = public_only
        self.course_errors: list[str] = []
        self.failure: BaseException | None = None
        self._catalogs: dict[str, MistakeCatalog] = {}
        self._begin(None)

    def _begin(self, submission: Submission | None) -> None:
        self.submission = submission
        self.student_id = submission.student if submission else ""
        self.backend: Backend | None = self.backend_factory(submission) if submission else None
        self.results: dict[tuple[str, str], CheckResult] = {}
        self.recorded: dict[str, dict[str, Any]] = {}
        self._modules: dict[str, StudentModule] = {}

    # -- lookups used by the fixtures -------------------------------------------------
    def exercise_of(self, path: Path) -> Exercise:
        exercise = self.exercises.get(path.parent.name)
        if exercise is None:
            raise CourseError(f"{path} is not inside exercises/<id>/ or solutions/<id>/")
        return exercise

    def student_module(self, exercise: Exercise, check: Check | None = None) -> StudentModule:
        if self.submission is None or self.backend is None:
            raise CourseError("a grader asked for student code outside a grading run")
        if exercise.id not in self._modules:
            self._modules[exercise.id] = StudentModule(
                exercise.id,
                locate_module(self.submission.path, exercise),
                [f.name for f in exercise.functions],
                self.backend,
                timeout=self.course.defaults.call_timeout,
            )
        module = self._modules[exercise.id]
        timeout = check.timeout if check is not None else None
        module._timeout = timeout or self.course.defaults.call_timeout
        return module

    def params(self, exercise: Exercise, check: Check | None) -> dict[str, ParamValue]:
        """The exercise's parameters for *check*: defaults if public, else the student's."""
        who = "" if check is None or check.public else self.student_id
        return resolve_params(exercise.parameters, self.course.title, exercise.id, who)

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

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> pytest.File | None:
        if file_path.name != EXERCISE_FILE:
            return None
        exercise = self.exercises.get(file_path.parent.name)
        own = exercise is not None and file_path.resolve() == (
            exercise.exercise_dir / EXERCISE_FILE
        ).resolve()
        if exercise is None or not own:
            return None
        checks_file: pytest.File = ExerciseChecksFile.from_parent(
            parent, path=file_path, exercise=exercise, public_only=self.public_only
        )
        return checks_file

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.course_errors.append(
                f"{report.nodeid}: the grader file does not import:\n{report.longreprtext[-2000:]}"
            )

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        seen: set[tuple[str, str]] = set()
        for item in items:
            # Results are built from the exception itself (grader.outcome); pytest's own
            # report of a failure needs no formatted traceback, the costliest part of a check.
            item.repr_failure = _exception_text  # type: ignore[method-assign]
            try:
                exercise, check = self.check_of(item)
            except CourseError as exc:
                self.course_errors.append(str(exc))
                continue
            if check.public and "reference" in getattr(item, "fixturenames", ()):
                self.course_errors.append(
                    f"{item.path}: check '{check.name}' is public but uses the `reference` "
                    "fixture; students do not have the solution. Compute the expected values "
                    "in the check, or make it hidden (public: false)"
                )
            public_file = item.path.parent == exercise.exercise_dir.resolve()
            if check.public != public_file and not check.declarative:
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

    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if self.course_errors or session.config.option.collectonly:
            return True
        items = session.items
        for submission in self.submissions:
            started = time.perf_counter()
            self._begin(submission)
            try:
                for index, item in enumerate(items):
                    following = items[index + 1] if index + 1 < len(items) else None
                    item.config.hook.pytest_runtest_protocol(item=item, nextitem=following)
                self._audit_probes()
            finally:
                if self.backend is not None:
                    self.backend.close()
            result = self._summary(time.perf_counter() - started)
            try:
                self.on_result(result)
            except Exception as exc:
                self.failure = exc
                break
        self._begin(None)
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when == "teardown" or (call.when == "setup" and report.passed):
            return report
        exercise, check = self.check_of(item)
        error = call.excinfo.value if call.excinfo is not None else None
        result = check_result(
            exercise, check, error, call.duration, lambda: self._explain(exercise)
        )
        if call.when == "call":
            result.details.update(self.recorded.pop(item.nodeid, {}))
        key = (exercise.id, check.name)
        previous = self.results.get(key)
        if previous is None or (previous.passed and not result.passed):
            if previous is not None:
                result.duration += previous.duration
            self.results[key] = result
        else:
            previous.duration += result.duration
        return report

    # -- results ------------------------------------------------------------------------
    def _audit_probes(self) -> None:
        """Ask every check's finite-difference probes again, all in one fresh process.

        A check that passed but whose probes got other answers there fails (see
        :mod:`grader.sandbox_audit`); if the fresh process cannot answer, every probed
        check that passed fails with the reason.
        """
        probes = {
            (exercise_id, check): records
            for exercise_id, module in self._modules.items()
            for check, records in module.take_probes().items()
        }
        probes = {k: v for k, v in probes.items() if k in self.results and self.results[k].passed}
        if not probes or self.backend is None:
            return
        requests, counts = audit_requests(probes)
        try:
            reply = self.backend.request(
                {"op": "fresh", "requests": requests}, self.course.defaults.call_timeout
            )
            failures = verify_replies(probes, counts, reply.get("ok", ()))
        except StudentFault as fault:
            reason = f"its finite-difference probes could not be asked again: {fault}"
            failures = dict.fromkeys(probes, reason)
        for (exercise_id, name), message in failures.items():
            exercise = self.exercises[exercise_id]
            check = exercise.check(name)
            if check is not None:
                previous = self.results[(exercise_id, name)]
                self.results[(exercise_id, name)] = check_result(
                    exercise, check, CheckFailure(message), previous.duration, lambda: []
                )

    def _explain(self, exercise: Exercise) -> list[Any]:
        module = self._modules.get(exercise.id)
        if module is None or not module.records or not exercise.mistakes:
            return []
        return self.catalog(exercise).match(module.records)

    def _summary(self, duration: float) -> SubmissionResult:
        submission = self.submission
        if submission is None:
            raise CourseError("no submission is being graded")
        return SubmissionResult(
            student=submission.student,
            course=self.course.title,
            course_version=self.course.version,
            grader_version=grader_version(),
            exercises=[self._exercise_summary(e) for e in self.exercises.values()],
            isolation=list(self.backend.layers) if self.backend else [],
            stdout=self.backend.output() if self.backend else "",
            seed=check_seed(self.course.title, "", "", submission.student),
            duration=duration,
        )

    def _exercise_summary(self, exercise: Exercise) -> ExerciseResult:
        checks = [
            self.results[(exercise.id, c.name)]
            for c in exercise.checks
            if (exercise.id, c.name) in self.results and (c.public or not self.public_only)
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


def _exception_text(excinfo: pytest.ExceptionInfo[BaseException], style: object = None) -> str:
    """What pytest's report of a failed check says: the exception, without a traceback."""
    return excinfo.exconly()
