from __future__ import annotations

from pathlib import Path

import pytest

from grader import Course, SubmissionResult, grade_submission, load_course

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course(ROOT)


@pytest.fixture(scope="session")
def grade(course: Course):
    def run(folder: Path, exercises: list[str] | None = None, **kwargs) -> SubmissionResult:
        return grade_submission(course, folder, exercises=exercises or (), **kwargs)

    return run


pytest_plugins = ["pytester"]
