"""Load and validate ``course.yml`` and ``exercises/<id>/exercise.yml`` into typed objects.

Every problem is reported as a :class:`~grader.errors.ConfigError` that names the
file, the line, the field and the fix; a YAML file never produces a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, field
from msgspec.structs import force_setattr

from grader.checkspec import (
    Check,
    CheckEntry,
    DeclarativeCheck,
    LocatedError,
    SpecModel,
    doc,
    param_refs,
)
from grader.errors import ConfigError
from grader.spec_errors import decode_path, explain
from grader.variants import Parameter
from grader.yaml_files import ParseCache, Parsed, read_yaml

__all__ = [
    "Check",
    "Course",
    "CourseEntry",
    "Defaults",
    "Exercise",
    "Feedback",
    "FunctionSpec",
    "Mistake",
    "find_course_root",
    "load_course",
]

COURSE_FILE = "course.yml"
EXERCISE_FILE = "exercise.yml"
Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]
FeedbackItem = Literal["outcome", "hint", "message"]


class Defaults(SpecModel, frozen=True, kw_only=True):
    """Grading limits that apply to every exercise unless it overrides them."""

    call_timeout: Annotated[float, doc("wall-clock seconds for one call", gt=0)] = 5.0
    submission_timeout: Annotated[
        float, doc("wall-clock seconds for all checks of one submission", gt=0)
    ] = 120.0
    memory_mb: Annotated[int, doc("address-space limit of the child", ge=64)] = 1024
    cpu_seconds: Annotated[int, doc("CPU-time limit of the child", ge=1)] = 60
    hidden_visibility: Annotated[
        Visibility, doc("when hidden checks are shown on Gradescope")
    ] = "after_published"


class Feedback(SpecModel, frozen=True, kw_only=True):
    """What students see of each hidden check, before and after the grades are released.

    A hidden check always appears with its name. ``outcome`` adds its status and
    points, ``hint`` the hint of a lost check, ``message`` what the check said
    (hidden checks' messages never hold expected values). Public checks are
    always shown in full.
    """

    before_release: Annotated[list[FeedbackItem], doc("shown before release")] = field(
        default_factory=list
    )
    after_release: Annotated[list[FeedbackItem], doc("shown after release")] = field(
        default_factory=lambda: ["outcome", "hint"]
    )

    def __post_init__(self) -> None:
        for name in ("before_release", "after_release"):
            items = getattr(self, name)
            if len(set(items)) != len(items):
                raise LocatedError(
                    (name,), "lists an item twice; list each of outcome, hint, message once"
                )
            if ("hint" in items or "message" in items) and "outcome" not in items:
                raise LocatedError(
                    (name,), "shows a hint or message without the outcome; add 'outcome'"
                )

    def shown(self, released: bool) -> frozenset[str]:
        """The items of hidden checks shown when grades are (or are not yet) *released*."""
        return frozenset(self.after_release if released else self.before_release)


class CourseEntry(SpecModel, frozen=True, kw_only=True):
    id: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]*$")]
    points: Annotated[float, Meta(gt=0)]


class Course(SpecModel, frozen=True, kw_only=True):
    """The whole course: ``course.yml`` plus every exercise it lists, in order.

    ``root`` (the folder of ``course.yml``) and ``loaded`` (the exercises by id)
    are set by :func:`load_course`, not read from the file.
    """

    title: str
    version: str = "1"
    exercises: Annotated[list[CourseEntry], Meta(min_length=1)]
    defaults: Defaults = field(default_factory=Defaults)
    feedback: Feedback = field(default_factory=Feedback)
    root: Path = field(default_factory=Path)
    loaded: dict[str, Exercise] = field(default_factory=dict)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for index, entry in enumerate(self.exercises):
            if entry.id in seen:
                raise LocatedError(
                    ("exercises", index), f"exercise '{entry.id}' is listed twice; list it once"
                )
            seen.add(entry.id)

    def exercise(self, exercise_id: str) -> Exercise:
        try:
            return self.loaded[exercise_id]
        except KeyError:
            known = ", ".join(self.loaded)
            raise ConfigError(
                str(self.root / COURSE_FILE),
                f"there is no exercise '{exercise_id}'; the course has: {known}",
            ) from None

    def __iter__(self) -> Iterator[Exercise]:
        return iter(self.loaded.values())

    def select(self, ids: Iterable[str] = ()) -> list[Exercise]:
        """The exercises named in *ids* (all of them when empty), in course order."""
        wanted = list(ids)
        if not wanted:
            return list(self.loaded.values())
        return [self.exercise(i) for i in wanted]


class FunctionSpec(SpecModel, frozen=True, kw_only=True):
    """A function students implement: a contract with students and graders."""

    name: Annotated[str, Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    signature: str
    summary: str = ""

    def __post_init__(self) -> None:
        if not self.signature.startswith(f"{self.name}("):
            raise LocatedError(
                ("signature",), f"must start with '{self.name}(' , e.g. '{self.name}(x)'"
            )


class Mistake(SpecModel, frozen=True, kw_only=True):
    """A known wrong implementation; a submission that behaves like it gets the hint."""

    id: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]*$")]
    hint: Annotated[str, doc("what a student whose submission behaves like this reads")]
    file: Annotated[str, doc("path of the wrong module, relative to solutions/<id>/")] | None = (
        None
    )
    code: Annotated[
        str, doc("the wrong functions as Python source (numpy is available as np)")
    ] | None = None

    def __post_init__(self) -> None:
        force_setattr(self, "hint", " ".join(self.hint.split()))
        if (self.file is None) == (self.code is None):
            raise ValueError("give exactly one of `file` (a module) or `code` (inline source)")


class Exercise(SpecModel, frozen=True, kw_only=True):
    """One exercise: its student module, the functions, the checks and the hints.

    ``id`` and ``root`` are set by :func:`load_course` from ``course.yml``.
    """

    title: str
    module: Annotated[str, Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_]*\.py$")]
    summary: str = ""
    functions: Annotated[list[FunctionSpec], Meta(min_length=1)]
    parameters: Annotated[
        dict[str, Parameter], doc("values checks use as '$name'; variable ones per student")
    ] = field(default_factory=dict)
    checks: Annotated[list[CheckEntry], Meta(min_length=1)]
    mistakes: list[Mistake] = field(default_factory=list)
    hidden_points: Annotated[
        float, doc("points of hidden checks left out of this copy (set by release)", ge=0)
    ] = 0.0
    id: str = ""
    root: Path = field(default_factory=Path)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for index, check in enumerate(self.checks):
            if check.name in seen:
                raise LocatedError(
                    ("checks", index), f"check '{check.name}' is declared twice; rename one"
                )
            seen.add(check.name)
        names = [f.name for f in self.functions]
        for index, check in enumerate(self.checks):
            if not isinstance(check, DeclarativeCheck):
                continue
            for function in check.functions():
                if names and function not in names:
                    raise LocatedError(
                        ("checks", index),
                        f"check '{check.name}' calls {function!r}, which is not among the "
                        f"exercise's functions; use one of: {', '.join(names)}",
                    )
            for ref in param_refs(check):
                if ref.lstrip("-$") not in self.parameters:
                    known = ", ".join(self.parameters) or "none are declared"
                    raise LocatedError(
                        ("checks", index),
                        f"check '{check.name}' uses {ref!r}, which is not a parameter; "
                        f"declare it under `parameters` (declared: {known})",
                    )

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checks) + self.hidden_points

    @property
    def exercise_dir(self) -> Path:
        return self.root / "exercises" / self.id

    @property
    def solution_dir(self) -> Path:
        return self.root / "solutions" / self.id

    @property
    def stub_path(self) -> Path:
        return self.exercise_dir / self.module

    @property
    def solution_path(self) -> Path:
        return self.solution_dir / self.module

    @property
    def module_name(self) -> str:
        return self.module[: -len(".py")]

    def check(self, name: str) -> Check | None:
        for check in self.checks:
            if check.name == name:
                return check
        return None

    def public_grader_files(self) -> list[Path]:
        return sorted(self.exercise_dir.glob("test_*.py"))

    def hidden_grader_files(self) -> list[Path]:
        return sorted(self.solution_dir.glob("test_*.py"))


def find_course_root(start: Path | None = None) -> Path:
    """The nearest folder at or above *start* that holds a ``course.yml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / COURSE_FILE).is_file():
            return folder
    raise ConfigError(
        str(here / COURSE_FILE),
        "no course.yml here or in any parent folder; run this inside a course "
        "(the folder that holds course.yml) or pass --course PATH",
    )


def load_course(root: Path | str | None = None) -> Course:
    """Read ``course.yml`` under *root* and every exercise it lists."""
    root = find_course_root(Path(root) if root is not None else None)
    course_path = root / COURSE_FILE
    cache = ParseCache(root)
    parsed = read_yaml(course_path, cache)
    course: Course = _validate(Course, parsed.data, parsed, root=root)
    for index, entry in enumerate(course.exercises):
        path = root / "exercises" / entry.id / EXERCISE_FILE
        if not path.is_file():
            raise ConfigError(
                str(course_path),
                f"exercise '{entry.id}' has no {path.relative_to(root)}; create it "
                f"(grader new {entry.id}) or remove the entry",
                line=parsed.line(("exercises", index, "id")),
                field="exercises",
            )
        ex_parsed = read_yaml(path, cache)
        exercise = _validate(
            Exercise, _tag_pytest_checks(ex_parsed.data), ex_parsed, root=root, id=entry.id
        )
        if abs(exercise.points - entry.points) > 1e-9:
            raise ConfigError(
                str(course_path),
                f"exercise '{entry.id}' is worth {entry.points:g} points here but its checks "
                f"in {path.relative_to(root)} add up to {exercise.points:g}; make them agree",
                line=parsed.line(("exercises", index, "points")),
                field=f"exercises[{index}].points",
            )
        course.loaded[entry.id] = exercise
    cache.save()
    return course


def _tag_pytest_checks(data: dict[str, Any]) -> dict[str, Any]:
    """*data* with ``kind: pytest`` on each check that has no kind, the tag the union needs."""
    checks = data.get("checks")
    if not isinstance(checks, list):
        return data
    tagged = [
        {"kind": "pytest", **c} if isinstance(c, dict) and "kind" not in c else c for c in checks
    ]
    return {**data, "checks": tagged}


def _validate(model: type[SpecModel], data: dict[str, Any], parsed: Parsed, **extra: Any) -> Any:
    data = {**data, **extra}
    try:
        return msgspec.convert(data, model, dec_hook=decode_path)
    except msgspec.ValidationError as exc:
        loc, problem = explain(exc, model, data)
        field_name = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc)
        line, column = parsed.position(loc)
        raise ConfigError(
            str(parsed.path),
            problem,
            line=line,
            column=column,
            field=field_name.replace(".[", "[") or None,
        ) from None
