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

The hooks that turn tests into results are in :mod:`grader.session`; what each
fixture gives is :class:`grader.checking.CheckContext`'s, which :mod:`grader.quick`
uses too.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from grader.checking import CheckContext
from grader.course import Exercise
from grader.session import SESSION_KEY
from grader.student import StudentModule
from grader.variants import ParamValue, check_seed

__all__ = ["check_seed"]


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def _grader_context(request: pytest.FixtureRequest) -> CheckContext:
    """The one fixture that reads *request*; the others depend on it."""
    session = request.config.stash.get(SESSION_KEY, None)
    if session is None:
        pytest.fail(
            "graders run through the grader (grader check / grader grade), not plain pytest",
            pytrace=False,
        )
    return session.context(request.path, request.node.originalname, request.node.nodeid)


@pytest.fixture
def exercise(_grader_context: CheckContext) -> Exercise:
    """The exercise this grader file belongs to."""
    return _grader_context.exercise


@pytest.fixture
def student(_grader_context: CheckContext) -> Iterator[StudentModule]:
    """The submission's module for this exercise, reached only through the sandbox."""
    yield _grader_context.student()


@pytest.fixture
def reference(_grader_context: CheckContext) -> ModuleType:
    """The reference solution (hidden checks only: students do not have it)."""
    return _grader_context.reference()


@pytest.fixture
def record(_grader_context: CheckContext) -> dict[str, Any]:
    """Numbers for the reports (e.g. a training path to plot), kept with the result."""
    return _grader_context.record()


@pytest.fixture
def params(_grader_context: CheckContext) -> dict[str, ParamValue]:
    """The exercise's parameters: defaults for public checks, the student's variant else."""
    return _grader_context.params()


@pytest.fixture
def rng(_grader_context: CheckContext) -> np.random.Generator:
    """Random inputs: fixed for public checks, per student for hidden ones."""
    return _grader_context.rng()
