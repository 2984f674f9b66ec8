"""Prove that an exercise's graders are right before students see them.

For each exercise, :func:`validate_course` checks, in order:

``schema``     course.yml and exercise.yml load (errors name file, line, column, field);
``functions``  the solution defines every declared function with its signature and a docstring;
``stub``       the stub is what ``grader build`` makes of the solution;
``solution``   the reference solution earns full marks on every check, for several
               student variants (seeds and variable parameters) and the public one;
``stub``       the untouched stub earns 0 points;
``mistake``    each declared mistake, run as a submission (the solution with the
               mistake's functions in place of the right ones), loses points on at
               least one check and receives its own hint there.

Every step becomes a :class:`Finding`; :func:`validation_table` lays them out (the CLI
prints it).
"""

from __future__ import annotations

import inspect
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rich.table import Table
from rich.text import Text

from grader.course import Course, Exercise, Mistake, load_course
from grader.errors import ConfigError, CourseError
from grader.grading import grade_submissions
from grader.mistakes import import_trusted
from grader.results import ExerciseResult, SubmissionResult
from grader.stubs import stub_text
from grader.submission import Submission
from grader.variants import resolve_params

__all__ = [
    "Finding",
    "ValidationReport",
    "validate_course",
    "validate_exercise",
    "validation_table",
]

VARIANTS = 3
_MISTAKE = "mistake:"


@dataclass(frozen=True)
class Finding:
    """One validation step of one exercise: passed or not, and why."""

    exercise: str
    step: str
    ok: bool
    detail: str = ""


@dataclass
class ValidationReport:
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.ok]


def validate_course(
    root: Path | str | None, exercises: Iterable[str] = (), *, variants: int = VARIANTS
) -> ValidationReport:
    """Validate the exercises named in *exercises* (all when empty) of the course at *root*."""
    report = ValidationReport()
    try:
        course = load_course(root)
        selected = course.select(exercises)
    except ConfigError as exc:
        report.findings.append(Finding(_exercise_of(exc), "schema", False, str(exc)))
        return report
    except CourseError as exc:
        report.findings.append(Finding("course", "schema", False, str(exc)))
        return report
    for exercise in selected:
        report.findings += validate_exercise(course, exercise, variants=variants)
    return report


def _exercise_of(error: ConfigError) -> str:
    match = re.search(r"exercises/([^/]+)/exercise\.yml", error.path.replace("\\", "/"))
    return match.group(1) if match else "course"


def validate_exercise(
    course: Course, exercise: Exercise, *, variants: int = VARIANTS
) -> list[Finding]:
    """Every validation step of one exercise."""
    found = [Finding(exercise.id, "schema", True, f"{len(exercise.checks)} checks")]
    found.append(_functions(exercise))
    found.append(_stub_in_sync(exercise))
    if not found[-1].ok and "fence" in found[-1].detail:
        return found
    students = ["", *(f"validate-{k}" for k in range(1, variants + 1))]
    with tempfile.TemporaryDirectory(prefix=f"validate-{exercise.id}-") as scratch:
        submissions = [Submission(s, exercise.solution_dir) for s in students]
        submissions.append(Submission("validate-stub", exercise.exercise_dir))
        mistakes: dict[str, Mistake] = {}
        for mistake in exercise.mistakes:
            folder = Path(scratch) / mistake.id
            folder.mkdir()
            try:
                (folder / exercise.module).write_text(_mistake_module(exercise, mistake))
            except CourseError as exc:
                found.append(Finding(exercise.id, f"{_MISTAKE} {mistake.id}", False, str(exc)))
                continue
            mistakes[f"{_MISTAKE}{mistake.id}"] = mistake
            submissions.append(Submission(f"{_MISTAKE}{mistake.id}", folder))
        try:
            results = grade_submissions(course, submissions, exercises=[exercise.id])
        except CourseError as exc:
            found.append(Finding(exercise.id, "graders", False, str(exc)))
            return found
    by_student = {r.student: r for r in results}
    found.append(_solution(course, exercise, [by_student[s] for s in students]))
    found.append(_stub_earns_zero(by_student["validate-stub"]))
    for key, mistake in mistakes.items():
        found.append(_mistake(exercise, mistake, by_student[key]))
    return found


def _only(result: SubmissionResult) -> ExerciseResult:
    (exercise,) = result.exercises
    return exercise


def _functions(exercise: Exercise) -> Finding:
    step = "functions"
    try:
        module = import_trusted(exercise.solution_path, f"_validate_{exercise.id}")
    except CourseError as exc:
        return Finding(exercise.id, step, False, str(exc))
    problems = []
    for spec in exercise.functions:
        fn = getattr(module, spec.name, None)
        if not callable(fn):
            problems.append(
                f"{spec.name} is declared but {exercise.solution_path} does not define it"
            )
            continue
        actual = f"{spec.name}{inspect.signature(fn)}"
        if _squash(actual) != _squash(spec.signature):
            problems.append(
                f"{spec.name}: exercise.yml says {spec.signature!r} but the solution has "
                f"{actual!r}; make them agree"
            )
        if not inspect.getdoc(fn):
            problems.append(f"{spec.name} has no docstring; students read it in their stub")
    detail = "; ".join(problems) or ", ".join(f.signature for f in exercise.functions)
    return Finding(exercise.id, step, not problems, detail)


def _squash(signature: str) -> str:
    return re.sub(r"\s+", "", signature)


def _stub_in_sync(exercise: Exercise) -> Finding:
    step = "stub in sync"
    try:
        solution = exercise.solution_path.read_text(encoding="utf-8")
        wanted = stub_text(solution, str(exercise.solution_path))
    except OSError as exc:
        return Finding(exercise.id, step, False, f"{exercise.solution_path}: {exc.strerror}")
    except CourseError as exc:
        return Finding(exercise.id, step, False, f"bad solution fence: {exc}")
    stub = exercise.stub_path
    if not stub.is_file() or stub.read_text(encoding="utf-8") != wanted:
        return Finding(
            exercise.id, step, False, f"{stub} is not generated from the solution; run grader build"
        )
    return Finding(exercise.id, step, True, str(stub.relative_to(exercise.root)))


def _solution(course: Course, exercise: Exercise, results: list[SubmissionResult]) -> Finding:
    problems = []
    for result in results:
        graded = _only(result)
        for check in graded.checks:
            if check.passed:
                continue
            who = "public variant" if not result.student else f"variant {result.student!r}"
            params = resolve_params(exercise.parameters, course.title, exercise.id, result.student)
            shown = f" with {params}" if params and result.student else ""
            problems.append(
                f"the solution loses check '{check.name}' ({check.status}) in the {who}{shown}: "
                f"{check.message.splitlines()[0] if check.message else 'no message'}"
            )
        if not graded.checks:
            problems.append("no check ran; declare checks in exercise.yml")
    if problems:
        return Finding(exercise.id, "solution", False, "; ".join(dict.fromkeys(problems)))
    return Finding(
        exercise.id,
        "solution",
        True,
        f"full marks ({exercise.points:g}) in {len(results)} variants",
    )


def _stub_earns_zero(result: SubmissionResult) -> Finding:
    graded = _only(result)
    passing = [c.name for c in graded.checks if c.passed and c.max_points > 0]
    if passing:
        return Finding(
            graded.exercise,
            "stub",
            False,
            f"the untouched stub passes {', '.join(passing)}: such a check does not test the "
            "student's code; make it call the exercise's functions",
        )
    return Finding(graded.exercise, "stub", True, "earns 0")


def _mistake(exercise: Exercise, mistake: Mistake, result: SubmissionResult) -> Finding:
    step = f"{_MISTAKE} {mistake.id}"
    graded = _only(result)
    lost = [c for c in graded.checks if not c.passed]
    if not lost:
        return Finding(
            exercise.id,
            step,
            False,
            f"earns full marks: no check catches mistake '{mistake.id}' ({_source(mistake)}); "
            "add a check that does, or fix the mistake's code",
        )
    recognised = [c.name for c in lost if mistake.id in c.mistakes]
    names = ", ".join(c.name for c in lost)
    if not recognised:
        return Finding(
            exercise.id,
            step,
            False,
            f"loses {names} but none of them recognises mistake '{mistake.id}', so students "
            "never get its hint: the mistake must reproduce every answer those checks saw "
            "(check that it defines the functions they call, the same way a student would)",
        )
    return Finding(
        exercise.id,
        step,
        True,
        f"loses {len(lost)} check(s); its hint comes with {', '.join(recognised[:3])}"
        + (f" and {len(recognised) - 3} more" if len(recognised) > 3 else ""),
    )


def _source(mistake: Mistake) -> str:
    return mistake.file if mistake.file is not None else "inline code"


def _mistake_module(exercise: Exercise, mistake: Mistake) -> str:
    """The solution's text with the mistake's definitions after it, so they win."""
    solution = exercise.solution_path.read_text(encoding="utf-8")
    if mistake.file is not None:
        path = exercise.solution_dir / mistake.file
        try:
            wrong = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CourseError(f"{path} cannot be read ({exc.strerror}); fix `file`") from None
    else:
        wrong = "import numpy as np\n\n" + (mistake.code or "")
    return f"{solution}\n\n{wrong}\n"


def validation_table(report: ValidationReport) -> Table:
    """A rich table of *report*: one row per step, failures in red with the reason."""
    table = Table(title="grader validate", show_lines=False, expand=False)
    table.add_column("exercise", no_wrap=True)
    table.add_column("step", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("detail")
    for finding in report.findings:
        result = Text("ok", style="green") if finding.ok else Text("FAILED", style="bold red")
        table.add_row(finding.exercise, finding.step, result, finding.detail)
    return table
