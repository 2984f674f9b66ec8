"""A submission: whose it is and the folder that holds its modules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.course import Exercise

__all__ = ["Submission", "locate_module"]


@dataclass(frozen=True)
class Submission:
    """One student's work: an id and a folder with the student's modules."""

    student: str
    path: Path


def locate_module(folder: Path, exercise: Exercise) -> Path:
    """Where *exercise*'s module is in *folder* (flat, ``<id>/`` or ``exercises/<id>/``)."""
    candidates = [
        folder / exercise.module,
        folder / exercise.id / exercise.module,
        folder / "exercises" / exercise.id / exercise.module,
    ]
    for path in candidates:
        if path.is_file() and not path.is_symlink():
            return path
    return candidates[0]
