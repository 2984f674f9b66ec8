"""What grading produces: one result per check, per exercise and per submission.

Results are data. Renderers in :mod:`grader.report` decide how they look.
They cross process boundaries and the gradebook as JSON: :func:`to_json` and
:func:`from_json` (which checks every field and raises :class:`ResultError`).
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import msgspec
from msgspec import field

__all__ = [
    "CheckResult",
    "ExerciseResult",
    "ResultError",
    "Status",
    "SubmissionResult",
    "from_json",
    "to_json",
]

ResultError = msgspec.DecodeError
"""Raised by :func:`from_json` for bytes that are not a well-formed result."""

Status = Literal["passed", "failed", "error", "timeout", "crashed", "oom"]


class CheckResult(msgspec.Struct, kw_only=True):
    """The outcome of one check: points, status, and a message safe for the student."""

    exercise: str
    name: str
    title: str = ""
    points: float
    max_points: float
    public: bool
    status: Status
    message: str = ""
    hint: str = ""
    mistakes: list[str] = field(default_factory=list)  # ids of matched mistakes
    not_implemented: bool = False
    duration: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


class ExerciseResult(msgspec.Struct, kw_only=True):
    exercise: str
    title: str
    points: float
    max_points: float
    checks: list[CheckResult]
    message: str = ""  # one line about the whole exercise, if any

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


class SubmissionResult(msgspec.Struct, kw_only=True):
    student: str
    course: str
    course_version: str
    grader_version: str
    exercises: list[ExerciseResult]
    isolation: list[str] = field(default_factory=list)  # sandbox layers in force
    seed: int | None = None
    duration: float = 0.0
    stdout: str = ""

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def max_points(self) -> float:
        return sum(e.max_points for e in self.exercises)


_Result = TypeVar("_Result", CheckResult, ExerciseResult, SubmissionResult)


def to_json(result: CheckResult | ExerciseResult | SubmissionResult) -> bytes:
    """*result* as JSON."""
    return msgspec.json.encode(result)


def from_json(data: bytes | str, kind: type[_Result]) -> _Result:
    """The *kind* of result in *data*; :class:`ResultError` if it is not one."""
    return msgspec.json.decode(data, type=kind)
