"""grader: auto-graded course exercises with sandboxed pytest graders.

The public API for course authors and tools is re-exported here. Names are
imported on first use, so that a command such as ``grader check`` can start
its sandbox before the heavier modules (pytest, msgspec, PyYAML) are loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from grader.compare import expect, expect_array, expect_close
    from grader.course import Check, Course, Exercise, FunctionSpec, Mistake, load_course
    from grader.errors import (
        CheckFailure,
        ConfigError,
        CourseError,
        GraderError,
        SandboxError,
        StudentFault,
        SubmissionError,
    )
    from grader.gradcheck import (
        GradCheckResult,
        VJPCase,
        compare_gradients,
        elementwise_derivative,
        expect_vjp,
        expect_vjps,
        numerical_elementwise,
        numerical_vjp,
        sample_away_from_kinks,
    )
    from grader.grading import grade_submission, grade_submissions
    from grader.results import CheckResult, ExerciseResult, SubmissionResult
    from grader.submission import Submission

_MODULES = {
    "compare": ("expect", "expect_array", "expect_close"),
    "course": ("Check", "Course", "Exercise", "FunctionSpec", "Mistake", "load_course"),
    "errors": (
        "CheckFailure",
        "ConfigError",
        "CourseError",
        "GraderError",
        "SandboxError",
        "StudentFault",
        "SubmissionError",
    ),
    "gradcheck": (
        "GradCheckResult",
        "VJPCase",
        "compare_gradients",
        "elementwise_derivative",
        "expect_vjp",
        "expect_vjps",
        "numerical_elementwise",
        "numerical_vjp",
        "sample_away_from_kinks",
    ),
    "grading": ("grade_submission", "grade_submissions"),
    "results": ("CheckResult", "ExerciseResult", "SubmissionResult"),
    "submission": ("Submission",),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "Check",
    "CheckFailure",
    "CheckResult",
    "ConfigError",
    "Course",
    "CourseError",
    "Exercise",
    "ExerciseResult",
    "FunctionSpec",
    "GradCheckResult",
    "GraderError",
    "Mistake",
    "SandboxError",
    "StudentFault",
    "Submission",
    "SubmissionError",
    "SubmissionResult",
    "VJPCase",
    "__version__",
    "compare_gradients",
    "elementwise_derivative",
    "expect",
    "expect_array",
    "expect_close",
    "expect_vjp",
    "expect_vjps",
    "grade_submission",
    "grade_submissions",
    "load_course",
    "numerical_elementwise",
    "numerical_vjp",
    "sample_away_from_kinks",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'grader' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"grader.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
