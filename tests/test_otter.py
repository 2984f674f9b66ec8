"""`grader export otter`: otter test files that score submissions like `grader grade`.

The generated test files are run here in-process with otter's own ExceptionTestFile
(or, where otter is not installed, a stand-in for its ``test_case`` decorator), against
the reference solutions and every sample submission under tests/submissions/. The slow
test at the end runs the real `otter run` on the exported autograder.zip files.
"""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
import types
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
import yaml
from conftest import ROOT, SUBMISSIONS

from grader import Course
from grader.cli import main
from grader.errors import GraderError
from grader.otter import EXPORT_STUDENT, OtterExport, export_otter, otter_command
from grader.release import Secrets, find_leaks, secrets_of

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from otter.test_files import ExceptionTestFile
except ImportError:  # the unit tests below also run without otter
    ExceptionTestFile = None

CASES = sorted(p.parent for p in SUBMISSIONS.glob("*/*/expect.yml"))

# Checks that the export grades more strictly than `grader grade`, per sample submission:
# hand-written checks that accept any answer with a property are replayed as exact
# comparisons with the reference's answers (see the export's README).
STRICTER = {
    # descent_experiment trains a neuron on the centred training set only; replay also
    # compares the centred test set.
    "centering/inplace_recomputed": {"descent_experiment"},
    "centering/own_test_mean": {"descent_experiment"},
    "centering/scalar_mean": {"descent_experiment"},
    "centering/standardise_eps": {"descent_experiment"},
    "centering/vstack_mean": {"descent_experiment"},
    # the hand-written gradient checks take central differences of the student's own
    # elu, which is wrong here while elu_backward is its true derivative.
    "elu/alpha_hardcoded": {"backward_gradcheck", "backward_gradcheck_alphas"},
    "elu/forgot_minus_one": {"backward_gradcheck", "backward_gradcheck_alphas"},
}


@dataclass(frozen=True)
class Outcome:
    name: str
    points: float
    hidden: bool
    passed: bool
    message: str


class _StandInTestCase:
    """``otter.test_files.test_case`` where otter is not installed: same signature and calling."""

    def __init__(
        self,
        name: str | None = None,
        points: float | None = None,
        hidden: bool = False,
        success_message: str | None = None,
        failure_message: str | None = None,
    ) -> None:
        self.name, self.points, self.hidden = name, points, hidden
        self.func: Callable[..., None] = lambda: None

    def __call__(self, func: Callable[..., None]) -> _StandInTestCase:
        self.func = func
        return self


def _namespace_without_otter(path: Path) -> dict[str, Any]:
    package = types.ModuleType("otter")
    test_files = types.ModuleType("otter.test_files")
    test_files.test_case = _StandInTestCase  # type: ignore[attr-defined]
    package.test_files = test_files  # type: ignore[attr-defined]
    namespace: dict[str, Any] = {}
    with mock.patch.dict(sys.modules, {"otter": package, "otter.test_files": test_files}):
        exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


def _run_without_otter(path: Path, env: dict[str, Any]) -> list[Outcome]:
    outcomes = []
    for case in _namespace_without_otter(path).values():
        if not isinstance(case, _StandInTestCase):
            continue
        passed, message = True, ""
        try:
            case.func(env)
        except Exception as exc:
            passed, message = False, str(exc)
        outcomes.append(
            Outcome(str(case.name), float(case.points or 0), case.hidden, passed, message)
        )
    return outcomes


def run_test_file(path: Path, module: Path, *, stand_in: bool = False) -> list[Outcome]:
    """Run an exported test file on *module* as otter does: the tests see its globals."""
    env = runpy.run_path(str(module), run_name="__main__")
    if ExceptionTestFile is None or stand_in:
        return _run_without_otter(path, env)
    test_file = ExceptionTestFile.from_file(str(path))
    test_file.run(env)
    return [
        Outcome(r.test_case.name, r.test_case.points, r.test_case.hidden, r.passed, r.message)
        for r in test_file.test_case_results
    ]


@pytest.fixture(scope="module")
def exported(course: Course, tmp_path_factory: pytest.TempPathFactory) -> OtterExport:
    return export_otter(course, tmp_path_factory.mktemp("otter") / "out", build_zips=False)


def _module(course: Course, case: Path) -> Path:
    return case / course.exercise(case.parent.name).module


def test_one_test_file_per_exercise_and_the_reference_passes_every_case(course, exported):
    assert list(exported.test_files) == [e.id for e in course]
    for exercise in course:
        path = exported.test_files[exercise.id]
        assert path == exported.out / exercise.id / "tests" / f"{exercise.id}.py"
        outcomes = run_test_file(path, exercise.solution_path)
        assert [(o.name, o.points, o.hidden) for o in outcomes] == [
            (c.name, c.points, not c.public) for c in exercise.checks
        ]
        assert [(o.name, o.message) for o in outcomes if not o.passed] == []
        assert sum(o.points for o in outcomes) == exercise.points
    readme = (exported.out / "README.md").read_text()
    for fact in ("per-student", EXPORT_STUDENT, "sigmoid.py", "No sandbox", "stricter", "static"):
        assert fact.lower() in readme.lower(), fact


def test_the_untouched_stubs_score_nothing(course, exported):
    for exercise in course:
        outcomes = run_test_file(exported.test_files[exercise.id], exercise.stub_path)
        assert not any(o.passed for o in outcomes), exercise.id
        assert all("not implemented yet" in o.message for o in outcomes), exercise.id


@pytest.mark.parametrize(
    "name", ["sigmoid/derivative_from_input", "weight_sign/dx_no_transpose", "elu/forgot_upstream"]
)
def test_a_buggy_submission_fails_the_cases_of_the_checks_it_loses(name, course, exported):
    case = SUBMISSIONS / name
    exercise = course.exercise(case.parent.name)
    expect = yaml.safe_load((case / "expect.yml").read_text())
    outcomes = {
        o.name: o for o in run_test_file(exported.test_files[exercise.id], case / exercise.module)
    }
    for check in expect["loses"]:
        assert not outcomes[check].passed, check
        hint = exercise.check(check).hint
        assert hint in outcomes[check].message
    assert any(o.passed for o in outcomes.values())


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_replay_scores_every_sample_submission_like_grader_grade(case, course, exported, grade):
    exercise_id = case.parent.name
    (native,) = grade(case, [exercise_id], student=EXPORT_STUDENT).exercises
    passed = {c.name: c.passed for c in native.checks}
    replayed = {
        o.name: o.passed
        for o in run_test_file(exported.test_files[exercise_id], _module(course, case))
    }
    differ = {name for name in passed if passed[name] != replayed[name]}
    known = STRICTER.get(f"{exercise_id}/{case.name}", set())
    assert differ == known, (
        f"the otter export and grader grade disagree on {sorted(differ)} (listed in STRICTER: "
        f"{sorted(known)}); grader grade: {[c.name for c in native.checks if not c.passed]}"
    )
    assert all(passed[name] and not replayed[name] for name in differ)


@pytest.mark.skipif(ExceptionTestFile is None, reason="compares the stand-in with otter itself")
def test_the_stand_in_for_otter_gives_otter_s_outcomes(course, exported):
    case = SUBMISSIONS / "weight_sign" / "sign_where_comparison"
    path, module = exported.test_files["weight_sign"], _module(course, case)
    real = [(o.name, o.passed) for o in run_test_file(path, module)]
    assert real == [(o.name, o.passed) for o in run_test_file(path, module, stand_in=True)]


def test_failure_messages_show_no_expected_values(course, exported):
    case = SUBMISSIONS / "sigmoid" / "derivative_from_input"
    path = exported.test_files["sigmoid"]
    failed = [o for o in run_test_file(path, _module(course, case)) if not o.passed]
    assert failed
    namespace = _namespace_without_otter(path)
    for outcome in failed:
        assert outcome.message.strip()
        for call in namespace["_CASES"][outcome.name].get("calls", []):
            expected = np.ravel(np.asarray(namespace["_value"](call["result"]), dtype=float))
            for value in expected[:50]:
                if abs(value) > 1e-3 and not float(value).is_integer():
                    for shown in (f"{value:.6g}", f"{value:.4g}", repr(float(value))):
                        assert shown not in outcome.message, (outcome.name, shown)


def test_the_export_holds_no_solution_source(course, exported):
    secrets = secrets_of(course)
    solution = Secrets(
        {t: w for t, w in secrets.lines.items() if w.startswith(("solution line", "mistake"))},
        {t: w for t, w in secrets.words.items() if w.startswith("hint of mistake")},
    )
    assert solution.lines
    assert find_leaks(exported.out, solution) == []
    for exercise in course:
        assert "allow_pickle=False" in exported.test_files[exercise.id].read_text()


def test_a_missing_otter_is_a_clear_error_before_anything_is_written(course, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraderError, match=r"pip install -e '\.\[otter\]'"):
        otter_command()
    with pytest.raises(GraderError, match="--no-zip"):
        export_otter(course, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_command_writes_the_export_and_keeps_what_exists(tmp_path, capsys):
    out = tmp_path / "otter"
    command = ["--course", str(ROOT), "export", "otter", str(out), "--no-zip", "-e", "sigmoid"]
    assert main(command) == 0
    assert (out / "sigmoid" / "tests" / "sigmoid.py").is_file()
    assert (out / "README.md").is_file()
    assert not (out / "elu").exists()
    capsys.readouterr()
    assert main(command) == 2
    assert "--force" in capsys.readouterr().err
    assert main([*command, "--force"]) == 0


def test_otter_is_an_optional_extra_the_core_never_imports():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any("otter" in d for d in project["dependencies"])
    assert project["optional-dependencies"]["otter"] == ["otter-grader[grading]==7.0.0"]
    code = "import sys, grader.cli, grader.otter, grader.batch; sys.exit('otter' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


# -- end to end: the real `otter run` ----------------------------------------------------

OTTER_RUNS = ["sigmoid/derivative_from_input", "weight_sign/dx_no_transpose", "elu/forgot_upstream",
              "elu/mask_style"]  # fmt: skip


def _otter_run(command: str, autograder: Path, module: Path, out: Path) -> dict[str, Any]:
    out.mkdir()
    done = subprocess.run(
        [command, "run", "--no-logo", "-a", str(autograder), "-o", str(out), str(module)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"otter run failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    results: dict[str, Any] = json.loads((out / "results.json").read_text())
    return results


@pytest.mark.slow
def test_otter_run_on_the_exported_autograders_gives_grader_grade_s_scores(course, grade, tmp_path):
    try:
        command = otter_command()
    except GraderError as exc:
        pytest.fail(f"this test needs otter-grader, which CI installs: {exc}")
    made = export_otter(course, tmp_path / "export")
    assert sorted(made.zips) == sorted(e.id for e in course)
    runs = [(e.id, e.solution_path) for e in course]
    runs += [(name.split("/")[0], _module(course, SUBMISSIONS / name)) for name in OTTER_RUNS]

    def score(index: int) -> dict[str, Any]:
        exercise_id, module = runs[index]
        return _otter_run(command, made.zips[exercise_id], module, tmp_path / f"run{index}")

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(score, range(len(runs))))
    for (exercise_id, module), result in zip(runs, results, strict=True):
        (test,) = [t for t in result["tests"] if t["name"] == exercise_id]
        (native,) = grade(module.parent, [exercise_id], student=EXPORT_STUDENT).exercises
        exercise = course.exercise(exercise_id)
        stricter = STRICTER.get(f"{exercise_id}/{module.parent.name}", set())
        lost = sum(c.points for c in exercise.checks if c.name in stricter)
        assert test["max_score"] == native.max_points == exercise.points
        assert test["score"] == pytest.approx(native.points - lost), (exercise_id, module)
        if module == exercise.solution_path:
            assert test["score"] == exercise.points
