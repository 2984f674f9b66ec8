"""Load and validate ``course.yml`` and ``exercises/<id>/exercise.yml`` into typed objects.

Every problem is reported as a :class:`~grader.errors.ConfigError` that names the
file, the line, the field and the fix; a YAML file never produces a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from grader.checkspec import (
    PREDICATES,
    UNION_TAGS,
    Check,
    CheckEntry,
    DeclarativeCheck,
    LocatedError,
    param_refs,
)
from grader.errors import ConfigError
from grader.variants import Parameter

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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Defaults(_Model):
    """Grading limits that apply to every exercise unless it overrides them."""

    call_timeout: float = Field(5.0, gt=0, description="wall-clock seconds for one call")
    submission_timeout: float = Field(
        120.0, gt=0, description="wall-clock seconds for all checks of one submission"
    )
    memory_mb: int = Field(1024, ge=64, description="address-space limit of the child")
    cpu_seconds: int = Field(60, ge=1, description="CPU-time limit of the child")
    hidden_visibility: Visibility = Field(
        "after_published", description="when hidden checks are shown on Gradescope"
    )


class Feedback(_Model):
    """What students see of each hidden check, before and after the grades are released.

    A hidden check always appears with its name. ``outcome`` adds its status and
    points, ``hint`` the hint of a lost check, ``message`` what the check said
    (hidden checks' messages never hold expected values). Public checks are
    always shown in full.
    """

    before_release: list[FeedbackItem] = Field(default=[], description="shown before release")
    after_release: list[FeedbackItem] = Field(
        default=["outcome", "hint"], description="shown after release"
    )

    @field_validator("before_release", "after_release")
    @classmethod
    def _unique_items(cls, items: list[str]) -> list[str]:
        if len(set(items)) != len(items):
            raise ValueError("lists an item twice; list each of outcome, hint, message once")
        if ("hint" in items or "message" in items) and "outcome" not in items:
            raise ValueError("shows a hint or message without the outcome; add 'outcome'")
        return items

    def shown(self, released: bool) -> frozenset[str]:
        """The items of hidden checks shown when grades are (or are not yet) *released*."""
        return frozenset(self.after_release if released else self.before_release)


class CourseEntry(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    points: float = Field(gt=0)


class Course(_Model):
    """The whole course: ``course.yml`` plus every exercise it lists, in order."""

    title: str
    version: str = "1"
    exercises: list[CourseEntry] = Field(min_length=1)
    defaults: Defaults = Defaults()  # type: ignore[call-arg]
    feedback: Feedback = Feedback()
    root: Path = Field(Path("."), exclude=True)
    loaded: dict[str, Exercise] = Field(default_factory=dict, exclude=True)

    @field_validator("exercises")
    @classmethod
    def _unique_ids(cls, entries: list[CourseEntry]) -> list[CourseEntry]:
        seen: set[str] = set()
        for entry in entries:
            if entry.id in seen:
                raise ValueError(f"exercise '{entry.id}' is listed twice; list it once")
            seen.add(entry.id)
        return entries

    def exercise(self, exercise_id: str) -> Exercise:
        try:
            return self.loaded[exercise_id]
        except KeyError:
            known = ", ".join(self.loaded)
            raise ConfigError(
                str(self.root / COURSE_FILE),
                f"there is no exercise '{exercise_id}'; the course has: {known}",
            ) from None

    def __iter__(self) -> Iterator[Exercise]:  # type: ignore[override]
        return iter(self.loaded.values())

    def select(self, ids: Iterable[str] = ()) -> list[Exercise]:
        """The exercises named in *ids* (all of them when empty), in course order."""
        wanted = list(ids)
        if not wanted:
            return list(self.loaded.values())
        return [self.exercise(i) for i in wanted]


class FunctionSpec(_Model):
    """A function students implement: a contract with students and graders."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    signature: str
    summary: str = ""

    @field_validator("signature")
    @classmethod
    def _signature_names_function(cls, signature: str, info: Any) -> str:
        name = info.data.get("name")
        if name and not signature.startswith(f"{name}("):
            raise ValueError(f"must start with '{name}(' , e.g. '{name}(x)'")
        return signature


class Mistake(_Model):
    """A known wrong implementation; a submission that behaves like it gets the hint."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    hint: str = Field(description="what a student whose submission behaves like this reads")
    file: str | None = Field(
        None, description="path of the wrong module, relative to solutions/<id>/"
    )
    code: str | None = Field(
        None, description="the wrong functions as Python source (numpy is available as np)"
    )

    @field_validator("hint")
    @classmethod
    def _strip(cls, text: str) -> str:
        return " ".join(text.split())

    @model_validator(mode="after")
    def _one_source(self) -> Mistake:
        if (self.file is None) == (self.code is None):
            raise ValueError("give exactly one of `file` (a module) or `code` (inline source)")
        return self


class Exercise(_Model):
    """One exercise: its student module, the functions, the checks and the hints."""

    title: str
    module: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*\.py$")
    summary: str = ""
    functions: list[FunctionSpec] = Field(min_length=1)
    parameters: dict[str, Parameter] = Field(
        default_factory=dict, description="values checks use as '$name'; variable ones per student"
    )
    checks: list[CheckEntry] = Field(min_length=1)
    mistakes: list[Mistake] = []
    hidden_points: float = Field(
        0.0, ge=0, description="points of hidden checks left out of this copy (set by release)"
    )
    id: str = Field("", exclude=True)
    root: Path = Field(Path("."), exclude=True)

    @field_validator("checks")
    @classmethod
    def _unique_checks(cls, checks: list[Check]) -> list[Check]:
        seen: set[str] = set()
        for check in checks:
            if check.name in seen:
                raise ValueError(f"check '{check.name}' is declared twice; rename one")
            seen.add(check.name)
        return checks

    @field_validator("checks")
    @classmethod
    def _declarations_resolve(cls, checks: list[Check], info: Any) -> list[Check]:
        names = [f.name for f in info.data.get("functions", [])]
        parameters = info.data.get("parameters", {})
        for index, check in enumerate(checks):
            if not isinstance(check, DeclarativeCheck):
                continue
            for function in check.functions():
                if names and function not in names:
                    raise LocatedError(
                        (index,),
                        f"check '{check.name}' calls {function!r}, which is not among the "
                        f"exercise's functions; use one of: {', '.join(names)}",
                    )
            for ref in param_refs(check):
                if ref.lstrip("-$") not in parameters:
                    known = ", ".join(parameters) or "none are declared"
                    raise LocatedError(
                        (index,),
                        f"check '{check.name}' uses {ref!r}, which is not a parameter; "
                        f"declare it under `parameters` (declared: {known})",
                    )
        return checks

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


Course.model_rebuild()


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
    data, nodes = _read_yaml(course_path)
    course: Course = _validate(Course, data, nodes, course_path, root=root)
    for entry in course.exercises:
        path = root / "exercises" / entry.id / EXERCISE_FILE
        if not path.is_file():
            line = _line_of(nodes, ("exercises", course.exercises.index(entry), "id"))
            raise ConfigError(
                str(course_path),
                f"exercise '{entry.id}' has no {path.relative_to(root)}; create it "
                f"(grader new {entry.id}) or remove the entry",
                line=line,
                field="exercises",
            )
        ex_data, ex_nodes = _read_yaml(path)
        exercise = _validate(Exercise, ex_data, ex_nodes, path, root=root, id=entry.id)
        if abs(exercise.points - entry.points) > 1e-9:
            raise ConfigError(
                str(course_path),
                f"exercise '{entry.id}' is worth {entry.points:g} points here but its checks "
                f"in {path.relative_to(root)} add up to {exercise.points:g}; make them agree",
                line=_line_of(nodes, ("exercises", course.exercises.index(entry), "points")),
                field=f"exercises[{course.exercises.index(entry)}].points",
            )
        course.loaded[entry.id] = exercise
    return course


# libyaml's loader where PyYAML was built with it: the same safe subset, parsed in C.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), f"cannot be read ({exc.strerror}); check the path") from None
    loader = _SafeLoader(text)
    try:
        nodes = loader.get_single_node()
        data = loader.construct_document(nodes) if nodes is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            str(path),
            f"is not valid YAML ({problem}); check indentation and quoting near this line",
            line=mark.line + 1 if mark is not None else None,
        ) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ConfigError(str(path), "must be a mapping of fields (key: value) at the top level")
    return data, nodes


def _validate(
    model: type[_Model], data: dict[str, Any], nodes: Any, path: Path, **extra: Any
) -> Any:
    try:
        return model.model_validate({**data, **extra})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _without_tags(tuple(err["loc"]))
        located = (err.get("ctx") or {}).get("error")
        if isinstance(located, LocatedError):
            loc = (*loc, *located.loc)
        field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
        line, column = _position_of(nodes, loc)
        raise ConfigError(
            str(path),
            _explain(err, model),
            line=line,
            column=column,
            field=field or None,
        ) from None


def _without_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """*loc* without the union tags pydantic puts after a list index (``checks.0.gradcheck``)."""
    kept: list[Any] = []
    for index, part in enumerate(loc):
        after_index = index > 0 and isinstance(loc[index - 1], int)
        if after_index and isinstance(part, str) and part in UNION_TAGS:
            continue
        kept.append(part)
    return tuple(kept)


def _explain(err: Any, model: type[_Model]) -> str:
    kind = err["type"]
    if kind == "missing":
        return "is required but missing; add it"
    if kind == "extra_forbidden":
        return f"is not a known field; remove it or fix its spelling (see {model.__name__} docs)"
    if kind == "string_pattern_mismatch":
        return (
            f"{err['input']!r} is not allowed: use lower-case letters, digits and '_' "
            "(modules end in .py)"
        )
    if kind == "literal_error":
        return f"{err['input']!r} is not allowed; {err['msg'].lower()}"
    if kind == "check_kind":
        return (
            f"kind {err['input'].get('kind')!r} is not a check kind; use one of: "
            f"{err['ctx']['allowed']} (or leave out `kind` for a pytest check test_<name>)"
        )
    if kind == "union_tag_invalid":
        return (
            f"{err['ctx']['tag']!r} is not allowed; use one of: {err['ctx']['expected_tags']}"
        )
    if kind == "union_tag_not_found":
        return f"needs `{err['ctx']['discriminator'].strip(chr(39))}`, one of: " + ", ".join(
            PREDICATES
        )
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{msg} (got {err.get('input')!r})"


def _line_of(node: Any, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at *loc*, or of its nearest parent."""
    return _position_of(node, loc)[0]


def _position_of(node: Any, loc: tuple[Any, ...]) -> tuple[int | None, int | None]:
    """The 1-based line and column of the YAML node at *loc*, or of its nearest parent."""
    if node is None:
        return None, None
    mark = node.start_mark
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    mark = key.start_mark
                    child = value
                    break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            child = node.value[part]
            mark = child.start_mark
        if child is None:
            break
        node = child
    return mark.line + 1, mark.column + 1
