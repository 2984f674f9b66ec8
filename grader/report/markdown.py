"""The Markdown report of one submission (and each check's Markdown, reused in results.json).

Text that may come from a submission (messages, student ids) goes into code
spans and fences long enough that it cannot close them, or is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from grader.report.feedback import CheckView, ReportView

__all__ = ["check_markdown", "code_span", "fence", "md_escape", "render_markdown"]

_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def md_escape(text: str) -> str:
    """*text* with Markdown's special characters escaped, on one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def code_span(text: str) -> str:
    """*text* as inline code that nothing inside can close."""
    text = " ".join(text.split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    marks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{marks}{pad}{text}{pad}{marks}"


def _table_cell(text: str) -> str:
    """Course-written text in a table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def fence(text: str, info: str = "text") -> str:
    """*text* in a fenced code block that nothing inside can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    marks = "`" * max(3, longest + 1)
    return f"{marks}{info}\n{text.rstrip()}\n{marks}"


def check_markdown(
    check: CheckView, *, heading: bool = True, images: Mapping[str, str] | None = None
) -> str:
    """What one check says: status, points, message, hint and its figures."""
    parts: list[str] = []
    if heading:
        title = f": {check.title}" if check.title else ""
        hidden = " (hidden)" if not check.public else ""
        parts.append(f"#### {check.number} `{check.name}`{title}{hidden}")
    parts.append(f"**{check.label}**, {check.score} points")
    if check.state == "pending":
        parts.append("This hidden check's result is shown when grades are released.")
    if check.message:
        parts.append(fence(check.message))
    if check.hint:
        parts.append("**Hint:** " + check.hint.replace("\n", "\n\n"))
    for caption, link in (images or {}).items():
        parts.append(f"![{md_escape(caption)}]({link})")
    return "\n\n".join(parts)


def render_markdown(view: ReportView, images: Mapping[str, Mapping[str, str]]) -> str:
    """The whole report; *images* maps ``exercise.check`` to ``{caption: relative path}``."""
    student = code_span(view.student) if view.student else "(no name)"
    lines = [
        f"# Feedback: {view.course}",
        "",
        f"**Student:** {student}  ",
        f"**Score:** {view.score} points",
    ]
    if view.pending_points:
        lines.append(
            f"  \n*Hidden checks worth {view.pending_points:g} more points are graded; "
            "their results are shown when grades are released.*"
        )
    lines += ["", "| exercise | title | points |", "|---|---|---|"]
    for exercise in view.exercises:
        lines.append(
            f"| {exercise.number} `{exercise.exercise}` | {_table_cell(exercise.title)} "
            f"| {exercise.score} |"
        )
    for exercise in view.exercises:
        lines += ["", f"## {exercise.number}. {exercise.title}: {exercise.score}", ""]
        if exercise.message:
            lines += [f"*{md_escape(exercise.message)}*", ""]
        lines += ["| | check | points |", "|---|---|---|"]
        for check in exercise.checks:
            hidden = " (hidden)" if not check.public else ""
            lines.append(f"| {check.label} | `{check.name}`{hidden} | {check.score} |")
        for check in exercise.explained:
            pictures = images.get(f"{check.exercise}.{check.name}", {})
            lines += ["", check_markdown(check, images=pictures)]
    lines += [
        "",
        "---",
        f"*Course version {code_span(view.course_version)}, "
        f"grader {code_span(view.grader_version)}"
        f", graded in {view.duration:.2f} s.*",
        "",
    ]
    return "\n".join(lines)
