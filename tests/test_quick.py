"""Checks run without pytest give exactly the results of the pytest session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
from conftest import ROOT, SUBMISSIONS

from grader import CourseError, Submission, grade_submissions, load_course
from grader.quick import plan
from grader.results import SubmissionResult
from grader.sandbox import SandboxLimits


def _without_durations(result: SubmissionResult) -> dict:
    data = msgspec.to_builtins(result)
    data.pop("duration")
    for exercise in data["exercises"]:
        for check in exercise["checks"]:
            check.pop("duration")
    return data


def _both_ways(
    course, sandbox, submissions: list[Submission], *, public_only: bool = True
) -> tuple[list, list]:
    factory = sandbox.factory(SandboxLimits.of(course))
    runs = []
    for without_pytest in (True, False):
        results = grade_submissions(
            course, submissions, public_only=public_only, backend_factory=factory,
            without_pytest=without_pytest,
        )
        runs.append([_without_durations(r) for r in results])
    return runs[0], runs[1]


HOSTILE = Path(__file__).parent / "adversarial" / "submissions"
# Submissions whose checks end as crashed or error, quickly (no timeouts to wait for).
ENDINGS = ("exit_process", "exit_at_import", "base_exceptions", "ctypes_segfault",
           "forged_reply_frame")


def _samples() -> list[Submission]:
    folders = sorted(p for p in SUBMISSIONS.glob("*/*") if p.is_dir())
    folders += [HOSTILE / name for name in ENDINGS]
    named = [Submission(f"{p.parent.name}/{p.name}", p) for p in folders]
    return [Submission("stubs", ROOT / "exercises"), Submission("solutions", ROOT / "solutions"),
            *named]


@pytest.mark.parametrize("public_only", [True, False], ids=["public", "all"])
def test_the_shipped_course_runs_every_check_without_pytest(course, public_only):
    planned = plan(course, course.select(), public_only=public_only)
    assert planned is not None
    wanted = [(e.id, c.name) for e in course for c in e.checks if c.public or not public_only]
    found = [(p.path.parent.name, p.name.removeprefix("test_")) for p in planned]
    assert sorted(found) == sorted(wanted)


@pytest.mark.parametrize("public_only", [True, False], ids=["public", "all"])
def test_every_sample_submission_gets_the_same_results_either_way(course, sandbox, public_only):
    samples = _samples()
    assert len(samples) > 40
    quick, session = _both_ways(course, sandbox, samples, public_only=public_only)
    assert len(quick) == len(samples)
    for sample, a, b in zip(samples, quick, session, strict=True):
        assert a == b, sample.student
    statuses = {c["status"] for r in quick for e in r["exercises"] for c in e["checks"]}
    assert {"passed", "failed", "error", "crashed"} <= statuses
    hints = [c["hint"] for r in quick for e in r["exercises"] for c in e["checks"] if c["hint"]]
    assert hints


def test_grader_check_does_not_import_pytest():
    code = (
        "import sys, io, contextlib\n"
        "from grader.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    status = main(['--course', sys.argv[1], 'check', 'sigmoid'])\n"
        "names = [m for m in sys.modules if m.split('.')[0] in ('pytest', '_pytest')]\n"
        "print(status, sorted(names))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, check=True
    )
    assert out.stdout.split(maxsplit=1) == ["1", "[]\n"]


GRADER = Path("exercises") / "sigmoid" / "test_sigmoid.py"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda text: "import pytest\n" + text, id="imports pytest"),
        pytest.param(lambda text: "from pytest import approx\n" + text, id="uses approx"),
        pytest.param(
            lambda text: text.replace("def test_forward_known_values(student):",
                                      "def test_forward_known_values(student, tmp_path):"),
            id="another fixture",
        ),
        pytest.param(
            lambda text: text.replace("def test_forward_known_values(student):",
                                      "def test_forward_known_values(student, scale=1.0):"),
            id="a default",
        ),
        pytest.param(lambda text: text + "\n\nclass TestMore:\n    pass\n", id="a test class"),
        pytest.param(
            lambda text: text.replace("def test_derivative_bounded(student",
                                      "def test_derivative_bounded(student, *more"),
            id="varargs",
        ),
        pytest.param(lambda text: text + "\n\nraise ImportError('no')\n", id="does not import"),
    ],
)
def test_a_grader_that_needs_pytest_is_left_to_pytest(course_copy, change):
    path = course_copy / GRADER
    path.write_text(change(path.read_text()))
    course = load_course(course_copy)
    assert plan(course, course.select(["sigmoid"])) is None


def test_a_conftest_beside_the_graders_is_left_to_pytest(course_copy):
    (course_copy / "exercises" / "conftest.py").write_text("")
    course = load_course(course_copy)
    assert plan(course, course.select(["sigmoid"])) is None
    assert plan(course, course.select(["elu"])) is None


def test_a_grader_left_to_pytest_is_still_graded_the_same(course_copy, sandbox):
    path = course_copy / GRADER
    path.write_text("import pytest\n" + path.read_text())
    course = load_course(course_copy)
    samples = [Submission("solutions", course_copy / "solutions"),
               Submission("bug", SUBMISSIONS / "sigmoid" / "derivative_from_input")]
    quick, session = _both_ways(course, sandbox, samples)
    assert quick == session
    public = sum(c.points for c in course.exercise("sigmoid").checks if c.public)
    assert quick[0]["exercises"][0]["points"] == public > 0


def test_an_undeclared_test_is_the_same_course_error_either_way(course_copy, sandbox):
    path = course_copy / GRADER
    path.write_text(path.read_text() + "\n\ndef test_not_declared(student):\n    pass\n")
    course = load_course(course_copy)
    assert plan(course, course.select(["sigmoid"])) is not None
    factory = sandbox.factory(SandboxLimits.of(course))
    messages = []
    for without_pytest in (True, False):
        with pytest.raises(CourseError) as info:
            grade_submissions(
                course, [Submission("a", course_copy / "solutions")], exercises=["sigmoid"],
                public_only=True, backend_factory=factory, without_pytest=without_pytest,
            )
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert "test_not_declared is not declared" in messages[0]


def test_what_a_grader_prints_is_not_shown(course_copy, sandbox, capfd):
    path = course_copy / GRADER
    path.write_text(path.read_text().replace(
        "def test_forward_known_values(student):\n",
        "def test_forward_known_values(student):\n    print('GRADER NOISE')\n",
    ))
    course = load_course(course_copy)
    assert plan(course, course.select(["sigmoid"])) is not None
    quick, session = _both_ways(course, sandbox, [Submission("a", course_copy / "solutions")])
    assert quick == session
    assert "GRADER NOISE" not in "".join(capfd.readouterr())
