"""`grader check`: what a student sees for untouched, broken and finished work."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "course.yml", tmp_path / "course.yml")
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises")
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    return tmp_path


def _check(root: Path, capsys, *args: str) -> tuple[int, str]:
    code = main(["--course", str(root), "check", *args])
    return code, " ".join(capsys.readouterr().out.split())


def _write_stub(root: Path, text: str) -> None:
    (root / "exercises" / "sigmoid" / "sigmoid.py").write_text(text)


def test_untouched_course_shows_every_exercise_at_zero(course_copy, capsys):
    code, out = _check(course_copy, capsys)
    assert code == 1
    for exercise in ("sigmoid", "weight_sign", "centering", "elu"):
        assert exercise in out
        assert f"not implemented yet: fill in the functions in {exercise}.py" in out
    assert "PASS" not in out and "Total 0/" in out


def test_solutions_copied_over_the_stubs_pass_every_public_check(course_copy, capsys):
    for solution in (course_copy / "solutions").glob("*/*.py"):
        if solution.parent.name != "mistakes" and not solution.name.startswith("test_"):
            target = course_copy / "exercises" / solution.parent.name / solution.name
            if target.exists():
                shutil.copy(solution, target)
    code, out = _check(course_copy, capsys)
    assert code == 0, out
    assert "FAIL" not in out and "TODO" not in out and "(hidden)" not in out


def test_syntax_error_names_file_and_line_and_other_exercises_still_run(course_copy, capsys):
    _write_stub(course_copy, "import numpy as np\n\ndef sigmoid(x)\n    return x\n")
    code, out = _check(course_copy, capsys, "sigmoid", "elu")
    assert code == 1
    assert "sigmoid.py line 3: SyntaxError" in out
    assert "not implemented yet: fill in the functions in elu.py" in out


def test_exception_shows_the_students_own_line(course_copy, capsys):
    _write_stub(
        course_copy,
        "import numpy as np\n\n"
        "def sigmoid(x):\n    return np.exp(x) / undefined_name\n\n"
        "def sigmoid_backward(dout, x):\n    raise NotImplementedError\n",
    )
    code, out = _check(course_copy, capsys, "sigmoid")
    assert code == 1
    assert "sigmoid raised NameError" in out
    assert "sigmoid.py line 4, in sigmoid: return np.exp(x) / undefined_name" in out
    assert "TODO" in out  # the backward pass is still not implemented


def test_wrong_return_type_says_what_came_back(course_copy, capsys):
    _write_stub(
        course_copy,
        "def sigmoid(x):\n    return [0.5]\n\n"
        "def sigmoid_backward(dout, x):\n    return dout.sum()\n",
    )
    code, out = _check(course_copy, capsys, "sigmoid")
    assert code == 1
    assert "sigmoid returned a list" in out
    assert "sigmoid_backward returned float, expected an ndarray of shape" in out


def test_unknown_exercise_is_a_clear_error(course_copy, capsys):
    code = main(["--course", str(course_copy), "check", "tanh"])
    assert code == 2
    assert "there is no exercise 'tanh'" in capsys.readouterr().err


def test_public_check_shows_the_table_but_a_hidden_check_does_not(course_copy, capsys):
    _write_stub(
        course_copy,
        "import numpy as np\n\ndef sigmoid(x):\n    return 0.5 * (1 + np.tanh(x / 2))\n\n"
        "def sigmoid_backward(dout, x):\n    return dout * x * (1 - x)\n",
    )
    code, out = _check(course_copy, capsys, "sigmoid", "--all")
    assert code == 1
    public_part, hidden_part = out.split("backward_matches_reference:", 1)
    assert "index" in public_part and "numerical" in public_part
    assert "index" not in hidden_part.split("hint:")[0]


def _console(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The console script in a fresh interpreter, with an atexit hook that shows teardown."""
    code = (
        "import atexit, sys; atexit.register(lambda: print('teardown ran', file=sys.stderr)); "
        "from grader.cli import console; console()"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "--course", str(root), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_console_script_ends_check_without_teardown_and_with_all_its_output(course_copy):
    done = _console(course_copy, "check", "sigmoid")
    assert done.returncode == 1
    assert "not implemented yet" in done.stdout and "Total 0/" in done.stdout
    assert "teardown ran" not in done.stderr


def test_other_commands_end_with_the_usual_teardown(course_copy):
    done = _console(course_copy, "build", "--check")
    assert done.returncode == 0, done.stderr
    assert "teardown ran" in done.stderr
