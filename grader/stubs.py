"""Generate student stubs from fenced reference solutions.

In ``solutions/<id>/<module>.py`` each solution region is fenced::

    ### BEGIN SOLUTION
    s = ...
    ### END SOLUTION

The stub keeps everything else (docstrings, signatures, imports) and puts in
place of each region, at the same indentation::

    # YOUR CODE HERE
    raise NotImplementedError("...")

Nested or unterminated fences are errors that name the file and line.
"""

from __future__ import annotations

from pathlib import Path

from grader.course import Course
from grader.errors import CourseError

__all__ = ["BEGIN", "END", "build_stubs", "stub_text"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"


def stub_text(solution: str, path: str = "<solution>") -> str:
    """The stub made from *solution*'s text (raises CourseError on bad fences)."""
    out: list[str] = []
    opened_at: int | None = None
    regions = 0
    for number, line in enumerate(solution.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if opened_at is not None:
                raise CourseError(
                    f"{path}:{number}: '{BEGIN}' inside the region opened at line {opened_at}; "
                    f"close that region with '{END}' first"
                )
            opened_at = number
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# YOUR CODE HERE\n")
            out.append(f'{indent}raise NotImplementedError("fill in this part")\n')
        elif marker == END:
            if opened_at is None:
                raise CourseError(f"{path}:{number}: '{END}' without a '{BEGIN}' before it")
            opened_at = None
            regions += 1
        elif opened_at is None:
            out.append(line)
    if opened_at is not None:
        raise CourseError(f"{path}:{opened_at}: '{BEGIN}' is never closed; add '{END}'")
    if regions == 0:
        raise CourseError(f"{path}: has no '{BEGIN}' region, so its stub would be the solution")
    return "".join(out)


def build_stubs(course: Course, *, write: bool = True) -> list[Path]:
    """The stubs that differ from what their solutions generate; rewritten if *write*."""
    stale = []
    for exercise in course:
        solution, stub = exercise.solution_path, exercise.stub_path
        if not solution.is_file():
            raise CourseError(
                f"{solution} is missing: write the fenced reference solution of "
                f"'{exercise.id}' there, then run grader build again"
            )
        wanted = stub_text(solution.read_text(encoding="utf-8"), str(solution))
        if not stub.is_file() or stub.read_text(encoding="utf-8") != wanted:
            stale.append(stub)
            if write:
                stub.write_text(wanted, encoding="utf-8")
    return stale
