"""grader: auto-graded course exercises with sandboxed pytest graders.

The public API for course authors and tools is re-exported here.
"""

from grader.compare import expect, expect_array, expect_close
from grader.course import Check, Course, Exercise, FunctionSpec, Mistake, load_course
from grader.errors import (
    CheckFailure,
    ConfigError,
    CourseError,
    GraderError,
    SandboxError,
    StudentFault,
    SubmissionError,
)
from grader.gradcheck import (
    GradCheckResult,
    compare_gradients,
    numerical_elementwise,
    numerical_vjp,
    sample_away_from_kinks,
)
from grader.grading import grade_submission, grade_submissions
from grader.results import CheckResult, ExerciseResult, SubmissionResult
from grader.submission import Submission

__all__ = [
    "Check",
    "CheckFailure",
    "CheckResult",
    "ConfigError",
    "Course",
    "CourseError",
    "Exercise",
    "ExerciseResult",
    "FunctionSpec",
    "GradCheckResult",
    "GraderError",
    "Mistake",
    "SandboxError",
    "StudentFault",
    "Submission",
    "SubmissionError",
    "SubmissionResult",
    "compare_gradients",
    "expect",
    "expect_array",
    "expect_close",
    "grade_submission",
    "grade_submissions",
    "load_course",
    "numerical_elementwise",
    "numerical_vjp",
    "sample_away_from_kinks",
]
