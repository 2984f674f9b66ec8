"""The dask side of batch grading: ship the course as bytes, grade a shard of submissions.

:func:`course_files` packs the course once; on a dask worker, :func:`grade_shard`
rebuilds it (once per digest), writes the shard's submissions and grades them with
the same local pool as ``grader grade`` (:func:`grader.pool.run_pool`), so the
results are the same as on this machine.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from grader.course import Course, load_course
from grader.pool import PoolError, run_pool
from grader.results import to_json
from grader.submission import Submission

__all__ = ["course_files", "grade_shard"]


def course_files(course: Course) -> dict[str, bytes]:
    """The files a worker elsewhere needs to rebuild the course: course.yml and every exercise."""
    root = course.root
    found = {"course.yml": (root / "course.yml").read_bytes()}
    for exercise in course:
        for folder in (exercise.exercise_dir, exercise.solution_dir):
            for path in sorted(folder.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def _write_tree(files: Mapping[str, bytes], root: Path) -> None:
    for name, data in files.items():
        target = root.joinpath(*Path(name).parts)
        if ".." in Path(name).parts or Path(name).is_absolute():
            raise PoolError(f"refusing to write {name!r} outside {root}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def grade_shard(
    files: Mapping[str, bytes],
    digest: str,
    exercises: Sequence[str],
    shard: Sequence[tuple[str, Mapping[str, bytes]]],
    time_limit: float | None = None,
) -> list[str]:
    """Grade *shard* (student id and files of each submission); return results as JSON text.

    Runs on a dask worker: the course is rebuilt from *files* once per *digest*, and the
    submissions are graded by one fresh worker process, exactly as on the local pool.
    """
    home = Path(tempfile.gettempdir()) / f"grader-course-{digest[:16]}"
    if not (home / "course.yml").is_file():
        staging = Path(tempfile.mkdtemp(prefix=f"{home.name}-"))
        _write_tree(files, staging)
        try:
            staging.rename(home)
        except OSError:
            if not (home / "course.yml").is_file():
                raise
    course = load_course(home)
    results: list[str] = []
    with tempfile.TemporaryDirectory(prefix="grader-shard-") as tmp:
        submissions = []
        for index, (student, content) in enumerate(shard):
            folder = Path(tmp) / str(index)
            folder.mkdir()
            _write_tree(content, folder)
            submissions.append(Submission(student, folder))
        # A dask worker may run a shard on each of its cores at once: never spin-wait.
        run_pool(
            course,
            submissions,
            exercises=exercises,
            jobs=1,
            time_limit=time_limit,
            on_result=lambda r: results.append(to_json(r).decode()),
            concurrency=len(os.sched_getaffinity(0)),
        )
    return results
