"""Grading submissions one after another: the state every check runner shares.

A :class:`Grading` holds what grading a stream of submissions needs, whatever runs
the checks: the course, the backend of the current submission (where its code runs),
its student modules, the values of the graders' fixtures (:class:`CheckContext`) and
the results of its checks. A runner (the pytest session of :mod:`grader.session`, or
:mod:`grader.quick` for public checks that need no pytest) calls :meth:`Grading.grade`
with a function that runs every check once, and reports how each phase of a check
ended to :meth:`Grading.outcome`, so that a check gets the same result from either.
Nothing here imports pytest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader import __version__
from grader.course import Check, Course, Exercise
from grader.errors import CheckFailure, CourseError, StudentFault
from grader.interleave import Interleaved, pipelined
from grader.mistakes import MistakeCatalog
from grader.outcome import check_result
from grader.results import CheckResult, ExerciseResult, SubmissionResult
from grader.sandbox_audit import (
    alone_requests,
    audit_requests,
    compare_with_reference,
    verify_alone,
    verify_replies,
)
from grader.student import Backend, StudentModule
from grader.submission import Submission, locate_module
from grader.variants import ParamValue, check_seed, resolve_params

__all__ = ["FIXTURES", "BackendFactory", "CheckContext", "Collected", "Grading", "grader_version"]

BackendFactory = Callable[[Submission], Backend]

FIXTURES = ("student", "reference", "rng", "params", "exercise", "record")
"""The fixtures graders may ask for (see :mod:`grader.plugin`)."""


def grader_version() -> str:
    """The grader's version, as results and the gradebook record it."""
    return __version__


@dataclass(frozen=True)
class Collected:
    """A collected check: its file, its test function's name and the fixtures it asks for."""

    path: Path
    name: str
    fixtures: Sequence[str]


class Grading:
    """Grades *submissions* one after another with the checks a runner collected."""

    def __init__(
        self,
        course: Course,
        exercises: list[Exercise],
        submissions: Iterable[Submission],
        backend_factory: BackendFactory,
        on_result: Callable[[SubmissionResult], None],
        *,
        public_only: bool = False,
        side_by_side: bool = True,
    ) -> None:
        self.course = course
        self.side_by_side = side_by_side
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
        backend = self.backend_factory(submission) if submission else None
        if backend is not None and self.side_by_side and (found := pipelined(backend)):
            backend = Interleaved(found)
        self.backend: Backend | None = backend
        self.results: dict[tuple[str, str], CheckResult] = {}
        self.recorded: dict[str, dict[str, Any]] = {}
        self._modules: dict[str, StudentModule] = {}
        self._views: dict[tuple[str, str], StudentModule] = {}

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
        key = (exercise.id, check.name if check is not None else "")
        module = self._views.get(key)
        if module is None:
            module = self._views[key] = self._modules[exercise.id].view()
        timeout = check.timeout if check is not None else None
        module._timeout = timeout or self.course.defaults.call_timeout
        return module

    def run_side_by_side(self, checks: Sequence[Callable[[], None]]) -> None:
        """Run *checks* (each one check, from setup to outcome) for the current submission.

        With a backend that can send several requests at once, they run side by side
        and their calls share round trips (:mod:`grader.interleave`); else in turn.
        """
        if isinstance(self.backend, Interleaved):
            self.backend.run(checks)
            return
        for check in checks:
            check()

    def check_clock(self) -> float:
        """Seconds on the running check's clock (see :meth:`Interleaved.elapsed`)."""
        if isinstance(self.backend, Interleaved):
            return self.backend.elapsed()
        return time.perf_counter()

    def params(self, exercise: Exercise, check: Check | None) -> dict[str, ParamValue]:
        """The exercise's parameters for *check*: defaults if public, else the student's."""
        who = "" if check is None or check.public else self.student_id
        return resolve_params(exercise.parameters, self.course.title, exercise.id, who)

    def catalog(self, exercise: Exercise) -> MistakeCatalog:
        if exercise.id not in self._catalogs:
            self._catalogs[exercise.id] = MistakeCatalog.load(exercise)
        return self._catalogs[exercise.id]

    def check_of(self, path: Path, test_name: str) -> tuple[Exercise, Check]:
        """The exercise and the declared check that the test *test_name* in *path* grades."""
        exercise = self.exercise_of(path)
        name = test_name.removeprefix("test_")
        check = exercise.check(name)
        if check is None:
            raise CourseError(
                f"{path}: test_{name} is not declared in exercises/{exercise.id}/exercise.yml;"
                f" add a check named '{name}' with its points there"
            )
        return exercise, check

    def context(self, path: Path, test_name: str, nodeid: str) -> CheckContext:
        """What the fixtures of one check need."""
        return CheckContext(self, self.exercise_of(path), test_name.removeprefix("test_"), nodeid)

    # -- collection -------------------------------------------------------------------
    def validate(self, collected: Iterable[Collected]) -> None:
        """Check the collected tests against exercise.yml; add what is wrong to course_errors."""
        seen: set[tuple[str, str]] = set()
        for item in collected:
            try:
                exercise, check = self.check_of(item.path, item.name)
            except CourseError as exc:
                self.course_errors.append(str(exc))
                continue
            if check.public and "reference" in item.fixtures:
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

    # -- grading ----------------------------------------------------------------------
    def grade(self, run_checks: Callable[[], None]) -> None:
        """For each submission: open its backend, *run_checks*, audit, close, deliver."""
        for submission in self.submissions:
            started = time.perf_counter()
            self._begin(submission)
            try:
                run_checks()
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

    def outcome(
        self,
        path: Path,
        test_name: str,
        nodeid: str,
        error: BaseException | None,
        duration: float,
        *,
        when: str,
    ) -> None:
        """Record how the *when* phase (setup or call) of a check ended."""
        exercise, check = self.check_of(path, test_name)
        result = check_result(
            exercise, check, error, duration, lambda: self._explain(exercise, check.name)
        )
        if when == "call":
            result.details.update(self.recorded.pop(nodeid, {}))
        key = (exercise.id, check.name)
        previous = self.results.get(key)
        if previous is None or (previous.passed and not result.passed):
            if previous is not None:
                result.duration += previous.duration
            self.results[key] = result
        else:
            previous.duration += result.duration

    # -- results ------------------------------------------------------------------------
    def _audit_probes(self) -> None:
        """Ask every check's finite-difference probes again, all in one fresh process.

        A check that passed but whose probes got other answers there fails (see
        :mod:`grader.sandbox_audit`); if the fresh process cannot answer, every probed
        check that passed fails with the reason. In official grading, checks whose
        answers are all the reference solution's are settled and not asked again.
        """
        probes = {
            (exercise_id, check): records
            for exercise_id, module in self._modules.items()
            for check, records in module.take_probes().items()
        }
        probes = {k: v for k, v in probes.items() if k in self.results and self.results[k].passed}
        if not probes or self.backend is None:
            return
        suspects = {}
        if not self.public_only:
            compared = compare_with_reference(probes, self._reference_function)
            suspects = compared.suspects
            probes = {k: v for k, v in probes.items() if k not in compared.settled}
        if not probes:
            return
        alone = alone_requests(suspects)
        requests, counts = audit_requests(probes)
        try:
            reply = self.backend.request(
                {"op": "fresh", "requests": alone + requests}, self.course.defaults.call_timeout
            )
            replies = reply.get("ok", ())
            failures = verify_replies(probes, counts, replies[len(alone) :])
            failures.update(verify_alone(suspects, replies[: len(alone)]))
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

    def _reference_function(self, exercise_id: str, name: str) -> Callable[..., Any] | None:
        """The reference solution's function *name* of an exercise; None without one."""
        exercise = self.exercises.get(exercise_id)
        if exercise is None:
            return None
        try:
            found = getattr(self.catalog(exercise).reference, name, None)
        except CourseError:
            return None
        return found if callable(found) else None

    def _explain(self, exercise: Exercise, check: str) -> list[Any]:
        module = self._views.get((exercise.id, check))
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


@dataclass(frozen=True)
class CheckContext:
    """The values of the graders' fixtures for one check of the current submission."""

    grading: Grading
    exercise: Exercise
    name: str
    nodeid: str

    @property
    def check(self) -> Check | None:
        return self.exercise.check(self.name)

    def student(self) -> StudentModule:
        """The submission's module for this exercise, loaded, with this check begun."""
        module = self.grading.student_module(self.exercise, self.check)
        module.begin_check(self.name)
        module.ensure_loaded()
        return module

    def reference(self) -> ModuleType:
        return self.grading.catalog(self.exercise).reference

    def record(self) -> dict[str, Any]:
        return self.grading.recorded.setdefault(self.nodeid, {})

    def params(self) -> dict[str, ParamValue]:
        return self.grading.params(self.exercise, self.check)

    def rng(self) -> np.random.Generator:
        check = self.check
        who = "" if check is None or check.public else self.grading.student_id
        seed = check_seed(self.grading.course.title, self.exercise.id, self.name, who)
        return np.random.default_rng(seed)

    def value(self, fixture: str) -> Any:
        """The value of the fixture named *fixture* (one of :data:`FIXTURES`)."""
        if fixture == "exercise":
            return self.exercise
        return {
            "student": self.student,
            "reference": self.reference,
            "record": self.record,
            "params": self.params,
            "rng": self.rng,
        }[fixture]()
