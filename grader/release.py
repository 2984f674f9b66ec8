"""Release bundles: what students get, and what course staff grade with.

``OUT/student/``     course.yml, each exercise's stub, its public graders and a
                     copy of exercise.yml without hidden checks or mistakes, the
                     grader package and a pyproject.toml: ``pip install OUT/student``
                     installs ``grader`` and ``grader check`` works inside it.
``OUT/autograder/``  the whole course (solutions, hidden graders, mistakes) and
                     the grader package, installable the same way.

Before it returns, :func:`release` proves the student bundle clean: it scans
every file for solution text, hidden check names and code, and mistakes
(:func:`find_leaks`), and runs the public checks on the bundle's stubs from
the bundle alone, so a public check that needs the solution fails here.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, requires
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
import yaml

import grader
from grader.checking import grader_version
from grader.course import COURSE_FILE, EXERCISE_FILE, Course, Exercise, load_course
from grader.errors import CourseError
from grader.grading import grade_submission
from grader.stubs import BEGIN, END, build_stubs, stub_text

__all__ = ["Release", "find_leaks", "release", "secrets_of"]

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache")
_MIN_LINE = 12
_FALLBACK_DEPENDENCIES = ("numpy>=1.24", "pytest>=8", "pyyaml>=6", "msgspec>=0.18.5", "rich>=13")


@dataclass(frozen=True)
class Release:
    student: Path
    autograder: Path
    student_files: int
    autograder_files: int


def release(root: Path | str | None, out: Path, *, force: bool = False) -> Release:
    """Write ``out/student`` and ``out/autograder`` for the course at *root*; prove them."""
    course = load_course(root)
    stale = build_stubs(course, write=False)
    if stale:
        names = ", ".join(str(p.relative_to(course.root)) for p in stale)
        raise CourseError(f"stubs out of date: {names}; run 'grader build' first")
    student, autograder = out / "student", out / "autograder"
    for target in (student, autograder):
        if target.exists():
            if not force:
                raise CourseError(f"{target} exists; remove it or pass --force to replace it")
            shutil.rmtree(target)
    _write_student(course, student)
    _write_autograder(course, autograder)
    leaks = find_leaks(student, secrets_of(course))
    if leaks:
        shutil.rmtree(student)
        shown = "\n".join(f"  {leak}" for leak in leaks[:20])
        raise CourseError(
            f"the student bundle would leak course secrets; nothing released:\n{shown}"
        )
    _public_checks_run_alone(student)
    return Release(student, autograder, _count(student), _count(autograder))


def _count(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


# -- the student bundle ---------------------------------------------------------------------


def _write_student(course: Course, target: Path) -> None:
    target.mkdir(parents=True)
    shutil.copy2(course.root / COURSE_FILE, target / COURSE_FILE)
    rows = []
    for exercise in course:
        folder = target / "exercises" / exercise.id
        shutil.copytree(exercise.exercise_dir, folder, ignore=_IGNORED)
        solution = exercise.solution_path.read_text(encoding="utf-8")
        (folder / exercise.module).write_text(
            stub_text(solution, str(exercise.solution_path)), encoding="utf-8"
        )
        (folder / EXERCISE_FILE).write_text(_student_exercise_yml(exercise), encoding="utf-8")
        public = sum(c.points for c in exercise.checks if c.public)
        rows.append(
            {
                "id": exercise.id,
                "title": exercise.title,
                "public": f"{public:g}",
                "hidden": f"{exercise.points - public:g}",
            }
        )
    _copy_package(target)
    _render(
        "README.student.md.j2",
        target / "README.md",
        title=course.title,
        exercises=rows,
        first=rows[0]["id"],
    )
    _write_pyproject(target, f"{course.title}: the grader for students")


def _student_exercise_yml(exercise: Exercise) -> str:
    """exercise.yml without hidden checks and mistakes; variable parameters keep their default."""
    data: dict[str, Any] = yaml.safe_load(
        (exercise.exercise_dir / EXERCISE_FILE).read_text(encoding="utf-8")
    )
    checks = [c for c in data.get("checks", []) if c.get("public", False) is True]
    hidden = sum(float(c.get("points", 0)) for c in data.get("checks", []) if c not in checks)
    data["checks"] = checks
    data.pop("mistakes", None)
    if "parameters" in data:
        data["parameters"] = {
            name: {k: v for k, v in spec.items() if k in ("default", "description")}
            for name, spec in data["parameters"].items()
        }
    data["hidden_points"] = hidden + float(data.get("hidden_points", 0))
    head = (
        "# The student copy of this exercise, written by `grader release`: hidden checks\n"
        "# are graded later and are not listed here.\n"
    )
    return head + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=88)


class _Dumper(yaml.SafeDumper):
    """Readable YAML: multi-line text as blocks, short lists of numbers inline."""


def _text(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = ">" if "\n" in text.rstrip("\n") or len(text) > 80 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def _sequence(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    flat = all(isinstance(i, (int, float, str)) and len(str(i)) < 20 for i in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flat)


_Dumper.add_representer(str, _text)
_Dumper.add_representer(list, _sequence)


# -- the autograder bundle ------------------------------------------------------------------


def _write_autograder(course: Course, target: Path) -> None:
    target.mkdir(parents=True)
    shutil.copy2(course.root / COURSE_FILE, target / COURSE_FILE)
    for exercise in course:
        shutil.copytree(exercise.exercise_dir, target / "exercises" / exercise.id, ignore=_IGNORED)
        shutil.copytree(exercise.solution_dir, target / "solutions" / exercise.id, ignore=_IGNORED)
    _copy_package(target)
    _render("README.autograder.md.j2", target / "README.md", title=course.title)
    _write_pyproject(target, f"{course.title}: the autograder")


# -- shared pieces --------------------------------------------------------------------------


def _copy_package(target: Path) -> None:
    shutil.copytree(Path(grader.__file__).parent, target / "grader", ignore=_IGNORED)


def _render(template: str, path: Path, **context: Any) -> None:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(files("grader") / "templates" / "release")),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    path.write_text(env.get_template(template).render(context), encoding="utf-8")


def _write_pyproject(target: Path, description: str) -> None:
    _render(
        "pyproject.toml.j2",
        target / "pyproject.toml",
        version=grader_version().replace("+unknown", ""),
        description=description.replace('"', "'"),
        dependencies=_dependencies(),
    )


def _dependencies() -> list[str]:
    """The grader package's own dependencies (not its dev extras)."""
    source = Path(grader.__file__).parent.parent / "pyproject.toml"
    if source.is_file() and sys.version_info >= (3, 11):
        import tomllib

        project = tomllib.loads(source.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == "grader":
            return [str(d) for d in project.get("dependencies", [])]
    try:
        found = requires("grader") or []
    except PackageNotFoundError:
        return list(_FALLBACK_DEPENDENCIES)
    return [d for d in found if "extra ==" not in d]


def _public_checks_run_alone(student: Path) -> None:
    """Run the public checks on the bundle's own stubs, with nothing but the bundle."""
    bundle = load_course(student)
    try:
        result = grade_submission(bundle, student / "exercises", public_only=True)
    except CourseError as exc:
        raise CourseError(f"the public checks do not run in the student bundle: {exc}") from exc
    earning = [f"{e.exercise}/{c.name}" for e in result.exercises for c in e.checks if c.points > 0]
    if earning:
        raise CourseError(
            "public checks pass on the untouched stubs in the student bundle: " + ", ".join(earning)
        )


# -- the leak scan --------------------------------------------------------------------------


@dataclass(frozen=True)
class Secrets:
    """What must never reach students, as lines and as words."""

    lines: dict[str, str]  # stripped line -> what it is
    words: dict[str, str]  # substring -> what it is


def secrets_of(course: Course) -> Secrets:
    """Solution lines, hidden graders' lines, hidden check names and titles, mistakes."""
    public_text = _public_lines(course)
    lines: dict[str, str] = {}
    words: dict[str, str] = {}
    public_names = {c.name for e in course for c in e.checks if c.public}

    def secret_line(line: str, what: str) -> None:
        text = line.strip()
        if len(text) >= _MIN_LINE and text not in public_text and not text.startswith("#"):
            lines.setdefault(text, what)

    for exercise in course:
        for line in _fenced_lines(exercise.solution_path.read_text(encoding="utf-8")):
            secret_line(line, f"solution line of {exercise.id}")
        for path in exercise.hidden_grader_files():
            for line in path.read_text(encoding="utf-8").splitlines():
                secret_line(line, f"hidden grader {path.name}")
        for check in exercise.checks:
            if check.public:
                continue
            if check.name not in public_names:
                words[f"test_{check.name}"] = f"hidden check {exercise.id}/{check.name}"
                words[f"name: {check.name}\n"] = f"hidden check {exercise.id}/{check.name}"
            if len(check.title) >= 20:
                words[check.title] = f"title of hidden check {exercise.id}/{check.name}"
        for mistake in exercise.mistakes:
            words[mistake.hint[:60]] = f"hint of mistake {exercise.id}/{mistake.id}"
            source = mistake.code
            if mistake.file is not None:
                path = exercise.solution_dir / mistake.file
                source = path.read_text(encoding="utf-8") if path.is_file() else ""
            for line in (source or "").splitlines():
                secret_line(line, f"mistake {exercise.id}/{mistake.id}")
    return Secrets(lines, words)


def _fenced_lines(text: str) -> list[str]:
    inside, found = False, []
    for line in text.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            inside = True
        elif marker == END:
            inside = False
        elif inside:
            found.append(line)
    return found


def _public_lines(course: Course) -> set[str]:
    """Lines students may see anyway: the stubs, public graders and the grader package."""
    sources: list[Path] = [p for e in course for p in e.public_grader_files()]
    package = Path(grader.__file__).parent
    sources += sorted(p for p in package.rglob("*") if p.suffix in (".py", ".j2", ".ini"))
    text = [p.read_text(encoding="utf-8") for p in sources]
    for exercise in course:
        solution = exercise.solution_path.read_text(encoding="utf-8")
        text.append(stub_text(solution, str(exercise.solution_path)))
    return {line.strip() for chunk in text for line in chunk.splitlines()}


def find_leaks(bundle: Path, secrets: Secrets) -> list[str]:
    """``file:line: what`` for every secret found in any file under *bundle*."""
    found = []
    for path in sorted(_files(bundle)):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            text = path.read_bytes().decode("latin-1")
        where = path.relative_to(bundle)
        for number, line in enumerate(text.splitlines(), start=1):
            what = secrets.lines.get(line.strip())
            if what is not None:
                found.append(f"{where}:{number}: {what}")
        for word, what in secrets.words.items():
            if word in text:
                found.append(f"{where}: {what} ({word.strip()!r})")
    return found


def _files(folder: Path) -> Iterable[Path]:
    return (p for p in folder.rglob("*") if p.is_file())
