"""The ``grader`` command: argument parsing only; the work is done by the modules it calls."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from grader.errors import GraderError

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


def _check(args: argparse.Namespace) -> int:
    from grader.course import load_course
    from grader.grading import grade_submission
    from grader.report.terminal import render_terminal

    course = load_course(args.course)
    submission = Path(args.dir) if args.dir else course.root / "exercises"
    result = grade_submission(
        course, submission, student="", exercises=args.exercises, public_only=not args.all
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
    check.set_defaults(run=_check)

    build = sub.add_parser("build", help="regenerate exercise stubs from the fenced solutions")
    build.add_argument(
        "--check", action="store_true", help="only report stale stubs; exit 1 if any"
    )
    build.set_defaults(run=_build)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
    sys.exit(main())
