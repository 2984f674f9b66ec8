"""Reports written by several processes are the files one process writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SUBMISSIONS
from msgspec.structs import replace

from grader.report import student_folder
from grader.report.parallel import MIN_PARALLEL, write_reports
from grader.results import SubmissionResult


@pytest.fixture(scope="module")
def results(course, grade) -> list[SubmissionResult]:
    buggy = grade(SUBMISSIONS / "sigmoid" / "derivative_from_input", ["sigmoid"])
    solution = grade(course.root / "solutions", ["sigmoid"])
    return [
        replace(buggy if k % 2 else solution, student=f"student-{k:02d}")
        for k in range(MIN_PARALLEL + 3)
    ]


def _files(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }


def test_parallel_reports_are_byte_for_byte_the_serial_ones(course, results, tmp_path):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    one = list(write_reports(results, course, serial, jobs=1))
    two = list(write_reports(results, course, parallel, jobs=2))
    assert [s for s, _, _ in one] == [r.student for r in results]
    assert sorted(s for s, _, _ in two) == sorted(r.student for r in results)
    assert all(paths and not problem for _, paths, problem in one + two)
    files = _files(parallel)
    assert files == _files(serial)
    assert sum(name.endswith(".png") for name in files) == len(results) // 2
    written = {p.relative_to(parallel).as_posix() for _, paths, _ in two for p in paths or ()}
    assert written == set(files)


def test_a_report_that_cannot_be_written_costs_only_that_student(course, results, tmp_path):
    blocked = student_folder(tmp_path, results[3].student)
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the student's folder should be")
    outcomes = {s: (paths, problem) for s, paths, problem in write_reports(
        results, course, tmp_path, jobs=2
    )}
    paths, problem = outcomes.pop(results[3].student)
    assert paths is None and problem
    assert all(paths and not problem for paths, problem in outcomes.values())
    assert all((student_folder(tmp_path, s) / "report.html").is_file() for s in outcomes)
