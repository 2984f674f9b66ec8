"""Recognise known mistakes from what a submission returned.

A mistake is a trusted module under ``solutions/<id>/`` (or inline ``code`` in
exercise.yml) that implements some
of the exercise's functions the wrong way (the rest fall back to the reference
solution). When a check fails, every call the check made to the student is
replayed on each mistake: a mistake matches when it reproduces all of the
student's answers and differs from the reference on at least one of them.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.compare import all_close
from grader.course import Exercise, Mistake
from grader.errors import CourseError
from grader.student import CallRecord

__all__ = ["MistakeCatalog", "import_trusted", "load_mistake", "same_values"]


def import_trusted(path: Path, name: str) -> ModuleType:
    """Import a course file (solution, mistake) under a private module name."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None or not path.is_file():
        raise CourseError(f"{path} is missing; the course needs it to grade")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise CourseError(f"{path} does not import ({type(exc).__name__}: {exc}); fix it") from exc
    return module


def load_mistake(exercise: Exercise, mistake: Mistake) -> ModuleType:
    """The module of a mistake: its ``file``, or its inline ``code`` (with ``np`` imported)."""
    name = f"_mistake_{exercise.id}_{mistake.id}"
    if mistake.file is not None:
        return import_trusted(exercise.solution_dir / mistake.file, name)
    module = ModuleType(name)
    module.__dict__["np"] = np
    where = f"{exercise.exercise_dir / 'exercise.yml'} (mistake '{mistake.id}')"
    try:
        exec(compile(mistake.code or "", where, "exec"), module.__dict__)
    except Exception as exc:
        raise CourseError(
            f"{where}: its code does not run ({type(exc).__name__}: {exc}); fix it"
        ) from exc
    return module


def same_values(a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Whether two plain-data values agree (tuples element-wise, arrays within tolerance)."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        return (
            isinstance(a, tuple)
            and isinstance(b, tuple)
            and len(a) == len(b)
            and all(same_values(x, y, rtol, atol) for x, y in zip(a, b, strict=True))
        )
    if a is None or b is None:
        return a is None and b is None
    try:
        x = np.asarray(a, dtype=np.float64)
        y = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return x.shape == y.shape and all_close(x, y, rtol, atol)


@dataclass
class MistakeCatalog:
    """The reference module and the known mistakes of one exercise, loaded once."""

    exercise: Exercise
    reference: ModuleType
    mistakes: list[tuple[Mistake, ModuleType]] = field(default_factory=list)

    @classmethod
    def load(cls, exercise: Exercise) -> MistakeCatalog:
        reference = import_trusted(exercise.solution_path, f"_reference_{exercise.id}")
        loaded = [(m, load_mistake(exercise, m)) for m in exercise.mistakes]
        return cls(exercise, reference, loaded)

    def match(self, records: Sequence[CallRecord]) -> list[Mistake]:
        """The mistakes that explain every recorded answer of the student."""
        return [m for m, module in self.mistakes if self._explains(module, records)]

    def _explains(self, module: ModuleType, records: Iterable[CallRecord]) -> bool:
        differs_from_reference = False
        for record in records:
            wrong = getattr(module, record.function, None) or getattr(
                self.reference, record.function
            )
            try:
                with np.errstate(all="ignore"):
                    theirs = wrong(*_copies(record.args), **_copies(record.kwargs))
                    right = getattr(self.reference, record.function)(
                        *_copies(record.args), **_copies(record.kwargs)
                    )
            except Exception:
                return False
            if not same_values(record.result, theirs):
                return False
            if not same_values(theirs, right):
                differs_from_reference = True
        return differs_from_reference


def _copies(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(_copies(v) for v in value)
    if isinstance(value, dict):
        return {k: _copies(v) for k, v in value.items()}
    return value
