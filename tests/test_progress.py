"""The progress bars follow grading and then the writing of reports."""

from __future__ import annotations

import io

from batch_helpers import SOLUTION, STUB, write_files
from rich.console import Console

from grader.batch import grade_class, report_class
from grader.progress import BatchProgress


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def started(self, total, unchanged):
        self.calls.append(("started", total))

    def finished(self, result):
        self.calls.append(("finished", result.student))

    def reports_started(self, total):
        self.calls.append(("reports_started", total))

    def report_written(self, student):
        self.calls.append(("report_written", student))


def test_a_batch_reports_grading_then_each_report_written(course, tmp_path):
    source = tmp_path / "class"
    for name, text in (("ada", SOLUTION), ("bob", STUB), ("cy", SOLUTION)):
        write_files(source / name, {"sigmoid.py": text})
    listener = Recorder()
    grade_class(course, source, tmp_path / "out", exercises=["sigmoid"], jobs=1,
                listener=listener)
    kinds = [kind for kind, _ in listener.calls]
    assert kinds == ["started", *["finished"] * 3, "reports_started", *["report_written"] * 3]
    assert listener.calls[0] == ("started", 3) and ("reports_started", 3) in listener.calls
    written = sorted(s for kind, s in listener.calls if kind == "report_written")
    assert written == ["ada", "bob", "cy"]
    again = Recorder()
    report_class(course, tmp_path / "out", jobs=1, listener=again)
    assert [k for k, _ in again.calls] == ["reports_started", *["report_written"] * 3]


def test_the_bars_show_counts_for_grading_and_for_reports():
    screen = io.StringIO()
    progress = BatchProgress(Console(file=screen, force_terminal=False, width=120))
    with progress:
        progress.started(2, 0)
        progress.reports_started(5)
        for _ in range(5):
            progress.report_written("ada")
    text = screen.getvalue()
    assert "grading" in text and "0/2" in text
    assert "writing reports" in text and "5/5" in text
