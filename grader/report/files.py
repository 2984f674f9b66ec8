"""Write the report files: per student, for the class, and the gradebook CSV.

Layout under an output folder::

    summary.html                      the class summary (links to every report)
    students/<student>/report.html    one student's self-contained report
    students/<student>/report.md      the same in Markdown, figures in plots/
    students/<student>/results.json   Gradescope's results format
    students/<student>/plots/*.png

Every file is written to a temporary name and renamed into place, so a reader
never sees half a report.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from grader.course import Course
from grader.report.classstats import class_stats
from grader.report.feedback import build_view, fmt_points
from grader.report.gradescope import gradescope_results
from grader.report.html import StudentRow, render_report_html, render_summary_html
from grader.report.markdown import render_markdown
from grader.report.plots import (
    Plot,
    check_plots,
    pass_rate_figure,
    png,
    score_histogram_figure,
)
from grader.results import SubmissionResult

__all__ = [
    "STUDENTS_DIR",
    "student_folder",
    "write_class_outputs",
    "write_gradebook_csv",
    "write_submission_reports",
]

STUDENTS_DIR = "students"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def student_folder(out_dir: Path, student: str) -> Path:
    """``out_dir/students/<name>``: the student id made safe as one folder name.

    An id that had to change gets a short hash of the original, so two ids never
    share a folder.
    """
    name = _UNSAFE.sub("_", student).strip("._-")[:80] or "anonymous"
    if name != student:
        name += "-" + hashlib.sha256(student.encode()).hexdigest()[:8]
    return out_dir / STUDENTS_DIR / name


def write_submission_reports(
    result: SubmissionResult, course: Course, out_dir: Path, *, released: bool = True
) -> list[Path]:
    """Write one student's HTML and Markdown reports and ``results.json``; return the paths.

    Before release (*released* false) hidden checks show only what the course's
    ``feedback.before_release`` allows; after release, ``feedback.after_release``.
    """
    folder = student_folder(Path(out_dir), result.student)
    plots_dir = folder / "plots"
    plots_dir.mkdir(parents=True, exist_ok=True)
    for old in plots_dir.glob("*.png"):
        old.unlink()
    view = build_view(result, course, released=released)
    plots: dict[str, list[Plot]] = {}
    for check in view.checks:
        drawn = check_plots(check.exercise, check.name, check.details)
        if drawn:
            plots[f"{check.exercise}.{check.name}"] = drawn
    written: list[Path] = []
    images: dict[str, dict[str, str]] = {}
    for key, drawn in plots.items():
        for plot in drawn:
            path = plots_dir / f"{_UNSAFE.sub('_', plot.key)}.png"
            _write_bytes(path, plot.png)
            written.append(path)
            images.setdefault(key, {})[plot.caption] = f"plots/{path.name}"
    if not written:
        plots_dir.rmdir()
    html_path = folder / "report.html"
    _write_text(html_path, render_report_html(view, plots))
    md_path = folder / "report.md"
    _write_text(md_path, render_markdown(view, images))
    json_path = folder / "results.json"
    document = gradescope_results(result, course, released=released)
    _write_text(json_path, json.dumps(document, indent=2, allow_nan=False) + "\n")
    return [html_path, md_path, json_path, *written]


def write_class_outputs(
    results: Sequence[SubmissionResult], course: Course, out_dir: Path
) -> list[Path]:
    """Write ``summary.html`` for the class; return the paths written.

    Students whose ``report.html`` exists under *out_dir* are linked to it.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stats = class_stats(results, course)
    links: dict[str, str] = {}
    for result in results:
        report = student_folder(out_dir, result.student) / "report.html"
        if report.is_file():
            links[result.student] = report.relative_to(out_dir).as_posix()
    rows = [
        StudentRow(
            student=r.student,
            points=r.points,
            max_points=r.max_points,
            cells={
                e.exercise: f"{fmt_points(e.points)}/{fmt_points(e.max_points)}"
                for e in r.exercises
            },
        )
        for r in sorted(results, key=lambda r: r.student)
    ]
    histogram = score_histogram_figure(stats.scores, stats.max_points)
    rates = pass_rate_figure([(c.label, c.counts) for c in stats.checks])
    html = render_summary_html(
        stats,
        rows,
        links,
        histogram=None
        if histogram is None
        else Plot("scores", "How many students reached each total score", png(histogram)),
        pass_rates=None
        if rates is None
        else Plot("checks", "Outcome of each check across submissions", png(rates)),
    )
    path = out_dir / "summary.html"
    _write_text(path, html)
    return [path]


def write_gradebook_csv(results: Sequence[SubmissionResult], course: Course, path: Path) -> Path:
    """A gradebook CSV for Canvas: a row per student, a column per exercise and the total.

    The header follows Canvas's gradebook import (``Student``, ``ID``, ``SIS User
    ID``, ``SIS Login ID``, ``Section``, then one column per assignment), the
    second row gives the points possible, and the student id goes in ``SIS
    Login ID``. An exercise a submission was not graded on is left empty.
    """
    exercise_ids = [entry.id for entry in course.exercises]
    maximum = {entry.id: entry.points for entry in course.exercises}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *exercise_ids, "Total"]
    )
    writer.writerow(
        [
            "Points Possible",
            "",
            "",
            "",
            "",
            *(fmt_points(maximum[i]) for i in exercise_ids),
            fmt_points(sum(maximum.values())),
        ]
    )
    for result in sorted(results, key=lambda r: r.student):
        earned = {e.exercise: e.points for e in result.exercises}
        writer.writerow(
            [
                result.student,
                "",
                "",
                result.student,
                "",
                *(fmt_points(earned[i]) if i in earned else "" for i in exercise_ids),
                fmt_points(result.points),
            ]
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_text(path, buffer.getvalue())
    return path


def _write_text(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
