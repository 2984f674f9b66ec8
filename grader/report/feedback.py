"""What a student may see of a result: the one place that decides what is shown.

Every file renderer (HTML, Markdown, Gradescope JSON) draws from a
:class:`ReportView`, never from the raw result, so the rules live here only:

* public checks are shown in full: status, points, message, hint and plot data;
* hidden checks always appear with their name and title; their outcome (status
  and points), hint and message appear as ``course.yml``'s ``feedback`` section
  says for the moment (before or after the grades are released);
* the details of a hidden check reach a plot only through the keys listed in
  :data:`SAFE_HIDDEN_DETAILS` (numbers from the student's own run), and only
  once its outcome is shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from grader.course import Course
from grader.results import CheckResult, ExerciseResult, SubmissionResult

__all__ = [
    "SAFE_HIDDEN_DETAILS",
    "STATUS_LABELS",
    "CheckView",
    "ExerciseView",
    "ReportView",
    "build_view",
    "fmt_points",
]

SAFE_HIDDEN_DETAILS = frozenset(
    {"raw_path", "centred_path", "raw_steps", "centred_steps", "raw_flips", "centred_flips"}
)
"""Detail keys of hidden checks that hold only the student's own training run."""

STATUS_LABELS = {
    "passed": "passed",
    "failed": "failed",
    "error": "error",
    "timeout": "timed out",
    "crashed": "crashed",
    "oom": "out of memory",
    "todo": "not implemented yet",
    "pending": "result after release",
}


def fmt_points(value: float) -> str:
    """Points as students read them: ``2``, ``1.5``, ``0.33``."""
    if math.isfinite(value) and value == round(value):
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class CheckView:
    """One check as the student may see it."""

    exercise: str
    name: str
    title: str
    number: str
    public: bool
    outcome_shown: bool
    state: str  # a key of STATUS_LABELS
    points: float | None  # None while the outcome is withheld
    max_points: float
    message: str
    hint: str
    details: dict[str, Any]

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.state]

    @property
    def passed(self) -> bool:
        return self.state == "passed"

    @property
    def score(self) -> str:
        if self.points is None:
            return f"?/{fmt_points(self.max_points)}"
        return f"{fmt_points(self.points)}/{fmt_points(self.max_points)}"


@dataclass(frozen=True)
class ExerciseView:
    exercise: str
    title: str
    number: int
    points: float
    max_points: float
    pending_points: float  # points of hidden checks whose outcome is withheld
    message: str
    checks: list[CheckView]

    @property
    def shown_max(self) -> float:
        return self.max_points - self.pending_points

    @property
    def score(self) -> str:
        return f"{fmt_points(self.points)}/{fmt_points(self.shown_max)}"

    @property
    def explained(self) -> list[CheckView]:
        """The checks that need a section: lost ones with something to say, and plots.

        A check that repeats an earlier check's message and hint is left out.
        """
        seen: set[tuple[str, str]] = set()
        chosen: list[CheckView] = []
        for check in self.checks:
            if check.details:
                chosen.append(check)
            elif not check.passed and (check.message or check.hint):
                if (check.message, check.hint) not in seen:
                    chosen.append(check)
                seen.add((check.message, check.hint))
        return chosen

    @property
    def state(self) -> str:
        if self.points >= self.shown_max:
            return "full"
        return "none" if self.points == 0 else "partial"


@dataclass(frozen=True)
class ReportView:
    student: str
    course: str
    course_version: str
    grader_version: str
    released: bool
    duration: float
    isolation: list[str]
    exercises: list[ExerciseView]

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def max_points(self) -> float:
        return sum(e.max_points for e in self.exercises)

    @property
    def pending_points(self) -> float:
        return sum(e.pending_points for e in self.exercises)

    @property
    def shown_max(self) -> float:
        return self.max_points - self.pending_points

    @property
    def score(self) -> str:
        return f"{fmt_points(self.points)}/{fmt_points(self.shown_max)}"

    @property
    def checks(self) -> list[CheckView]:
        return [c for e in self.exercises for c in e.checks]


def build_view(result: SubmissionResult, course: Course, *, released: bool) -> ReportView:
    """The student's view of *result* under the course's feedback rules."""
    shown = course.feedback.shown(released)
    exercises = [
        _exercise_view(number, exercise, shown)
        for number, exercise in enumerate(result.exercises, start=1)
    ]
    return ReportView(
        student=result.student,
        course=result.course,
        course_version=result.course_version,
        grader_version=result.grader_version,
        released=released,
        duration=result.duration,
        isolation=list(result.isolation),
        exercises=exercises,
    )


def _exercise_view(number: int, result: ExerciseResult, shown: frozenset[str]) -> ExerciseView:
    checks = [
        _check_view(f"{number}.{index}", check, shown)
        for index, check in enumerate(result.checks, start=1)
    ]
    return ExerciseView(
        exercise=result.exercise,
        title=result.title,
        number=number,
        points=sum(c.points or 0.0 for c in checks),
        max_points=sum(c.max_points for c in checks),
        pending_points=sum(c.max_points for c in checks if not c.outcome_shown),
        message=result.message,
        checks=checks,
    )


def _check_view(number: str, check: CheckResult, shown: frozenset[str]) -> CheckView:
    outcome = check.public or "outcome" in shown
    if not outcome:
        state = "pending"
    elif check.not_implemented:
        state = "todo"
    else:
        state = check.status
    message = check.message if check.public or "message" in shown else ""
    hint = check.hint if check.public or "hint" in shown else ""
    if check.passed or not outcome:
        message = hint = ""
    return CheckView(
        exercise=check.exercise,
        name=check.name,
        title=check.title,
        number=number,
        public=check.public,
        outcome_shown=outcome,
        state=state,
        points=check.points if outcome else None,
        max_points=check.max_points,
        message=message,
        hint=hint,
        details=_safe_details(check) if outcome else {},
    )


def _safe_details(check: CheckResult) -> dict[str, Any]:
    if check.public:
        return {k: v for k, v in check.details.items() if k != "grader_exception"}
    return {k: v for k, v in check.details.items() if k in SAFE_HIDDEN_DETAILS}
