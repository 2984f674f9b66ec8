"""`grader release`: a student bundle with nothing secret in it, and an autograder bundle."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from authoring_helpers import ROOT, copy_course, edit

from grader import CourseError, grade_submission, load_course
from grader.cli import main
from grader.release import release
from grader.stubs import BEGIN, END


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    course_dir = copy_course(tmp_path_factory.mktemp("course"))
    out = tmp_path_factory.mktemp("out")
    assert main(["--course", str(course_dir), "release", str(out)]) == 0
    return course_dir, out


def _fenced(text: str) -> list[str]:
    inside, lines = False, []
    for line in text.splitlines():
        if line.strip() == BEGIN:
            inside = True
        elif line.strip() == END:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def _package_lines() -> set[str]:
    return {
        line.strip()
        for path in (ROOT / "grader").rglob("*.py")
        for line in path.read_text().splitlines()
    }


def _bundle_files(folder: Path) -> dict[Path, str]:
    return {p: p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file()}


def test_no_solution_line_is_anywhere_in_the_student_bundle(released):
    course_dir, out = released
    shared = _package_lines()
    secret = {
        line
        for solution in (course_dir / "solutions").glob("*/*.py")
        if not solution.name.startswith("test_")
        for line in _fenced(solution.read_text())
        if line not in shared
    }
    assert len(secret) >= 6
    for path, text in _bundle_files(out / "student").items():
        lines = {line.strip() for line in text.splitlines()}
        assert not (secret & lines), f"{path} holds solution lines {secret & lines}"


def test_no_hidden_check_or_mistake_is_anywhere_in_the_student_bundle(released):
    course_dir, out = released
    course = load_course(course_dir)
    public = {c.name for e in course for c in e.checks if c.public}
    hidden = {c.name for e in course for c in e.checks if not c.public} - public
    assert {"forward_matches_reference", "inputs_unchanged", "mean_closer_to_zero"} <= hidden
    public_lines = {
        line.strip()
        for grader_file in (course_dir / "exercises").glob("*/test_*.py")
        for line in grader_file.read_text().splitlines()
    }
    hidden_source = {
        line.strip()
        for grader_file in (course_dir / "solutions").glob("*/test_*.py")
        for line in grader_file.read_text().splitlines()
        if len(line.strip()) > 30 and line.strip() not in _package_lines() | public_lines
    }
    hints = {m.hint[:50] for e in course for m in e.mistakes}
    files = _bundle_files(out / "student")
    assert not any("solutions" in p.parts for p in files)
    for path, text in files.items():
        for name in hidden:
            assert not re.search(rf"\b{name}\b", text), f"{path} names hidden check {name}"
        assert not hidden_source & {line.strip() for line in text.splitlines()}, path
        assert not any(hint in text for hint in hints), path


def test_the_student_copy_keeps_public_checks_and_counts_hidden_points(released):
    course_dir, out = released
    bundle = load_course(out / "student")
    original = load_course(course_dir)
    for exercise in bundle:
        full = original.exercise(exercise.id)
        assert [c.name for c in exercise.checks] == [c.name for c in full.checks if c.public]
        assert exercise.mistakes == []
        assert exercise.points == full.points
        assert exercise.hidden_points == sum(c.points for c in full.checks if not c.public)


def test_public_checks_run_in_the_student_bundle_without_solutions(released):
    _, out = released
    bundle = load_course(out / "student")
    stubs = grade_submission(bundle, out / "student" / "exercises", public_only=True)
    assert stubs.points == 0 and all(e.checks for e in stubs.exercises)
    solved = grade_submission(
        bundle, ROOT / "solutions", public_only=True, exercises=["sigmoid", "elu"]
    )
    assert solved.points == solved.max_points > 0


def test_the_autograder_bundle_grades_with_hidden_checks(released):
    _, out = released
    bundle = load_course(out / "autograder")
    result = grade_submission(bundle, out / "autograder" / "solutions")
    assert result.points == result.max_points == sum(e.points for e in bundle)
    assert any(not c.public for e in result.exercises for c in e.checks)


@pytest.mark.slow
def test_the_student_bundle_installs_with_pip_and_checks(released, tmp_path: Path):
    _, out = released
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(out / "student"),
        ],
        check=True,
        capture_output=True,
    )
    assert (target / "grader" / "cli.py").is_file()
    assert (target / "grader" / "templates" / "new_exercise" / "exercise.yml.j2").is_file()
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import grader, sys; from grader.cli import main;"
            " print(grader.__file__); sys.exit(main(sys.argv[1:]))",
            "--course",
            str(out / "student"),
            "check",
            "sigmoid",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert run.stdout.splitlines()[0].startswith(str(target)), run.stdout
    assert run.returncode == 1, run.stderr
    assert "not implemented yet" in run.stdout


def test_release_refuses_a_public_check_that_needs_the_solution(tmp_path: Path):
    course_dir = copy_course(tmp_path / "course")
    edit(
        course_dir / "exercises/sigmoid/test_sigmoid.py",
        "def test_forward_known_values(student):",
        "def test_forward_known_values(student, reference):",
    )
    with pytest.raises(CourseError, match="is public but uses the `reference` fixture"):
        release(course_dir, tmp_path / "out")


def test_release_refuses_a_public_grader_that_leaks_a_hidden_check(tmp_path: Path):
    course_dir = copy_course(tmp_path / "course")
    grader_file = course_dir / "exercises/sigmoid/test_sigmoid.py"
    grader_file.write_text(grader_file.read_text() + "\n# see also test_inputs_unchanged\n")
    with pytest.raises(CourseError, match=r"hidden check (sigmoid|elu)/inputs_unchanged"):
        release(course_dir, tmp_path / "out")
    assert not (tmp_path / "out" / "student").exists()


def test_release_refuses_stale_stubs_and_an_existing_folder(tmp_path: Path, capsys):
    course_dir = copy_course(tmp_path / "course")
    out = tmp_path / "out"
    assert main(["--course", str(course_dir), "release", str(out)]) == 0
    assert main(["--course", str(course_dir), "release", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    edit(
        course_dir / "solutions/elu/elu.py",
        "Elementwise ELU,",
        "Elementwise ELU (exponential linear unit),",
    )
    assert main(["--course", str(course_dir), "release", str(out), "--force"]) == 2
    assert "run 'grader build' first" in capsys.readouterr().err
