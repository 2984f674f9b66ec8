"""`grader validate`: passes on a sound course; each kind of breakage says which and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from authoring_helpers import ROOT, copy_course, edit

from grader.cli import main
from grader.validate import Finding, validate_course


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    return copy_course(tmp_path / "course")


def _failures(root: Path, *ids: str) -> list[Finding]:
    report = validate_course(root, ids, variants=2)
    return report.failures()


def _validate_cli(root: Path, capsys, *args: str) -> tuple[int, str]:
    code = main(["--course", str(root), "validate", *args])
    return code, " ".join(capsys.readouterr().out.split())


def test_a_sound_course_validates_with_every_step_listed(course_dir: Path, capsys):
    report = validate_course(course_dir, variants=2)
    assert report.ok, report.failures()
    steps = {(f.exercise, f.step) for f in report.findings}
    for exercise in ("sigmoid", "elu"):
        for step in ("schema", "functions", "stub in sync", "solution", "stub"):
            assert (exercise, step) in steps
    assert ("sigmoid", "mistake: derivative_from_input") in steps
    assert ("elu", "mistake: forgot_minus_one") in steps
    code, out = _validate_cli(course_dir, capsys, "sigmoid")
    assert code == 0
    assert "mistake: exp_overflow_nan" in out and "FAILED" not in out


def test_a_broken_solution_is_named_with_the_check_it_loses(course_dir: Path, capsys):
    edit(
        course_dir / "solutions/sigmoid/sigmoid.py",
        "    return dout * s * (1.0 - s)\n",
        "    return dout * s * (1.0 - s) * 1.01\n",
    )
    failures = _failures(course_dir, "sigmoid")
    solution = [f for f in failures if f.step == "solution"]
    assert solution, failures
    assert "the solution loses check 'backward_gradcheck'" in solution[0].detail
    assert "disagree with central differences" in solution[0].detail
    code, out = _validate_cli(course_dir, capsys, "sigmoid")
    assert code == 1 and "FAILED" in out and "backward_gradcheck" in out


def test_a_broken_hand_written_grader_is_named(course_dir: Path):
    edit(
        course_dir / "exercises/sigmoid/test_sigmoid.py",
        'expect_close(student.sigmoid(x), known, name="sigmoid(x)", rtol=1e-9)',
        'expect_close(student.sigmoid(x), known + 0.1, name="sigmoid(x)", rtol=1e-9)',
    )
    (failure,) = [f for f in _failures(course_dir, "sigmoid") if f.step == "solution"]
    assert "loses check 'forward_known_values'" in failure.detail


def test_a_grader_that_does_not_import_is_named(course_dir: Path):
    edit(
        course_dir / "solutions/sigmoid/test_sigmoid_hidden.py",
        "import numpy as np\n",
        "import numpy as np\nimport no_such_module\n",
    )
    (failure,) = _failures(course_dir, "sigmoid")
    assert failure.step == "graders"
    assert "test_sigmoid_hidden.py" in failure.detail and "does not import" in failure.detail


def test_a_declared_check_without_a_grader_is_named(course_dir: Path):
    edit(
        course_dir / "solutions/sigmoid/test_sigmoid_hidden.py",
        "def test_inputs_unchanged(",
        "def check_inputs_unchanged(",
    )
    (failure,) = _failures(course_dir, "sigmoid")
    assert failure.step == "graders"
    assert "'inputs_unchanged' has no test_inputs_unchanged" in failure.detail


def test_a_mistake_no_check_catches_is_named(course_dir: Path):
    (course_dir / "solutions/sigmoid/mistakes/forgot_upstream.py").write_text(
        "import numpy as np\n\n\ndef sigmoid_backward(dout, x):\n"
        "    s = 1.0 / (1.0 + np.exp(-x))\n    return dout * s * (1.0 - s)\n"
    )
    (failure,) = _failures(course_dir, "sigmoid")
    assert failure.step == "mistake: forgot_upstream"
    assert "earns full marks: no check catches mistake 'forgot_upstream'" in failure.detail


def test_a_mistake_whose_hint_never_shows_is_named(course_dir: Path):
    (course_dir / "solutions/sigmoid/mistakes/forgot_upstream.py").write_text(
        "import numpy as np\n\n\ndef sigmoid_backward(dout, x):\n"
        "    return dout * np.random.default_rng().uniform(size=np.shape(x))\n"
    )
    failures = _failures(course_dir, "sigmoid")
    (failure,) = [f for f in failures if f.step == "mistake: forgot_upstream"]
    assert "none of them recognises mistake 'forgot_upstream'" in failure.detail
    assert "students never get its hint" in failure.detail


def test_a_stub_that_earns_points_is_named(course_dir: Path):
    edit(
        course_dir / "exercises/sigmoid/exercise.yml",
        "  - name: derivative_bounded\n",
        "  - name: always_true\n    points: 0.5\n    public: true\n  - name: derivative_bounded\n",
    )
    grader_file = course_dir / "exercises/sigmoid/test_sigmoid.py"
    grader_file.write_text(
        grader_file.read_text() + "\n\ndef test_always_true(student):\n    expect(True, '')\n"
    )
    edit(
        course_dir / "course.yml",
        "- id: sigmoid\n  points: 10\n",
        "- id: sigmoid\n  points: 10.5\n",
    )
    failures = _failures(course_dir, "sigmoid")
    (failure,) = [f for f in failures if f.step == "stub"]
    assert "the untouched stub passes always_true" in failure.detail


def test_a_stale_stub_and_a_signature_mismatch_are_named(course_dir: Path):
    edit(
        course_dir / "solutions/sigmoid/sigmoid.py",
        "def sigmoid_backward(dout, x):",
        "def sigmoid_backward(dout, x, scale=1.0):",
    )
    failures = {f.step: f.detail for f in _failures(course_dir, "sigmoid")}
    assert "run grader build" in failures["stub in sync"]
    assert "exercise.yml says 'sigmoid_backward(dout, x)'" in failures["functions"]


def test_a_schema_error_names_file_line_and_field(course_dir: Path, capsys):
    edit(
        course_dir / "exercises/elu/exercise.yml",
        "  - name: forward_known_values\n    points: 1\n",
        "  - name: forward_known_values\n    points: one\n",
    )
    (failure,) = _failures(course_dir)
    assert failure.exercise == "elu" and failure.step == "schema"
    assert "exercises/elu/exercise.yml:" in failure.detail and "checks[0].points" in failure.detail
    code, out = _validate_cli(course_dir, capsys)
    assert code == 1 and "checks[0].points" in out


def test_the_shipped_course_validates():
    report = validate_course(ROOT, variants=2)
    assert report.ok, [(f.exercise, f.step, f.detail) for f in report.failures()]
    assert {f.exercise for f in report.findings} == {"sigmoid", "weight_sign", "centering", "elu"}
