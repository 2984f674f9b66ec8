"""Turn how a check ended (passed, or the exception it raised) into a CheckResult.

Only text written for students reaches the result: a student fault's message,
a CheckFailure's message (its revealing table for public checks only), or an
author's own assert message. Grader tracebacks and hidden code never do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from grader.course import Check, Exercise, Mistake
from grader.errors import CheckFailure, StudentFault, StudentRaised
from grader.results import CheckResult, Status

__all__ = ["check_result"]


def check_result(
    exercise: Exercise,
    check: Check,
    error: BaseException | None,
    duration: float,
    explain: Callable[[], Sequence[Mistake]],
) -> CheckResult:
    """The result of *check*; *explain* lists the known mistakes behind a failure."""
    base: dict[str, Any] = dict(
        exercise=exercise.id,
        name=check.name,
        title=check.title,
        max_points=check.points,
        public=check.public,
        duration=duration,
    )
    if error is None:
        return CheckResult(points=check.points, status="passed", **base)
    not_implemented = isinstance(error, StudentRaised) and error.not_implemented
    status, message, details = _describe(error, check.public)
    hints = [check.hint] if check.hint and status == "failed" else []
    matched: list[str] = []
    if status == "failed" or (status == "error" and not not_implemented):
        for mistake in explain():
            matched.append(mistake.id)
            hints.append(mistake.hint)
    return CheckResult(
        points=0.0,
        status=status,
        message=message,
        hint="\n".join(hints),
        mistakes=matched,
        not_implemented=not_implemented,
        details=details,
        **base,
    )


def _describe(error: BaseException, public: bool) -> tuple[Status, str, dict[str, Any]]:
    if isinstance(error, StudentFault):
        return error.status, error.message, {}  # type: ignore[return-value]
    if isinstance(error, CheckFailure):
        shown = f"\n{error.revealing}" if public and error.revealing else ""
        return "failed", error.message + shown, dict(error.data) if public else {}
    if isinstance(error, AssertionError):
        return "failed", _author_message(error), {}
    return (
        "error",
        f"this check could not use your result ({type(error).__name__}); "
        "compare your return values with the docstring",
        {"grader_exception": type(error).__name__},
    )


def _author_message(error: AssertionError) -> str:
    """The message a grader's author wrote for a bare ``assert``, without introspection."""
    text = str(error.args[0]) if error.args else ""
    text = text.split("\nassert ", 1)[0].strip()
    return text if text and not text.startswith("assert ") else "the check's condition did not hold"
