"""What grading produces: one result per check, per exercise and per submission.

Results are data. Renderers in :mod:`grader.report` decide how they look.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["CheckResult", "ExerciseResult", "Status", "SubmissionResult"]

Status = Literal["passed", "failed", "error", "timeout", "crashed", "oom"]


class CheckResult(BaseModel):
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
    mistakes: list[str] = Field(default_factory=list, description="ids of matched mistakes")
    not_implemented: bool = False
    duration: float = 0.0
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


class ExerciseResult(BaseModel):
    exercise: str
    title: str
    points: float
    max_points: float
    checks: list[CheckResult]
    message: str = Field("", description="one line about the whole exercise, if any")

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


class SubmissionResult(BaseModel):
    student: str
    course: str
    course_version: str
    grader_version: str
    exercises: list[ExerciseResult]
    isolation: list[str] = Field(default_factory=list, description="sandbox layers in force")
    seed: int | None = None
    duration: float = 0.0
    stdout: str = ""

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def max_points(self) -> float:
        return sum(e.max_points for e in self.exercises)
