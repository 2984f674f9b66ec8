"""Checks without pytest, when their graders need nothing of it.

Importing pytest and setting up its session are about a quarter of a
``grader check``, and pytest's handling of each test a quarter of the grader's
own work per submission in ``grader grade``. When every grader of the chosen
exercises is a plain module of ``test_*`` functions that ask only for the
grader's own fixtures (:data:`SUPPORTED`, and ``reference`` in hidden graders),
as the shipped course's are, :func:`plan` finds the checks pytest would run, in
the order it would run them, and :func:`grade` runs them with the same fixture
values (:class:`~grader.checking.CheckContext`), reporting each phase to the same
:class:`~grader.checking.Grading`, so every check ends with the result the pytest
session gives it. A grader that needs anything more (it uses pytest, a
``conftest.py`` is beside or above it, it has a test class, a marked, wrapped or
generator test, another fixture, or it does not import) makes :func:`plan` return
None, and the pytest session grades instead. ``tests/test_quick.py`` shows that
both give the same results on every sample submission.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

from greenlet import GreenletExit

from grader.checking import Collected, Grading
from grader.checks import needs_reference, run_check
from grader.checkspec import DeclarativeCheck
from grader.course import EXERCISE_FILE, Course, Exercise

__all__ = ["SUPPORTED", "QuickCheck", "grade", "plan"]

SUPPORTED = frozenset({"student", "rng", "params", "exercise", "record"})
"""The fixtures a public test may ask for and still run without pytest; hidden tests may
also ask for ``reference``."""

_PYTEST_MODULES = ("pytest", "_pytest")


@dataclass(frozen=True)
class QuickCheck:
    """One check to run: where pytest would find it, the fixtures it takes, and its function."""

    path: Path
    name: str
    nodeid: str
    fixtures: tuple[str, ...]
    function: Callable[..., object]


def plan(
    course: Course, exercises: Sequence[Exercise], *, public_only: bool = True
) -> list[QuickCheck] | None:
    """The checks of *exercises* in pytest's order, or None if pytest must run them.

    Hidden checks are included unless *public_only*. The grader modules are imported
    under the names pytest's importlib mode gives them; the caller removes them from
    ``sys.modules`` afterwards, as after a pytest session.
    """
    root = course.root.resolve()
    planned: list[QuickCheck] = []
    for exercise in exercises:
        files = exercise.public_grader_files()
        hidden = [] if public_only else exercise.hidden_grader_files()
        for folder in {p.parent.resolve() for p in [*files, *hidden]}:
            nearby = [d for d in (folder, *folder.parents) if d.is_relative_to(root)]
            if any((d / "conftest.py").exists() for d in nearby):
                return None
        for path in files:
            found = _planned(root, path.resolve(), SUPPORTED)
            if found is None:
                return None
            planned += found
        yml = exercise.exercise_dir.resolve() / EXERCISE_FILE
        for check in exercise.checks:
            if not isinstance(check, DeclarativeCheck) or (public_only and not check.public):
                continue
            name = f"test_{check.name}"
            fixtures: tuple[str, ...] = ("student", "rng", "params")
            if needs_reference(check):
                fixtures = ("student", "reference", "rng", "params")
            function = partial(_declarative, check)
            planned.append(QuickCheck(yml, name, _nodeid(root, yml, name), fixtures, function))
        for path in hidden:
            found = _planned(root, path.resolve(), SUPPORTED | {"reference"})
            if found is None:
                return None
            planned += found
    return planned


def _planned(root: Path, path: Path, allowed: frozenset[str]) -> list[QuickCheck] | None:
    found = _tests_of(_import(root, path), allowed)
    if found is None:
        return None
    return [
        QuickCheck(path, name, _nodeid(root, path, name), fixtures, function)
        for name, fixtures, function in found
    ]


def grade(grading: Grading, planned: Sequence[QuickCheck]) -> None:
    """Check *planned* against the course, then grade every submission of *grading* with it."""
    grading.validate(Collected(c.path, c.name, c.fixtures) for c in planned)
    if grading.course_errors:
        return
    # As in the pytest session, what graders print is not shown (nor kept: a batch
    # worker grades hundreds of submissions in one session).
    with (
        open(os.devnull, "w") as sink,
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        grading.grade(lambda: _run(grading, planned))


def _run(grading: Grading, planned: Sequence[QuickCheck]) -> None:
    grading.run_side_by_side([partial(_run_one, grading, check) for check in planned])


def _run_one(grading: Grading, check: QuickCheck) -> None:
    """One check, from its fixtures to its outcome."""
    context = grading.context(check.path, check.name, check.nodeid)
    started = grading.check_clock()
    try:
        values = {fixture: context.value(fixture) for fixture in check.fixtures}
    except (KeyboardInterrupt, GreenletExit):
        raise
    except BaseException as exc:
        duration = grading.check_clock() - started
        grading.outcome(check.path, check.name, check.nodeid, exc, duration, when="setup")
        return
    started = grading.check_clock()
    error: BaseException | None = None
    try:
        check.function(**values)
    except (KeyboardInterrupt, GreenletExit):
        raise
    except BaseException as exc:
        error = exc
    duration = grading.check_clock() - started
    grading.outcome(check.path, check.name, check.nodeid, error, duration, when="call")


def _declarative(
    check: DeclarativeCheck, student: Any, rng: Any, params: Any, reference: Any = None
) -> None:
    run_check(check, student, rng, params, reference)


def _nodeid(root: Path, path: Path, name: str) -> str:
    return f"{path.relative_to(root).as_posix()}::{name}"


def _import(root: Path, path: Path) -> ModuleType | None:
    """The grader module at *path*, named as pytest's importlib mode names it; None on error."""
    name = ".".join(path.relative_to(root).with_suffix("").parts)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception:
        del sys.modules[name]
        return None
    return module


def _tests_of(
    module: ModuleType | None, allowed: frozenset[str]
) -> list[tuple[str, tuple[str, ...], Callable[..., object]]] | None:
    """The module's test functions and their fixtures, in order; None if pytest is needed."""
    if module is None:
        return None
    found = []
    for name, value in vars(module).items():
        if _from_pytest(value):
            return None
        if name.startswith("Test"):
            return None
        if not name.startswith("test_"):
            continue
        fixtures = _fixtures(value, allowed)
        if fixtures is None:
            return None
        found.append((name, fixtures, value))
    return found


def _from_pytest(value: object) -> bool:
    if isinstance(value, ModuleType):
        origin = value.__name__
    else:
        origin = getattr(type(value), "__module__", "")
        if inspect.isfunction(value) or inspect.isclass(value):
            origin = value.__module__
    return isinstance(origin, str) and origin.split(".")[0] in _PYTEST_MODULES


def _fixtures(function: object, allowed: frozenset[str]) -> tuple[str, ...] | None:
    """The fixtures a plain test function asks for; None for anything pytest must run."""
    if not inspect.isfunction(function):
        return None
    if inspect.isgeneratorfunction(function) or inspect.iscoroutinefunction(function):
        return None
    if any(hasattr(function, attr) for attr in ("pytestmark", "__wrapped__", "__test__")):
        return None
    names = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind not in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            return None
        if parameter.default is not parameter.empty or parameter.name not in allowed:
            return None
        names.append(parameter.name)
    return tuple(names)
