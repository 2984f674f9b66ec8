"""Authoring: the exported JSON Schema of exercise.yml, and `grader new`'s scaffold."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from authoring_helpers import ROOT, copy_course

from grader import load_course
from grader.authoring import SCHEMA_FILE, exercise_schema, schema_text
from grader.cli import main


def test_the_shipped_schema_file_is_generated_from_the_models(capsys):
    assert SCHEMA_FILE.read_text() == schema_text()
    assert main(["schema", "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_schema_check_fails_on_a_stale_copy(tmp_path: Path, capsys):
    stale = tmp_path / "exercise.schema.json"
    stale.write_text("{}\n")
    assert main(["schema", "--check", "--output", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(["schema", "--output", str(stale)]) == 0
    assert json.loads(stale.read_text()) == exercise_schema()


@pytest.mark.parametrize("path", sorted(ROOT.glob("exercises/*/exercise.yml")), ids=str)
def test_every_shipped_exercise_is_valid_under_the_json_schema(path: Path):
    jsonschema.validate(yaml.safe_load(path.read_text()), exercise_schema())


def test_the_json_schema_documents_kinds_predicates_and_rejects_what_the_loader_rejects():
    schema = exercise_schema()
    text = json.dumps(schema)
    for word in ("gradcheck", "matches_reference", "property", "no_mutation", "single_sign"):
        assert word in text
    assert "id" not in schema["properties"] and "root" not in schema["properties"]
    bad = {
        "title": "t",
        "module": "m.py",
        "functions": [{"name": "f", "signature": "f(x)"}],
        "checks": [{"name": "c", "points": 1, "kind": "property", "function": "f"}],
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_new_scaffolds_a_loadable_exercise_and_lists_it_in_the_course(tmp_path: Path, capsys):
    root = copy_course(tmp_path / "course")
    assert main(["--course", str(root), "new", "softsign", "--title", "Softsign"]) == 0
    out = capsys.readouterr().out
    assert "exercises/softsign/exercise.yml" in out and "grader validate softsign" in out
    listed = yaml.safe_load((root / "course.yml").read_text())["exercises"]
    assert [e["id"] for e in listed] == ["sigmoid", "elu", "softsign"]
    course = load_course(root)
    exercise = course.exercise("softsign")
    assert exercise.title == "Softsign"
    assert [f.name for f in exercise.functions] == ["softsign"]
    assert {c.name for c in exercise.checks} >= {"output_shape", "finite_on_random_inputs"}
    assert (root / "exercises/softsign/softsign.py").read_text().count("NotImplementedError") == 1
    assert "### BEGIN SOLUTION" in (root / "solutions/softsign/softsign.py").read_text()


def test_new_keeps_course_yml_comments(tmp_path: Path):
    root = tmp_path / "course"
    root.mkdir()
    (root / "course.yml").write_text(
        "# my course\ntitle: T\nexercises:   # in order\n  - id: a\n    points: 1\n"
        "  # more to come\n\ndefaults:\n  call_timeout: 2\n"
    )
    assert main(["--course", str(root), "new", "b"]) == 0
    text = (root / "course.yml").read_text()
    assert text.startswith("# my course\ntitle: T\nexercises:   # in order\n  - id: a\n")
    assert "  - id: b\n    points: 4\n" in text and "defaults:\n  call_timeout: 2\n" in text
    assert [e["id"] for e in yaml.safe_load(text)["exercises"]] == ["a", "b"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new", "Bad-Id"], "cannot be an exercise id"),
        (["new", "sigmoid"], "already exists"),
        (["new", "ok", "--function", "2x"], "is not a Python function name"),
    ],
)
def test_new_refuses_bad_ids_and_existing_exercises(tmp_path: Path, capsys, args, message):
    root = copy_course(tmp_path / "course")
    assert main(["--course", str(root), *args]) == 2
    assert message in capsys.readouterr().err
