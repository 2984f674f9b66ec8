"""Authoring: scaffold a new exercise from templates, and export exercise.yml's JSON Schema.

``grader new ID`` writes ``exercises/ID/exercise.yml``, a fenced reference
solution and a hidden grader file in ``solutions/ID/``, the stub made from that
solution, and lists the exercise in ``course.yml``. The rest of a TA's loop is
``grader build`` (stubs), ``grader validate`` (:mod:`grader.validate`) and
``grader release`` (:mod:`grader.release`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
import msgspec
import yaml

from grader.course import COURSE_FILE, EXERCISE_FILE, Exercise, find_course_root
from grader.errors import ConfigError, CourseError
from grader.stubs import stub_text

__all__ = [
    "SCHEMA_FILE",
    "Scaffold",
    "exercise_schema",
    "new_exercise",
    "schema_text",
]

SCHEMA_FILE = Path(str(files("grader") / "schemas" / "exercise.schema.json"))
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def exercise_schema() -> dict[str, Any]:
    """The JSON Schema of ``exercise.yml``, generated from the models in :mod:`grader.course`."""
    generated = msgspec.json.schema(Exercise, schema_hook=_path_schema)
    definitions = generated["$defs"]
    schema: dict[str, Any] = definitions.pop("Exercise")
    for internal in ("id", "root"):
        schema["properties"].pop(internal, None)
    # A check without `kind` is a pytest check: the tag is optional there.
    pytest_check = definitions["Check"]
    pytest_check["required"] = [r for r in pytest_check.get("required", []) if r != "kind"]
    schema["properties"]["checks"]["items"].pop("discriminator", None)
    schema["$defs"] = definitions
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "exercise.yml"
    schema["description"] = (
        "One exercise of a grader course: exercises/<id>/exercise.yml. "
        "See docs/authoring.md for a walk-through."
    )
    return schema


def _path_schema(kind: type) -> dict[str, Any]:
    if kind is Path:
        return {"type": "string"}
    raise NotImplementedError(f"no schema for {kind.__name__}")


def schema_text() -> str:
    """The schema file's exact text (sorted keys, two-space indent, final newline)."""
    return json.dumps(exercise_schema(), indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class Scaffold:
    """What ``grader new`` wrote."""

    exercise_id: str
    written: list[Path]
    points: float


def new_exercise(
    root: Path | None,
    exercise_id: str,
    *,
    title: str = "",
    functions: list[str] | None = None,
) -> Scaffold:
    """Scaffold *exercise_id* in the course at *root* (found upwards from cwd if None)."""
    course_root = find_course_root(root)
    if not _ID.match(exercise_id):
        raise CourseError(
            f"'{exercise_id}' cannot be an exercise id: use lower-case letters, digits and '_', "
            "starting with a letter (e.g. tanh or leaky_relu)"
        )
    names = functions or [exercise_id]
    bad = [n for n in names if not _NAME.match(n)]
    if bad:
        raise CourseError(f"'{bad[0]}' is not a Python function name; use e.g. {exercise_id}")
    exercise_dir = course_root / "exercises" / exercise_id
    solution_dir = course_root / "solutions" / exercise_id
    for folder in (exercise_dir, solution_dir):
        if folder.exists():
            raise CourseError(
                f"{folder} already exists; pick another id or remove the folder first"
            )
    module = f"{exercise_id}.py"
    context: dict[str, Any] = {
        "id": exercise_id,
        "title": title or exercise_id.replace("_", " ").capitalize(),
        "module": module,
        "functions": names,
        "hidden_check": "finite_on_random_inputs",
    }
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(files("grader") / "templates" / "new_exercise")),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    exercise_text = env.get_template("exercise.yml.j2").render(context)
    solution_text = env.get_template("solution.py.j2").render(context)
    grader_text = env.get_template("test_hidden.py.j2").render(context)
    points = float(sum(c["points"] for c in yaml.safe_load(exercise_text)["checks"]))
    exercise_dir.mkdir(parents=True)
    solution_dir.mkdir(parents=True)
    written = [
        _write(exercise_dir / EXERCISE_FILE, exercise_text),
        _write(solution_dir / module, solution_text),
        _write(solution_dir / f"test_{exercise_id}_hidden.py", grader_text),
        _write(exercise_dir / module, stub_text(solution_text)),
    ]
    _list_in_course(course_root / COURSE_FILE, exercise_id, points)
    written.append(course_root / COURSE_FILE)
    return Scaffold(exercise_id, written, points)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _list_in_course(path: Path, exercise_id: str, points: float) -> None:
    """Append ``- id: ..., points: ...`` to course.yml's exercises, keeping its comments."""
    text = path.read_text(encoding="utf-8")
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    entries = None
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "exercises" and isinstance(value, yaml.SequenceNode):
                entries = value
    if entries is None or not entries.value:
        raise ConfigError(str(path), "has no `exercises:` list to add the new exercise to")
    if any(
        isinstance(item, yaml.MappingNode)
        and any(k.value == "id" and v.value == exercise_id for k, v in item.value)
        for item in entries.value
    ):
        raise ConfigError(str(path), f"already lists '{exercise_id}'; pick another id")
    first = entries.value[0]
    indent = " " * first.start_mark.column
    lines = text.splitlines(keepends=True)
    last_line = entries.end_mark.line
    if entries.end_mark.column == 0:
        last_line -= 1
    while last_line > 0 and (not lines[last_line].strip() or lines[last_line].lstrip()[0] == "#"):
        last_line -= 1
    entry = f"{indent[:-2]}- id: {exercise_id}\n{indent}points: {points:g}\n"
    lines.insert(last_line + 1, entry)
    path.write_text("".join(lines), encoding="utf-8")
