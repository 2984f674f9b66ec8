"""The pytest plugin: fixtures for graders and the hooks that turn tests into results.

Registered through the ``pytest11`` entry point as ``grader``. Graders use:

* ``student``: the submission's module for this exercise, reached only through
  the sandbox (:class:`~grader.student.StudentModule`);
* ``reference``: the course's reference solution (trusted, imported here);
* ``rng``: a :class:`numpy.random.Generator` seeded from the course, the
  exercise, the check and (for hidden checks) the student;
* ``params``: the exercise's parameters (``parameters:`` in exercise.yml): the
  defaults for public checks, the student's own variant for hidden ones;
* ``exercise``: the :class:`~grader.course.Exercise` being graded;
* ``record``: a dict the check may fill with numbers for the reports' plots
  (kept with the result whatever its outcome; never put expected values in it).

The hooks that turn tests into results are in :mod:`grader.session`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from grader.course import Check, Exercise
from grader.session import SESSION_KEY, GradingSession
from grader.student import StudentModule
from grader.variants import ParamValue, check_seed

__all__ = ["check_seed"]


# -- fixtures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What every fixture of one check needs: the session, the exercise and the check."""

    session: GradingSession
    exercise: Exercise
    name: str
    nodeid: str

    @property
    def check(self) -> Check | None:
        return self.exercise.check(self.name)


@pytest.fixture
def _grader_context(request: pytest.FixtureRequest) -> _Context:
    """The one fixture that reads *request*; the others depend on it."""
    session = request.config.stash.get(SESSION_KEY, None)
    if session is None:
        pytest.fail(
            "graders run through the grader (grader check / grader grade), not plain pytest",
            pytrace=False,
        )
    return _Context(
        session,
        session.exercise_of(request.path),
        request.node.originalname.removeprefix("test_"),
        request.node.nodeid,
    )


@pytest.fixture
def exercise(_grader_context: _Context) -> Exercise:
    """The exercise this grader file belongs to."""
    return _grader_context.exercise


@pytest.fixture
def student(_grader_context: _Context) -> Iterator[StudentModule]:
    """The submission's module for this exercise, reached only through the sandbox."""
    context = _grader_context
    module = context.session.student_module(context.exercise, context.check)
    module.begin_check(context.name)
    module.ensure_loaded()
    yield module


@pytest.fixture
def reference(_grader_context: _Context) -> ModuleType:
    """The reference solution (hidden checks only: students do not have it)."""
    return _grader_context.session.catalog(_grader_context.exercise).reference


@pytest.fixture
def record(_grader_context: _Context) -> dict[str, Any]:
    """Numbers for the reports (e.g. a training path to plot), kept with the result."""
    return _grader_context.session.recorded.setdefault(_grader_context.nodeid, {})


@pytest.fixture
def params(_grader_context: _Context) -> dict[str, ParamValue]:
    """The exercise's parameters: defaults for public checks, the student's variant else."""
    context = _grader_context
    return context.session.params(context.exercise, context.check)


@pytest.fixture
def rng(_grader_context: _Context) -> np.random.Generator:
    """Random inputs: fixed for public checks, per student for hidden ones."""
    context = _grader_context
    check = context.check
    who = "" if check is None or check.public else context.session.student_id
    seed = check_seed(context.session.course.title, context.exercise.id, context.name, who)
    return np.random.default_rng(seed)
