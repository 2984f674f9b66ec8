"""The pytest plugin is registered through the pytest11 entry point and behaves in plain pytest."""

from __future__ import annotations

from importlib.metadata import entry_points


def test_registered_as_a_pytest11_entry_point():
    (plugin,) = [ep for ep in entry_points(group="pytest11") if ep.name == "grader"]
    assert plugin.value == "grader.plugin"


def test_fixtures_are_offered_to_every_pytest_session(pytester):
    result = pytester.runpytest("--fixtures")
    for name in ("student", "reference", "rng", "exercise", "record"):
        result.stdout.fnmatch_lines([f"{name}*"])


def test_graders_outside_a_grading_run_fail_with_a_clear_message(pytester):
    pytester.makepyfile("def test_uses_student(student):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*graders run through the grader*"])
