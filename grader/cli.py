"""The ``grader`` command: argument parsing only; the work is done by the modules it calls."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from grader.errors import GraderError
from grader.threads import use_one_thread

if TYPE_CHECKING:
    from grader.batch import ClassRun

__all__ = ["console", "main"]

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


def _check(args: argparse.Namespace) -> int:
    from grader.sandbox import Sandbox, SandboxConfig, SandboxLimits

    # The sandbox's zygote boots on another core while this process loads the course.
    with Sandbox(SandboxConfig.for_jobs(1)) as sandbox:
        from grader.course import load_course
        from grader.grading import grade_submissions
        from grader.report.terminal import render_terminal
        from grader.submission import Submission

        course = load_course(args.course)
        submission = Path(args.dir) if args.dir else course.root / "exercises"
        (result,) = grade_submissions(
            course,
            [Submission("", submission)],
            exercises=args.exercises,
            public_only=not args.all,
            backend_factory=sandbox.factory(SandboxLimits.of(course)),
        )
    render_terminal(result)
    return EXIT_OK if all(e.passed for e in result.exercises) else EXIT_FAILED


def _build(args: argparse.Namespace) -> int:
    from grader.course import load_course
    from grader.stubs import build_stubs

    course = load_course(args.course)
    stale = build_stubs(course, write=not args.check)
    root = course.root
    for path in stale:
        verb = "out of date" if args.check else "written"
        print(f"{path.relative_to(root)}: {verb}")
    if args.check and stale:
        print("run 'grader build' to regenerate the stubs from the solutions", file=sys.stderr)
        return EXIT_FAILED
    if not stale:
        print("all stubs are up to date")
    return EXIT_OK


def _new(args: argparse.Namespace) -> int:
    from grader.authoring import new_exercise

    root = Path(args.course) if args.course else None
    made = new_exercise(root, args.id, title=args.title or "", functions=args.function or None)
    for path in made.written:
        print(f"written: {path}")
    print(
        f"next: write the solution in solutions/{made.exercise_id}/, declare its checks and "
        f"mistakes in exercises/{made.exercise_id}/exercise.yml (and its points in course.yml), "
        f"then run 'grader build' and 'grader validate {made.exercise_id}'"
    )
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from rich.console import Console

    from grader.validate import validate_course, validation_table

    report = validate_course(args.course, args.exercises, variants=args.variants)
    Console().print(validation_table(report))
    failed = len(report.failures())
    print("all checks of the graders passed" if report.ok else f"{failed} step(s) failed")
    return EXIT_OK if report.ok else EXIT_FAILED


def _release(args: argparse.Namespace) -> int:
    from grader.release import release

    made = release(args.course, Path(args.out), force=args.force)
    print(
        f"student bundle:    {made.student}  ({made.student_files} files; "
        f"install: pip install {made.student})"
    )
    print(f"autograder bundle: {made.autograder}  ({made.autograder_files} files)")
    print("checked: no solution text, hidden check or mistake anywhere in the student bundle")
    return EXIT_OK


def _export_otter(args: argparse.Namespace) -> int:
    from grader.course import load_course
    from grader.otter import export_otter

    made = export_otter(
        load_course(args.course), Path(args.out), exercises=args.exercise or (),
        build_zips=not args.no_zip, force=args.force,
    )
    for exercise, path in made.test_files.items():
        built = made.zips.get(exercise)
        print(f"{exercise}: {path}" + (f"  (Gradescope autograder: {built})" if built else ""))
    print(f"read {made.out / 'README.md'}: how to upload, and what differs from 'grader grade'")
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from grader.authoring import SCHEMA_FILE, schema_text

    text = schema_text()
    target = Path(args.output) if args.output else SCHEMA_FILE
    if args.check:
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is out of date; run 'grader schema'", file=sys.stderr)
            return EXIT_FAILED
        print(f"{target} is up to date")
        return EXIT_OK
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"written: {target}")
    return EXIT_OK


def _grade(args: argparse.Namespace) -> int:
    from grader.batch import BatchInterrupted, grade_class
    from grader.course import load_course
    from grader.ingest import load_roster
    from grader.progress import BatchProgress

    course = load_course(args.course)
    roster = load_roster(args.roster) if args.roster else None
    if args.jobs is not None and args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_ERROR
    with BatchProgress() as progress:
        try:
            run = grade_class(
                course, Path(args.submissions), Path(args.out), roster=roster, jobs=args.jobs,
                scheduler=args.scheduler, regrade=args.regrade, exercises=args.exercise or (),
                reports=not args.no_reports, listener=progress,
            )
        except BatchInterrupted as stop:
            print(
                f"interrupted: {stop.graded} of {stop.total} submissions were graded and are "
                f"kept in {stop.gradebook}; run the same command again to grade the rest",
                file=sys.stderr,
            )
            return 130
    intake = run.intake
    print(
        f"graded {len(run.graded)} submission(s); {run.unchanged} unchanged since the last run; "
        f"{len(intake.skipped)} skipped"
    )
    for skipped in intake.skipped:
        print(f"  skipped {skipped.source}: {skipped.reason}")
    for old in intake.superseded:
        print(f"  older submission not graded: {old.source} ({old.reason})")
    if intake.unknown:
        print(f"  not on the roster: {', '.join(intake.unknown)}")
    if intake.missing:
        print(f"  on the roster, no submission: {', '.join(e.id for e in intake.missing)}")
    return _outputs(run)


def _report(args: argparse.Namespace) -> int:
    from grader.batch import report_class
    from grader.course import load_course
    from grader.gradebook import GRADEBOOK_FILE, Gradebook

    out = Path(args.out)
    root = args.course
    if root is None and (out / GRADEBOOK_FILE).is_file():
        with Gradebook(out / GRADEBOOK_FILE) as book:
            stored = book.meta("course")
        root = stored if stored and Path(stored, "course.yml").is_file() else None
    if args.jobs is not None and args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_ERROR
    from grader.progress import BatchProgress

    with BatchProgress() as progress:
        run = report_class(load_course(root), out, jobs=args.jobs, listener=progress)
    print(f"re-rendered {len(run.reports)} report file(s) from {out / GRADEBOOK_FILE}")
    return _outputs(run)


def _outputs(run: ClassRun) -> int:
    for problem in run.problems:
        print(f"  warning: {problem}", file=sys.stderr)
    if run.csv is not None:
        print(f"gradebook: {run.out / 'gradebook.sqlite'}  (Canvas CSV: {run.csv})")
    if run.summary is not None:
        print(f"open {run.summary} in a browser: the class summary, linked to every report")
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader", description="Auto-graded course exercises with sandboxed graders."
    )
    parser.add_argument(
        "--course", metavar="PATH", help="the course folder (default: the one holding course.yml)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", help="run the public checks on your exercises")
    check.add_argument(
        "exercises", nargs="*", metavar="EXERCISE", help="exercise ids (default: all)"
    )
    check.add_argument("--dir", metavar="PATH", help="where your modules are (default: exercises/)")
    check.add_argument(
        "--all", action="store_true", help="also run hidden checks (course staff only)"
    )
    check.set_defaults(run=_check, quick_exit=True)

    build = sub.add_parser("build", help="regenerate exercise stubs from the fenced solutions")
    build.add_argument(
        "--check", action="store_true", help="only report stale stubs; exit 1 if any"
    )
    build.set_defaults(run=_build)

    new = sub.add_parser("new", help="scaffold a new exercise (exercise.yml, solution, grader)")
    new.add_argument("id", metavar="ID", help="the exercise id, e.g. tanh")
    new.add_argument("--title", help="the exercise's title")
    new.add_argument(
        "--function",
        action="append",
        metavar="NAME",
        help="a function students implement (repeat for several; default: ID)",
    )
    new.set_defaults(run=_new)

    validate = sub.add_parser(
        "validate", help="prove the graders: solution full marks, stub 0, every mistake caught"
    )
    validate.add_argument("exercises", nargs="*", metavar="ID", help="exercise ids (default: all)")
    validate.add_argument(
        "--variants", type=int, default=3, metavar="N", help="student variants to try (default 3)"
    )
    validate.set_defaults(run=_validate)

    release = sub.add_parser(
        "release", help="write the student bundle and the autograder bundle to OUT"
    )
    release.add_argument("out", metavar="OUT", help="folder for student/ and autograder/")
    release.add_argument(
        "--force", action="store_true", help="replace OUT/student and OUT/autograder if present"
    )
    release.set_defaults(run=_release)

    export = sub.add_parser("export", help="write the course for another grading system")
    formats = export.add_subparsers(dest="format", required=True, metavar="FORMAT")
    otter = formats.add_parser(
        "otter", help="otter-grader test files and a Gradescope autograder.zip per exercise"
    )
    otter.add_argument("out", metavar="OUT", help="folder for one otter assignment per exercise")
    otter.add_argument(
        "--no-zip", action="store_true", help="write the test files only (no otter needed)"
    )
    otter.add_argument("--force", action="store_true", help="replace what OUT already holds")
    otter.add_argument(
        "-e", "--exercise", action="append", metavar="ID", help="export only this exercise (repeat)"
    )
    otter.set_defaults(run=_export_otter)

    schema = sub.add_parser("schema", help="write the JSON Schema of exercise.yml")
    schema.add_argument("--output", metavar="PATH", help="where (default: the package's copy)")
    schema.add_argument("--check", action="store_true", help="only check that it is up to date")
    schema.set_defaults(run=_schema)

    grade = sub.add_parser(
        "grade", help="grade a whole class into reports, a gradebook and a class summary"
    )
    grade.add_argument(
        "submissions",
        metavar="SUBMISSIONS",
        help="a folder of student folders or zips, a Gradescope or Canvas export, or a zip of one",
    )
    grade.add_argument("-o", "--out", required=True, metavar="OUT", help="the output folder")
    grade.add_argument("--roster", metavar="CSV", help="a CSV with the columns id,name,email")
    grade.add_argument(
        "-j", "--jobs", type=int, metavar="N", help="worker processes (default: all cores)"
    )
    grade.add_argument(
        "--scheduler", metavar="ADDRESS", help="grade on this dask.distributed scheduler instead"
    )
    grade.add_argument(
        "--regrade", action="store_true", help="grade again even what is already graded"
    )
    grade.add_argument(
        "-e", "--exercise", action="append", metavar="ID", help="grade only this exercise (repeat)"
    )
    grade.add_argument(
        "--no-reports",
        action="store_true",
        help="write only the gradebook and its CSV (render later with 'grader report OUT')",
    )
    grade.set_defaults(run=_grade)

    report = sub.add_parser("report", help="re-render every report of OUT from its gradebook")
    report.add_argument("out", metavar="OUT", help="the output folder of 'grader grade'")
    report.add_argument(
        "-j", "--jobs", type=int, metavar="N", help="processes writing reports (default: all cores)"
    )
    report.set_defaults(run=_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line *argv* (default: ``sys.argv[1:]``) and return its exit status."""
    return _run(_parser().parse_args(argv))


def console() -> NoReturn:
    """The ``grader`` console script.

    A command that leaves nothing open when it returns (``check``: its sandbox is
    closed and its report printed) ends with ``os._exit`` once its output is flushed,
    which skips the interpreter's teardown of numpy, pytest and the graders: about a
    tenth of a second of every ``grader check``.
    """
    args = _parser().parse_args()
    code = _run(args)
    if getattr(args, "quick_exit", False):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                code = code or EXIT_ERROR
        os._exit(code)
    sys.exit(code)


def _run(args: argparse.Namespace) -> int:
    use_one_thread(os.environ)  # before anything imports numpy
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    console()
