"""Statistics over a class's results: what the class summary shows.

Pure data in, pure data out: scores, the outcome of every check across
submissions, the known mistakes met most often, the submissions that hit a
limit (timeout, crash, memory), and the slowest submissions.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from grader.course import Course
from grader.results import CheckResult, SubmissionResult

__all__ = [
    "LIMIT_STATUSES",
    "CheckStats",
    "ClassStats",
    "Incident",
    "Misconception",
    "class_stats",
    "outcome_kind",
]

LIMIT_STATUSES = ("timeout", "crashed", "oom")
OUTCOME_KINDS = ("passed", "failed", "todo", "error", "limits")


def outcome_kind(check: CheckResult) -> str:
    """``passed``, ``failed``, ``todo`` (not implemented), ``error`` or ``limits``."""
    if check.status in LIMIT_STATUSES:
        return "limits"
    if check.not_implemented:
        return "todo"
    return check.status


@dataclass(frozen=True)
class CheckStats:
    exercise: str
    name: str
    title: str
    public: bool
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def pass_rate(self) -> float:
        return self.counts.get("passed", 0) / self.total if self.total else 0.0

    @property
    def label(self) -> str:
        return f"{self.exercise}.{self.name}"


@dataclass(frozen=True)
class Misconception:
    exercise: str
    mistake: str
    hint: str
    students: list[str]

    @property
    def count(self) -> int:
        return len(self.students)


@dataclass(frozen=True)
class Incident:
    student: str
    exercise: str
    status: str
    checks: list[str]
    message: str


@dataclass(frozen=True)
class ClassStats:
    course: str
    max_points: float
    scores: list[float]
    checks: list[CheckStats]
    misconceptions: list[Misconception]
    incidents: list[Incident]
    slowest: list[SubmissionResult]
    exercises: list[tuple[str, str]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.scores)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.scores) if self.scores else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.scores) if self.scores else 0.0


def class_stats(
    results: Sequence[SubmissionResult], course: Course, *, slowest: int = 10
) -> ClassStats:
    """Everything the class summary reports about *results*."""
    counts: dict[tuple[str, str], Counter[str]] = {}
    titles: dict[tuple[str, str], tuple[str, bool]] = {}
    seen_mistakes: dict[tuple[str, str], set[str]] = {}
    incidents: list[Incident] = []
    exercises: dict[str, str] = {}
    for result in results:
        for exercise in result.exercises:
            exercises.setdefault(exercise.exercise, exercise.title)
            stopped: dict[str, list[CheckResult]] = {}
            for check in exercise.checks:
                key = (check.exercise, check.name)
                counts.setdefault(key, Counter())[outcome_kind(check)] += 1
                titles.setdefault(key, (check.title, check.public))
                for mistake in check.mistakes:
                    seen_mistakes.setdefault((check.exercise, mistake), set()).add(result.student)
                if check.status in LIMIT_STATUSES:
                    stopped.setdefault(check.status, []).append(check)
            for status, checks in stopped.items():
                incidents.append(
                    Incident(
                        student=result.student,
                        exercise=exercise.exercise,
                        status=status,
                        checks=[c.name for c in checks],
                        message=checks[0].message,
                    )
                )
    order = [entry.id for entry in course.exercises]
    rank = {exercise_id: index for index, exercise_id in enumerate(order)}
    keys = sorted(counts, key=lambda k: rank.get(k[0], len(rank)))
    check_stats = [
        CheckStats(
            exercise=key[0],
            name=key[1],
            title=titles[key][0],
            public=titles[key][1],
            counts={kind: counts[key].get(kind, 0) for kind in OUTCOME_KINDS},
        )
        for key in keys
    ]
    misconceptions = sorted(
        (
            Misconception(
                exercise=exercise_id,
                mistake=mistake,
                hint=_mistake_hint(course, exercise_id, mistake),
                students=sorted(students),
            )
            for (exercise_id, mistake), students in seen_mistakes.items()
        ),
        key=lambda m: (-m.count, rank.get(m.exercise, len(rank)), m.mistake),
    )
    return ClassStats(
        course=course.title,
        max_points=max((r.max_points for r in results), default=0.0),
        scores=[r.points for r in results],
        checks=check_stats,
        misconceptions=misconceptions,
        incidents=incidents,
        slowest=sorted(results, key=lambda r: -r.duration)[:slowest],
        exercises=sorted(exercises.items(), key=lambda e: rank.get(e[0], len(rank))),
    )


def _mistake_hint(course: Course, exercise_id: str, mistake_id: str) -> str:
    exercise = course.loaded.get(exercise_id)
    if exercise is not None:
        for mistake in exercise.mistakes:
            if mistake.id == mistake_id:
                return mistake.hint
    return ""
