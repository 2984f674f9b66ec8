"""Exceptions raised by the grader, and what to do about each.

Two families, kept apart on purpose:

GraderError                  something is wrong with the course or the host; the grader stops
├── CourseError              the course itself is broken (a solution, a grader, a missing file)
│   └── ConfigError          a YAML file is invalid; names the file, line, field and the fix
├── IngestError              SUBMISSIONS or the roster cannot be used at all
├── SubmissionError          a submission cannot be read at all (e.g. an unreadable archive)
└── SandboxError             the sandbox could not be started on this host

StudentFault                 raised inside a check when student code misbehaves; it becomes
│                            the check's result (never a crash of the grader)
├── StudentImportError       the student's module is missing or does not import
├── StudentRaised            a student function raised an exception (incl. NotImplementedError)
├── StudentReturnError       a student function returned something that is not plain data
├── StudentTimeout           a call ran past its wall-clock limit
├── StudentCrashed           the child process died (signal, os._exit, killed)
└── StudentOutOfMemory       the child process ran out of its memory limit

CheckFailure (AssertionError)  raised by the comparison helpers when a value is wrong; its
                               message is written for students and never shows hidden values
"""

from __future__ import annotations

__all__ = [
    "CheckFailure",
    "ConfigError",
    "CourseError",
    "GraderError",
    "IngestError",
    "SandboxError",
    "StudentCrashed",
    "StudentFault",
    "StudentImportError",
    "StudentOutOfMemory",
    "StudentRaised",
    "StudentReturnError",
    "StudentTimeout",
    "SubmissionError",
]


class GraderError(Exception):
    """Base class of every error the grader raises on purpose."""


class CourseError(GraderError):
    """The course is broken: fix the course files named in the message."""


class ConfigError(CourseError):
    """A course.yml or exercise.yml is invalid.

    The message names the file and, where known, the line, the column and the
    field, and says how to fix it.
    """

    def __init__(
        self,
        path: str,
        problem: str,
        *,
        line: int | None = None,
        field: str | None = None,
        column: int | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.field = field
        self.problem = problem
        where = path if line is None else f"{path}:{line}"
        if line is not None and column is not None:
            where += f":{column}"
        what = f" field '{field}':" if field else ""
        super().__init__(f"{where}:{what} {problem}")


class IngestError(GraderError):
    """SUBMISSIONS or the roster cannot be used at all; the message says how to fix it."""


class SubmissionError(GraderError):
    """A submission could not be read at all; it is reported and skipped."""


class SandboxError(GraderError):
    """The sandbox could not start; the message says which layer failed."""


class StudentFault(Exception):
    """Student code misbehaved during a check. The plugin turns it into a result.

    ``status`` is the check outcome it maps to; ``message`` is written for the
    student.
    """

    status = "error"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class StudentImportError(StudentFault):
    """The module is missing, has a syntax error, or raised while importing."""


class StudentRaised(StudentFault):
    """A student function raised. ``not_implemented`` marks an untouched stub."""

    def __init__(self, message: str, *, exc_type: str, not_implemented: bool = False) -> None:
        self.exc_type = exc_type
        self.not_implemented = not_implemented
        super().__init__(message)


class StudentReturnError(StudentFault):
    """A student function returned a value of the wrong kind."""

    status = "failed"


class StudentTimeout(StudentFault):
    status = "timeout"


class StudentCrashed(StudentFault):
    status = "crashed"


class StudentOutOfMemory(StudentFault):
    status = "oom"


class CheckFailure(AssertionError):
    """A value was wrong.

    ``message`` is always safe to show. ``revealing`` holds what shows expected
    values (an index | expected | got table); it is shown for public checks only.
    ``data`` carries numbers for plots and is stored, never printed.
    """

    def __init__(
        self, message: str, *, revealing: str = "", data: dict[str, object] | None = None
    ) -> None:
        self.message = message
        self.revealing = revealing
        self.data = data or {}
        super().__init__(message + ("\n" + revealing if revealing else ""))
