"""The progress bars of ``grader grade`` and ``grader report``: counts, elapsed time, ETA (rich)."""

from __future__ import annotations

from collections import Counter
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from grader.results import SubmissionResult

__all__ = ["BatchProgress", "outcome"]


def outcome(result: SubmissionResult) -> str:
    """One word for a submission: full marks, partial, zero, or what stopped it."""
    statuses = {c.status for e in result.exercises for c in e.checks}
    if statuses & {"timeout", "crashed", "oom"}:
        return "stopped"
    if result.max_points and result.points >= result.max_points:
        return "full"
    return "partial" if result.points > 0 else "zero"


class BatchProgress:
    """Follows a batch (a :class:`grader.batch.Listener`) on the terminal."""

    def __init__(self, console: Console | None = None) -> None:
        self.counts: Counter[str] = Counter()
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[tally]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
        )
        self._task: TaskID | None = None
        self._reports: TaskID | None = None

    def __enter__(self) -> BatchProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def started(self, total: int, unchanged: int) -> None:
        label = "grading" if not unchanged else f"grading ({unchanged} unchanged, skipped)"
        self._task = self._progress.add_task(label, total=total, tally="")

    def finished(self, result: SubmissionResult) -> None:
        self.counts[outcome(result)] += 1
        tally = " ".join(
            f"{name} {self.counts[name]}"
            for name in ("full", "partial", "zero", "stopped")
            if self.counts[name]
        )
        if self._task is not None:
            self._progress.update(self._task, advance=1, tally=tally)

    def reports_started(self, total: int) -> None:
        self._reports = self._progress.add_task("writing reports", total=total, tally="")

    def report_written(self, student: str) -> None:
        if self._reports is not None:
            self._progress.update(self._reports, advance=1)
