"""The terminal view of a submission's results, as ``grader check`` shows it."""

from __future__ import annotations

from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from grader.results import CheckResult, ExerciseResult, SubmissionResult

__all__ = ["render_terminal"]

_LABELS = {
    "passed": ("PASS", "green"),
    "failed": ("FAIL", "red"),
    "error": ("ERROR", "yellow"),
    "timeout": ("TIMEOUT", "magenta"),
    "crashed": ("CRASH", "magenta"),
    "oom": ("MEMORY", "magenta"),
}


def _label(check: CheckResult) -> Text:
    if check.not_implemented:
        return Text("TODO", style="cyan")
    text, style = _LABELS[check.status]
    return Text(text, style=f"bold {style}")


def _exercise(result: ExerciseResult) -> Group:
    score_style = "green" if result.passed else "red" if result.points == 0 else "yellow"
    head = Text.assemble(
        (result.exercise, "bold"),
        f"  {result.title}  ",
        (f"{result.points:g}/{result.max_points:g}", f"bold {score_style}"),
    )
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    for check in result.checks:
        visibility = "" if check.public else " (hidden)"
        table.add_row(
            _label(check), check.name + visibility, f"{check.points:g}/{check.max_points:g}"
        )
    parts: list[object] = [head, Padding(table, (0, 0, 0, 2))]
    shown_messages: set[str] = set()
    for check in result.checks:
        if check.passed or check.not_implemented:
            continue
        if check.message in shown_messages and not check.hint:
            continue
        shown_messages.add(check.message)
        detail = Text(f"{check.name}: ", style="bold")
        detail.append(check.message)
        if check.hint:
            detail.append("\nhint: ", style="bold cyan")
            detail.append(check.hint)
        parts.append(Padding(detail, (0, 0, 0, 4)))
    if result.message:
        parts.append(Padding(Text(result.message, style="italic"), (0, 0, 0, 2)))
    return Group(*parts)  # type: ignore[arg-type]


def render_terminal(result: SubmissionResult, console: Console | None = None) -> None:
    """Print *result* to *console* (standard output by default)."""
    console = console or Console()
    for exercise in result.exercises:
        console.print(_exercise(exercise))
        console.print()
    total_style = "bold green" if result.points == result.max_points else "bold"
    console.print(
        Text.assemble(
            ("Total ", "bold"),
            (f"{result.points:g}/{result.max_points:g}", total_style),
            f"   ({result.duration:.2f} s; isolation: {', '.join(result.isolation) or 'none'})",
        )
    )
