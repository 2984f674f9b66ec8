"""Gradescope's ``results.json`` for one submission, one test entry per check.

Public checks are ``visible``. Hidden checks get the course's
``defaults.hidden_visibility``; Gradescope then withholds them until that
moment, so their output is what students may see after release. When hidden
checks are ``visible`` at once, the ``released`` view applies, and a check whose
outcome that view withholds is marked ``after_published`` instead: an entry
always carries its score.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from grader.course import Course
from grader.report.feedback import CheckView, ReportView, build_view
from grader.report.markdown import check_markdown
from grader.results import SubmissionResult

__all__ = ["SCHEMA_RESOURCE", "gradescope_results", "load_schema"]

SCHEMA_RESOURCE = "schemas/gradescope_results.schema.json"


def load_schema() -> dict[str, Any]:
    """The JSON Schema of ``results.json``, written from Gradescope's specification."""
    import json

    text = (files("grader") / SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def gradescope_results(
    result: SubmissionResult, course: Course, *, released: bool = True
) -> dict[str, Any]:
    """The ``results.json`` document of *result* (a dict ready for :func:`json.dump`)."""
    gated = course.defaults.hidden_visibility != "visible"
    now = build_view(result, course, released=released)
    later = build_view(result, course, released=True)
    tests: list[dict[str, Any]] = []
    for checks_now, checks_later in zip(now.checks, later.checks, strict=True):
        if checks_now.public:
            tests.append(_test(checks_now, "visible"))
        elif gated:
            tests.append(_test(checks_later, course.defaults.hidden_visibility))
        elif checks_now.outcome_shown:
            tests.append(_test(checks_now, "visible"))
        else:
            tests.append(_test(checks_later, "after_published"))
    return {
        "score": round(result.points, 6),
        "execution_time": round(max(result.duration, 0.0), 3),
        "output": _summary(now),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {
            "student": result.student,
            "course_version": result.course_version,
            "grader_version": result.grader_version,
            "isolation": list(result.isolation),
        },
        "tests": tests,
    }


def _test(check: CheckView, visibility: str) -> dict[str, Any]:
    title = f": {check.title}" if check.title else ""
    return {
        "score": round(check.points or 0.0, 6),
        "max_score": round(check.max_points, 6),
        "status": "passed" if check.passed else "failed",
        "name": f"{check.exercise}.{check.name}{title}",
        "number": check.number,
        "output": check_markdown(check, heading=False),
        "output_format": "md",
        "tags": [check.exercise],
        "visibility": visibility,
    }


def _summary(view: ReportView) -> str:
    lines = [f"**{view.course}**: {view.score} points from the checks shown."]
    if view.pending_points:
        lines.append(
            f"Hidden checks worth {view.pending_points:g} more points are graded; "
            "their results appear when grades are released."
        )
    for exercise in view.exercises:
        lines.append(f"- {exercise.exercise} ({exercise.title}): {exercise.score}")
    return "\n".join(lines)
