"""Write many students' reports at once, on every core.

A report's figures cost about a tenth of a second each to draw, so for a class
the reports take longer than the grading did on one core. :func:`write_reports`
spreads the students over *jobs* processes; each one writes whole reports with
:func:`~grader.report.files.write_submission_reports`, exactly as a single process
would, and sends back only the paths it wrote. The processes start from a fresh
``forkserver`` interpreter (not a fork of a parent that may hold threads and a
database connection) and ignore Ctrl-C, which the parent handles: it stops
handing out students and waits for the reports in progress, so no report is left
half written.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path

from grader.course import Course
from grader.report.files import write_submission_reports
from grader.results import SubmissionResult

__all__ = ["MIN_PARALLEL", "ReportOutcome", "write_reports"]

MIN_PARALLEL = 8
"""Fewer students than this are written in this process: starting workers would cost more."""

ReportOutcome = tuple[str, list[Path] | None, str]
"""(student, the paths written or None, the problem when None)."""


def write_reports(
    results: Sequence[SubmissionResult], course: Course, out_dir: Path, *, jobs: int = 1
) -> Iterator[ReportOutcome]:
    """Write each result's reports; yield one outcome per student as each finishes."""
    workers = min(jobs, len(results))
    if workers <= 1 or len(results) < MIN_PARALLEL:
        for result in results:
            yield _write(result, course, out_dir)
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_interrupt) as pool:
        futures: dict[Future[ReportOutcome], str] = {
            pool.submit(_write, result, course, out_dir): result.student for result in results
        }
        try:
            for future in as_completed(futures):
                try:
                    yield future.result()
                except Exception as exc:
                    yield futures[future], None, _problem(exc)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _write(result: SubmissionResult, course: Course, out_dir: Path) -> ReportOutcome:
    try:
        return result.student, write_submission_reports(result, course, out_dir), ""
    except Exception as exc:
        return result.student, None, _problem(exc)


def _problem(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _ignore_interrupt() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
