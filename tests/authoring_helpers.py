"""Shared helpers of the authoring tests: small course copies a test may break."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def copy_course(target: Path, exercises: tuple[str, ...] = ("sigmoid", "elu")) -> Path:
    """A course in *target* with the repository's *exercises* (files copied, not linked)."""
    course = yaml.safe_load((ROOT / "course.yml").read_text())
    points = {e["id"]: e["points"] for e in course["exercises"]}
    course["exercises"] = [{"id": e, "points": points[e]} for e in exercises]
    target.mkdir(parents=True, exist_ok=True)
    (target / "course.yml").write_text(yaml.safe_dump(course, sort_keys=False))
    for exercise in exercises:
        for part in ("exercises", "solutions"):
            shutil.copytree(
                ROOT / part / exercise,
                target / part / exercise,
                ignore=shutil.ignore_patterns("__pycache__"),
            )
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of *old* in *path* by *new*."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new))


def add_checks(path: Path, entries: str, points: float, course_root: Path, exercise: str) -> None:
    """Append check entries (YAML text) to an exercise's checks, and its points to course.yml."""
    text = path.read_text()
    head, sep, tail = text.partition("\nmistakes:")
    path.write_text(
        head.rstrip("\n") + "\n" + entries.rstrip("\n") + "\n" + sep.lstrip("\n") + tail
    )
    course_file = course_root / "course.yml"
    course = yaml.safe_load(course_file.read_text())
    for entry in course["exercises"]:
        if entry["id"] == exercise:
            entry["points"] += points
    course_file.write_text(yaml.safe_dump(course, sort_keys=False))
