"""The gradebook: every result in SQLite, keyed so that nothing is graded or stored twice.

``OUT/gradebook.sqlite`` (WAL mode; one transaction per finished submission) holds::

    meta(key, value)            the schema version and the course folder
    students(student, ...)      the class as the intakes saw it: state 'submitted' (with the
                                submission's content hash), 'skipped' (with the reason) or
                                'missing' (on the roster, nothing submitted)
    gradings(id, student, ...)  one row per grading of a submission: the SubmissionResult JSON
                                without its exercises (each one is in results)
    results(student, exercise, submission_hash, course_version, exercise_digest,
            grader_version, points, max_points, status, result, grading_id, graded_at)
                                one row per exercise graded, UNIQUE on the first six columns

A result is valid for a student's submission as long as its content hash, the course
version, the exercise's digest (its YAML, graders, reference solution and known mistakes,
plus course.yml) and the grader version are unchanged; :meth:`Gradebook.pending` lists
what is not. A row is written only when its submission is finished, so a killed batch
leaves every finished result intact and the next run does the rest.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from grader.checking import grader_version
from grader.course import COURSE_FILE, Course
from grader.errors import GraderError
from grader.ingest import Intake, StudentSubmission
from grader.results import ExerciseResult, ResultError, SubmissionResult, from_json, to_json

__all__ = [
    "CSV_FILE",
    "GRADEBOOK_FILE",
    "Gradebook",
    "GradebookError",
    "GradingKey",
    "StudentRecord",
    "grading_key",
]

GRADEBOOK_FILE = "gradebook.sqlite"
CSV_FILE = "gradebook.csv"
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS students (
    student TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('submitted', 'skipped', 'missing')),
    submission_hash TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    submitted_at TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS gradings (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL,
    submission_hash TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    result TEXT NOT NULL,
    graded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    student TEXT NOT NULL,
    exercise TEXT NOT NULL,
    submission_hash TEXT NOT NULL,
    course_version TEXT NOT NULL,
    exercise_digest TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    points REAL NOT NULL,
    max_points REAL NOT NULL,
    status TEXT NOT NULL,
    result TEXT NOT NULL,
    grading_id INTEGER NOT NULL REFERENCES gradings(id),
    graded_at TEXT NOT NULL,
    UNIQUE (student, exercise, submission_hash, course_version, exercise_digest, grader_version)
);
CREATE INDEX IF NOT EXISTS results_by_submission ON results(student, submission_hash);
"""


# The rows of results that belong to each submitted student's current submission, oldest
# first: a later grading of an exercise replaces an earlier one.
_CURRENT = (
    "FROM results r "
    "JOIN students s ON s.student = r.student AND s.submission_hash = r.submission_hash "
    "JOIN gradings g ON g.id = r.grading_id "
    "WHERE s.state = 'submitted' ORDER BY r.student, r.graded_at, r.rowid"
)


class GradebookError(GraderError):
    """The gradebook file cannot be used; the message names it and says what to do."""


@dataclass(frozen=True)
class GradingKey:
    """What a stored result must match to be reused: versions and one digest per exercise."""

    course_version: str
    grader_version: str
    digests: Mapping[str, str]


@dataclass(frozen=True)
class StudentRecord:
    student: str
    name: str
    email: str
    state: str
    submission_hash: str
    source: str
    submitted_at: str
    reason: str


def _digest_files(paths: Iterable[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        data = path.read_bytes()
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(str(len(data)).encode() + b"\0" + data)
    return digest.hexdigest()


def grading_key(course: Course, exercises: Iterable[str] = ()) -> GradingKey:
    """The key of *exercises* (all when empty): course.yml plus each exercise's own files."""
    root = course.root
    digests = {}
    for exercise in course.select(exercises):
        files = [root / COURSE_FILE]
        for folder in (exercise.exercise_dir, exercise.solution_dir):
            files += folder.rglob("*")
        digests[exercise.id] = _digest_files(files, root)
    return GradingKey(course.version, grader_version(), digests)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _status(result: ExerciseResult) -> str:
    if result.checks and result.passed:
        return "passed"
    if result.checks and all(c.not_implemented for c in result.checks):
        return "not_implemented"
    return "partial" if result.points > 0 else "failed"


def _number(value: float) -> str:
    return f"{round(value, 4):g}"


class Gradebook:
    """The SQLite gradebook of one output folder. Only one process writes to it."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            with self._transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                found = self._db.execute(
                    "SELECT value FROM meta WHERE key = 'schema'"
                ).fetchone()
                if found is None:
                    self._db.execute(
                        "INSERT INTO meta(key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
                    )
                elif found[0] != SCHEMA_VERSION:
                    raise GradebookError(
                        f"{self.path}: was written by another version of the grader (schema "
                        f"{found[0]}, this one reads {SCHEMA_VERSION}); grade into a new -o folder"
                    )
        except sqlite3.DatabaseError as exc:
            raise GradebookError(
                f"{self.path}: is not a usable gradebook ({exc}); move the file away or "
                "choose another -o folder"
            ) from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- meta ---------------------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # -- the class ----------------------------------------------------------------------
    def set_class(self, intake: Intake) -> None:
        """Record what an intake found: its students replace their earlier state."""
        upsert = (
            "INSERT INTO students(student, name, email, state, submission_hash, source, "
            "submitted_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(student) DO "
            "UPDATE SET name = excluded.name, email = excluded.email, state = excluded.state, "
            "submission_hash = excluded.submission_hash, source = excluded.source, "
            "submitted_at = excluded.submitted_at, reason = excluded.reason"
        )
        with self._transaction():
            for s in intake.submissions:
                self._db.execute(
                    upsert,
                    (s.student, s.name, s.email, "submitted", s.digest, s.source,
                     s.submitted_at, ""),
                )
            for skip in intake.skipped:
                if skip.student:
                    known = intake.roster.find(skip.student) if intake.roster else None
                    self._db.execute(
                        upsert,
                        (skip.student, known.name if known else "", known.email if known else "",
                         "skipped", "", skip.source, "", skip.reason),
                    )
            for entry in intake.missing:
                self._db.execute(
                    "INSERT OR IGNORE INTO students(student, name, email, state) "
                    "VALUES (?, ?, ?, 'missing')",
                    (entry.id, entry.name, entry.email),
                )

    def students(self) -> list[StudentRecord]:
        rows = self._db.execute(
            "SELECT student, name, email, state, submission_hash, source, submitted_at, reason "
            "FROM students ORDER BY student"
        ).fetchall()
        return [StudentRecord(*row) for row in rows]

    # -- results ------------------------------------------------------------------------
    def pending(
        self, submissions: Sequence[StudentSubmission], key: GradingKey, *, regrade: bool = False
    ) -> dict[str, frozenset[str]]:
        """For each student with work to do, the exercises that have no valid result."""
        wanted = frozenset(key.digests)
        if regrade:
            return {s.student: wanted for s in submissions}
        done: set[tuple[str, str, str, str]] = set(
            self._db.execute(
                "SELECT student, submission_hash, exercise, exercise_digest FROM results "
                "WHERE course_version = ? AND grader_version = ?",
                (key.course_version, key.grader_version),
            ).fetchall()
        )
        todo: dict[str, frozenset[str]] = {}
        for s in submissions:
            missing = frozenset(
                exercise
                for exercise, digest in key.digests.items()
                if (s.student, s.digest, exercise, digest) not in done
            )
            if missing:
                todo[s.student] = missing
        return todo

    def record(self, result: SubmissionResult, submission_hash: str, key: GradingKey) -> None:
        """Store one finished submission (all its exercises) in one transaction."""
        now = _now()
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO gradings(student, submission_hash, grader_version, result, graded_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (result.student, submission_hash, key.grader_version,
                 to_json(msgspec.structs.replace(result, exercises=[])).decode(), now),
            )
            grading = cursor.lastrowid
            for exercise in result.exercises:
                self._db.execute(
                    "INSERT INTO results(student, exercise, submission_hash, course_version, "
                    "exercise_digest, grader_version, points, max_points, status, result, "
                    "grading_id, graded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(student, exercise, submission_hash, course_version, "
                    "exercise_digest, grader_version) DO UPDATE SET points = excluded.points, "
                    "max_points = excluded.max_points, status = excluded.status, "
                    "result = excluded.result, grading_id = excluded.grading_id, "
                    "graded_at = excluded.graded_at",
                    (
                        result.student, exercise.exercise, submission_hash, key.course_version,
                        key.digests.get(exercise.exercise, ""), key.grader_version,
                        exercise.points, exercise.max_points, _status(exercise),
                        to_json(exercise).decode(), grading, now,
                    ),
                )
            self._db.execute(
                "DELETE FROM gradings WHERE student = ? AND id NOT IN "
                "(SELECT grading_id FROM results WHERE student = ?)",
                (result.student, result.student),
            )

    def results(self, course: Course | None = None) -> list[SubmissionResult]:
        """Each submitted student's newest result for their current submission.

        Exercises graded in different runs are put together in course order.
        """
        rows = self._db.execute(
            "SELECT r.student, r.exercise, r.result, g.id, g.result " + _CURRENT
        ).fetchall()
        order = {e.id: i for i, e in enumerate(course.exercises)} if course else {}
        exercises: dict[str, dict[str, str]] = {}
        newest: dict[str, tuple[int, str]] = {}
        for student, exercise, result, grading, whole in rows:
            exercises.setdefault(student, {})[exercise] = result
            if student not in newest or grading > newest[student][0]:
                newest[student] = (grading, whole)
        assembled = []
        for student, parts in exercises.items():
            try:
                base = from_json(newest[student][1], SubmissionResult)
                base.exercises = [
                    from_json(parts[e], ExerciseResult)
                    for e in sorted(parts, key=lambda e: (order.get(e, len(order)), e))
                ]
            except ResultError as exc:
                raise GradebookError(
                    f"{self.path}: the stored result of '{student}' cannot be read ({exc}); "
                    f"grade again with --regrade"
                ) from None
            assembled.append(base)
        return assembled

    def points(self) -> dict[str, dict[str, float]]:
        """Each submitted student's points per exercise, as :meth:`results` has them."""
        earned: dict[str, dict[str, float]] = {}
        for student, exercise, points in self._db.execute(
            "SELECT r.student, r.exercise, r.points " + _CURRENT
        ):
            earned.setdefault(student, {})[exercise] = float(points)
        return earned

    def count(self) -> int:
        """How many exercise results are stored."""
        return int(self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    # -- export -------------------------------------------------------------------------
    def write_csv(self, path: Path, course: Course) -> Path:
        """``gradebook.csv``: a row per student, a column per exercise and the total.

        The header follows Canvas's gradebook import (``Student``, ``ID``, ``SIS User ID``,
        ``SIS Login ID``, ``Section``, one column per exercise, ``Total``) and the second
        row gives the points possible. ``Student`` is the roster's name (else the id), the
        id goes in ``ID`` and ``SIS User ID``, the e-mail in ``SIS Login ID``. An exercise
        not graded (yet), or a skipped submission, is left empty, which Canvas ignores; a
        student on the roster who submitted nothing gets 0.
        """
        ids = [entry.id for entry in course.exercises]
        possible = {entry.id: entry.points for entry in course.exercises}
        graded = self.points()
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *ids, "Total"])
        writer.writerow(
            ["Points Possible", "", "", "", "", *(_number(possible[i]) for i in ids),
             _number(sum(possible.values()))]
        )
        for record in self.students():
            cells: list[str]
            if record.state == "missing":
                cells = ["0"] * len(ids) + ["0"]
            elif record.student in graded:
                earned = graded[record.student]
                cells = [_number(earned[i]) if i in earned else "" for i in ids]
                cells.append(_number(sum(earned.values())))
            else:
                cells = [""] * (len(ids) + 1)
            writer.writerow(
                [record.name or record.student, record.student, record.student,
                 record.email, "", *cells]
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(buffer.getvalue())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
        return path
