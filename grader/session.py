"""The grading session: one pytest session that grades any number of submissions.

The graders are collected once. For each submission the session opens a
backend (where the student's code runs), runs every collected check against
it, turns each outcome into a :class:`~grader.results.CheckResult`, and hands
the finished :class:`~grader.results.SubmissionResult` to ``on_result`` before
starting the next one, so that a crash later in a batch loses nothing. What is
not about pytest (the backend, the results, the probe audit) is the
:class:`~grader.checking.Grading` this session extends.

All pytest hooks of the grader live here, and the pytest items of the declarative
checks; the fixtures graders use are in :mod:`grader.plugin`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, cast

import numpy as np
import pytest

from grader.checking import Collected, Grading
from grader.checks import needs_reference, run_check
from grader.checkspec import DeclarativeCheck
from grader.course import EXERCISE_FILE, Check, Exercise
from grader.student import StudentModule
from grader.variants import ParamValue

__all__ = ["SESSION_KEY", "ExerciseChecksFile", "GradingSession"]

SESSION_KEY = pytest.StashKey["GradingSession"]()


class GradingSession(Grading):
    """A pytest plugin object that grades *submissions* one after another."""

    def item_check(self, item: pytest.Item) -> tuple[Exercise, Check]:
        return self.check_of(item.path, _test_name(item))

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
        self.validate(
            Collected(item.path, _test_name(item), tuple(getattr(item, "fixturenames", ())))
            for item in items
        )

    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if self.course_errors or session.config.option.collectonly:
            return True
        items = session.items

        def run_checks() -> None:
            for index, item in enumerate(items):
                following = items[index + 1] if index + 1 < len(items) else None
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=following)

        self.grade(run_checks)
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> pytest.TestReport:
        """Record the phase's outcome, and make pytest's report of it without a traceback.

        The result is built from the exception itself (:mod:`grader.outcome`), so the
        report pytest would make (a formatted traceback with source, the costliest part
        of a failed check) is never needed.
        """
        error = call.excinfo.value if call.excinfo is not None else None
        if call.when == "call" or (call.when == "setup" and error is not None):
            self.outcome(
                item.path, _test_name(item), item.nodeid, error, call.duration, when=call.when
            )
        outcome: Literal["passed", "failed", "skipped"] = "passed"
        longrepr: tuple[str, int, str] | str | None = None
        if call.excinfo is not None:
            if call.excinfo.errisinstance(pytest.skip.Exception):
                outcome, longrepr = "skipped", (str(item.path), 0, str(call.excinfo.value))
            else:
                outcome, longrepr = "failed", call.excinfo.exconly()
        return pytest.TestReport(
            item.nodeid,
            item.location,
            {},
            outcome,
            longrepr,
            cast(Literal["setup", "call", "teardown"], call.when),
            duration=call.duration,
            start=call.start,
            stop=call.stop,
        )


class ExerciseChecksFile(pytest.File):
    """``exercises/<id>/exercise.yml`` as a pytest file: one item per declarative check.

    Each item is an ordinary :class:`pytest.Function` named ``test_<name>`` whose test
    function asks for the same fixtures a hand-written grader would (``student``,
    ``rng``, ``params``, and ``reference`` for hidden checks that need it), so
    declarative checks run, report and count exactly like hand-written ones.
    """

    def __init__(self, *, exercise: Exercise, public_only: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.exercise = exercise
        self.public_only = public_only

    def collect(self) -> Iterator[pytest.Item]:
        for check in self.exercise.checks:
            if not isinstance(check, DeclarativeCheck):
                continue
            if self.public_only and not check.public:
                continue
            yield pytest.Function.from_parent(
                self, name=f"test_{check.name}", callobj=_test_function(check)
            )


def _test_function(check: DeclarativeCheck) -> Callable[..., None]:
    """A test function whose parameters are exactly the fixtures *check* needs."""
    if needs_reference(check):

        def hidden_test(
            student: StudentModule,
            reference: ModuleType,
            rng: np.random.Generator,
            params: dict[str, ParamValue],
        ) -> None:
            __tracebackhide__ = True
            run_check(check, student, rng, params, reference)

        return hidden_test

    def test(
        student: StudentModule, rng: np.random.Generator, params: dict[str, ParamValue]
    ) -> None:
        __tracebackhide__ = True
        run_check(check, student, rng, params, None)

    return test


def _test_name(item: pytest.Item) -> str:
    return str(getattr(item, "originalname", item.name))
