"""course.yml and exercise.yml errors name the file, the line, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import ConfigError, load_course
from grader.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _error(root: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_course(root)
    return info.value


def test_the_shipped_course_loads_with_typed_objects():
    course = load_course(ROOT)
    assert [e.id for e in course] == ["sigmoid", "weight_sign", "centering", "elu"]
    sigmoid = course.exercise("sigmoid")
    assert sigmoid.module == "sigmoid.py"
    assert [f.name for f in sigmoid.functions] == ["sigmoid", "sigmoid_backward"]
    assert sigmoid.points == 10
    assert course.defaults.call_timeout > 0


def test_invalid_yaml_names_file_and_line(course_copy: Path):
    path = course_copy / "exercises" / "sigmoid" / "exercise.yml"
    lines = path.read_text().splitlines()
    lines[3] = "summary: [unclosed"
    path.write_text("\n".join(lines))
    error = _error(course_copy)
    assert error.path == str(path)
    assert error.line is not None and error.line >= 4
    assert "not valid YAML" in str(error)


def test_wrong_type_names_field_and_line(course_copy: Path):
    path = course_copy / "course.yml"
    text = path.read_text().replace("points: 10\n", "points: ten\n", 1)
    path.write_text(text)
    error = _error(course_copy)
    assert error.field == "exercises[0].points"
    assert error.line == text.splitlines().index("    points: ten") + 1
    assert "course.yml" in str(error) and "ten" in str(error)


def test_unknown_field_says_to_remove_or_fix_it(course_copy: Path):
    path = course_copy / "exercises" / "sigmoid" / "exercise.yml"
    path.write_text(path.read_text() + "colour: blue\n")
    error = _error(course_copy)
    assert error.field == "colour"
    assert "not a known field" in error.problem


def test_missing_required_field(course_copy: Path):
    path = course_copy / "exercises" / "sigmoid" / "exercise.yml"
    path.write_text(path.read_text().replace("module: sigmoid.py\n", ""))
    error = _error(course_copy)
    assert error.field == "module" and "required" in error.problem


def test_points_that_do_not_add_up(course_copy: Path):
    path = course_copy / "course.yml"
    path.write_text(path.read_text().replace("points: 10\n", "points: 11\n", 1))
    error = _error(course_copy)
    assert "add up to 10" in error.problem and error.line is not None


def test_signature_must_name_the_function(course_copy: Path):
    path = course_copy / "exercises" / "sigmoid" / "exercise.yml"
    path.write_text(path.read_text().replace("signature: sigmoid(x)", "signature: sigma(x)"))
    error = _error(course_copy)
    assert error.field == "functions[0].signature"
    assert "sigmoid(" in error.problem


def test_missing_exercise_file(course_copy: Path):
    (course_copy / "exercises" / "elu" / "exercise.yml").unlink()
    error = _error(course_copy)
    assert "exercise 'elu'" in error.problem and "grader new elu" in error.problem


def test_cli_prints_the_message_without_traceback(course_copy: Path, capsys):
    (course_copy / "course.yml").write_text("title: [\n")
    code = main(["--course", str(course_copy), "check"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and "course.yml" in err
    assert "Traceback" not in err


def test_no_course_here(tmp_path: Path, capsys):
    code = main(["--course", str(tmp_path), "check"])
    assert code == 2
    assert "no course.yml" in capsys.readouterr().err
