"""Realistic submissions under tests/submissions/<exercise>/<case>/ are graded as expected.

Each case folder holds the student's module and an ``expect.yml``:

* ``full_marks: true`` -- a correct implementation in another style;
* ``loses: [check, ...]`` -- checks that must earn 0 points;
* ``mistakes: [id, ...]`` -- known mistakes that must be recognised (their hint shown);
* ``hints: [text, ...]`` -- fragments that must appear in the hints of the lost checks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import SUBMISSIONS

CASES = sorted(p.parent for p in SUBMISSIONS.glob("*/*/expect.yml"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_submission_is_graded_as_expected(case: Path, grade, course):
    expect = yaml.safe_load((case / "expect.yml").read_text())
    exercise_id = case.parent.name
    result = grade(case, [exercise_id])
    (exercise,) = result.exercises
    checks = {c.name: c for c in exercise.checks}
    if expect.get("full_marks"):
        wrong = [(c.name, c.message) for c in exercise.checks if not c.passed]
        assert wrong == []
        assert exercise.points == exercise.max_points
        return
    assert exercise.points < exercise.max_points
    for name in expect["loses"]:
        assert checks[name].points == 0, f"{name} should have failed"
    lost = [c for c in exercise.checks if not c.passed]
    matched = {m for c in lost for m in c.mistakes}
    for mistake in expect.get("mistakes", []):
        assert mistake in matched, f"mistake {mistake} not recognised; got {matched}"
        hint = next(m.hint for m in course.exercise(exercise_id).mistakes if m.id == mistake)
        assert any(hint in c.hint for c in lost)
    for fragment in expect.get("hints", []):
        assert any(fragment in c.hint for c in lost), fragment


def test_there_are_at_least_three_buggy_cases_per_exercise():
    for exercise in ("sigmoid", "weight_sign", "centering", "elu"):
        buggy = [
            c
            for c in CASES
            if c.parent.name == exercise
            and not yaml.safe_load((c / "expect.yml").read_text()).get("full_marks")
        ]
        assert len(buggy) >= 3, exercise
