"""The shipped course grades its own reference solutions and stubs correctly."""

from __future__ import annotations

import pytest

from grader.stubs import build_stubs


def test_every_solution_earns_full_marks_on_every_check(course, grade):
    result = grade(course.root / "solutions")
    for exercise in result.exercises:
        failing = [(c.name, c.status, c.message) for c in exercise.checks if not c.passed]
        assert failing == [], exercise.exercise
        assert exercise.points == exercise.max_points == course.exercise(exercise.exercise).points
    assert len(result.exercises) == len(course.exercises)


def test_untouched_stubs_earn_zero_and_say_not_implemented(course, grade):
    result = grade(course.root / "exercises")
    for exercise in result.exercises:
        assert exercise.points == 0, [c.name for c in exercise.checks if c.passed]
        assert "not implemented yet" in exercise.message
        assert all(c.not_implemented for c in exercise.checks)


def test_stubs_are_generated_from_the_solutions(course):
    assert build_stubs(course, write=False) == []


@pytest.mark.parametrize("exercise_id", ["sigmoid", "weight_sign", "centering", "elu"])
def test_each_exercise_has_public_and_hidden_checks(course, exercise_id):
    exercise = course.exercise(exercise_id)
    public = [c for c in exercise.checks if c.public]
    hidden = [c for c in exercise.checks if not c.public]
    assert public and hidden
    assert exercise.public_grader_files() and exercise.hidden_grader_files()
    assert len(exercise.mistakes) >= 3
