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
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from grader.course import Exercise
from grader.session import SESSION_KEY, GradingSession
from grader.student import StudentModule
from grader.variants import ParamValue, check_seed

__all__ = ["check_seed"]


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
    name = request.node.originalname.removeprefix("test_")
    module = _session(request).student_module(exercise, exercise.check(name))
    module.begin_check(name)
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
def params(request: pytest.FixtureRequest, exercise: Exercise) -> dict[str, ParamValue]:
    """The exercise's parameters: defaults for public checks, the student's variant else."""
    name = request.node.originalname.removeprefix("test_")
    return _session(request).params(exercise, exercise.check(name))


@pytest.fixture
def rng(request: pytest.FixtureRequest, exercise: Exercise) -> np.random.Generator:
    """Random inputs: fixed for public checks, per student for hidden ones."""
    session = _session(request)
    name = request.node.originalname.removeprefix("test_")
    check = exercise.check(name)
    who = "" if check is None or check.public else session.student_id
    return np.random.default_rng(check_seed(session.course.title, exercise.id, name, who))
