"""The SQLite gradebook: keys, resuming, no duplicates, assembling results, the Canvas CSV."""

from __future__ import annotations

import csv
import shutil
import sqlite3
from pathlib import Path

import pytest

from grader import load_course
from grader.gradebook import Gradebook, GradebookError, grading_key
from grader.ingest import Intake, Roster, RosterEntry, Skipped, StudentSubmission
from grader.pool import failed_result
from grader.results import SubmissionResult


def scored(course, student, points, exercises=("sigmoid",)):
    """A result where every check of *exercises* earns *points* of its share (0..1)."""
    result = failed_result(course, list(exercises), student, "failed", "")
    for exercise in result.exercises:
        for check in exercise.checks:
            check.points = check.max_points * points
            check.status = "passed" if points == 1 else "failed"
        exercise.points = sum(c.points for c in exercise.checks)
    return result


def submission(student, digest="h1", name="", email=""):
    return StudentSubmission(
        student, Path("unused"), digest=digest, source=f"{student}/", name=name, email=email
    )


@pytest.fixture
def book(tmp_path):
    with Gradebook(tmp_path / "gradebook.sqlite") as opened:
        yield opened


def test_pending_follows_hash_and_key_and_regrade(course, book):
    key = grading_key(course, ["sigmoid"])
    alice, bob = submission("alice"), submission("bob")
    assert book.pending([alice, bob], key) == {
        "alice": frozenset({"sigmoid"}),
        "bob": frozenset({"sigmoid"}),
    }
    book.record(scored(course, "alice", 1), "h1", key)
    assert book.pending([alice, bob], key) == {"bob": frozenset({"sigmoid"})}
    assert book.pending([submission("alice", "h2"), bob], key).keys() == {"alice", "bob"}
    other = grading_key(course, ["sigmoid", "elu"])
    assert book.pending([alice], other) == {"alice": frozenset({"elu"})}
    assert book.pending([alice], key, regrade=True) == {"alice": frozenset({"sigmoid"})}


def test_key_changes_when_a_grader_changes(course, tmp_path):
    copy = tmp_path / "course"
    shutil.copytree(course.root, copy, ignore=shutil.ignore_patterns(".git", "tests", "examples"))
    before = grading_key(load_course(copy))
    hidden = copy / "solutions" / "sigmoid" / "test_sigmoid_hidden.py"
    hidden.write_text(hidden.read_text() + "\n# changed\n")
    after = grading_key(load_course(copy))
    assert after.digests["sigmoid"] != before.digests["sigmoid"]
    assert after.digests["elu"] == before.digests["elu"]
    assert before.grader_version and before.course_version == course.version


def test_recording_again_replaces_and_never_duplicates(course, book):
    key = grading_key(course, ["sigmoid"])
    book.record(scored(course, "alice", 0), "h1", key)
    book.record(scored(course, "alice", 1), "h1", key)
    rows = book._db.execute("SELECT COUNT(*), SUM(points) FROM results").fetchone()
    assert rows == (1, 10.0)
    assert book._db.execute("SELECT COUNT(*) FROM gradings").fetchone() == (1,)


def test_unique_key_is_enforced_by_the_database(course, book):
    key = grading_key(course, ["sigmoid"])
    book.record(scored(course, "alice", 1), "h1", key)
    columns = "student, exercise, submission_hash, course_version, exercise_digest, grader_version"
    with pytest.raises(sqlite3.IntegrityError):
        book._db.execute(
            f"INSERT INTO results({columns}, points, max_points, status, result, grading_id, "
            f"graded_at) SELECT {columns}, points, max_points, status, result, grading_id, "
            "graded_at FROM results"
        )


def test_results_assemble_exercises_graded_in_separate_runs(course, book):
    book.set_class(Intake(submissions=[submission("alice")]))
    book.record(scored(course, "alice", 1, ["elu"]), "h1", grading_key(course, ["elu"]))
    book.record(scored(course, "alice", 0.5, ["sigmoid"]), "h1", grading_key(course, ["sigmoid"]))
    [result] = book.results(course)
    assert [e.exercise for e in result.exercises] == ["sigmoid", "elu"]
    assert result.points == 17.0 and result.max_points == 22.0
    assert isinstance(result, SubmissionResult)


def test_results_follow_the_current_submission_only(course, book):
    key = grading_key(course, ["sigmoid"])
    book.set_class(Intake(submissions=[submission("alice", "h1")]))
    book.record(scored(course, "alice", 1), "h1", key)
    book.set_class(Intake(submissions=[submission("alice", "h2")]))
    assert book.results(course) == []
    book.record(scored(course, "alice", 0), "h2", key)
    assert [r.points for r in book.results(course)] == [0.0]


def test_csv_has_a_row_per_student_and_canvas_columns(course, book, tmp_path):
    key = grading_key(course, ["sigmoid", "elu"])
    book.set_class(
        Intake(
            submissions=[
                submission("1001", name="Ada King", email="ada@example.edu"),
                submission("1002"),
            ],
            skipped=[Skipped("mallory.zip", "points outside its folder", "mallory")],
            missing=[RosterEntry("1009", "Nobody Yet", "nobody@example.edu")],
            roster=Roster({"mallory": RosterEntry("mallory", "Mallory Quinn", "mq@example.edu")}),
        )
    )
    book.record(scored(course, "1001", 1, ["sigmoid", "elu"]), "h1", key)
    book.record(scored(course, "1002", 0.5, ["sigmoid"]), "h1", key)
    path = book.write_csv(tmp_path / "gradebook.csv", course)
    rows = list(csv.reader(path.open(newline="")))
    ids = [e.id for e in course.exercises]
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *ids, "Total"]
    points = [f"{e.points:g}" for e in course.exercises]
    assert rows[1] == ["Points Possible", "", "", "", "", *points,
                       f"{sum(e.points for e in course.exercises):g}"]
    table = {row[1]: row for row in rows[2:]}
    assert sorted(table) == ["1001", "1002", "1009", "mallory"]
    column = {name: index for index, name in enumerate(rows[0])}
    assert table["1001"][0] == "Ada King" and table["1001"][3] == "ada@example.edu"
    assert table["1001"][column["sigmoid"]] == "10" and table["1001"][column["elu"]] == "12"
    assert table["1001"][column["Total"]] == "22"
    assert table["1002"][column["sigmoid"]] == "5" and table["1002"][column["elu"]] == ""
    assert table["1009"][5:] == ["0"] * (len(ids) + 1)
    assert table["mallory"][5:] == [""] * (len(ids) + 1)
    assert table["mallory"][:4] == ["Mallory Quinn", "mallory", "mallory", "mq@example.edu"]


def test_a_file_that_is_not_a_gradebook_is_a_clear_error(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(GradebookError) as caught:
        Gradebook(path)
    assert str(path) in str(caught.value) and "choose another -o folder" in str(caught.value)


def test_another_schema_version_is_refused(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    Gradebook(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(GradebookError, match="another version of the grader"):
        Gradebook(path)


def test_the_gradebook_uses_write_ahead_logging(book):
    assert book._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
