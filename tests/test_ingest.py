"""Intake of SUBMISSIONS: every layout, unsafe and unreadable zips, latest-wins, the roster."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest
from batch_helpers import (
    FORGOT_UPSTREAM,
    SOLUTION,
    STUB,
    gradescope_export,
    touch,
    write_files,
    write_zip,
)

from grader.ingest import (
    IngestError,
    Limits,
    content_hash,
    ingest,
    load_roster,
)


def by_student(intake):
    return {s.student: s for s in intake.submissions}


def module_text(submission, name="sigmoid.py"):
    return (submission.path / name).read_text()


def test_folder_of_student_folders(tmp_path):
    source = tmp_path / "class"
    write_files(source / "alice", {"sigmoid.py": SOLUTION, "notes.txt": "hi"})
    write_files(source / "bob", {"sigmoid.py": STUB, "__pycache__/x.pyc": b"junk"})
    write_files(source / "carol", {"sigmoid.py": SOLUTION, "notes.txt": "hi"})
    intake = ingest(source, tmp_path / "out" / "work")
    found = by_student(intake)
    assert sorted(found) == ["alice", "bob", "carol"]
    assert module_text(found["bob"]) == STUB
    assert found["alice"].path.parent == tmp_path / "out" / "work"
    assert not (found["bob"].path / "__pycache__").exists()
    assert found["alice"].digest == found["carol"].digest != found["bob"].digest
    assert found["alice"].source == "alice/"
    assert intake.skipped == []


def test_content_hash_depends_on_names_and_bytes(tmp_path):
    a = write_files(tmp_path / "a", {"sigmoid.py": "x = 1\n"})
    b = write_files(tmp_path / "b", {"sigmoid.py": "x = 2\n"})
    c = write_files(tmp_path / "c", {"other.py": "x = 1\n"})
    d = write_files(tmp_path / "d", {"sigmoid.py": "x = 1\n"})
    assert len({content_hash(a), content_hash(b), content_hash(c)}) == 3
    assert content_hash(a) == content_hash(d)


def test_folder_of_student_zips_with_wrappers_and_junk(tmp_path):
    source = tmp_path / "class"
    write_zip(source / "alice.zip", {"sigmoid.py": SOLUTION})
    write_zip(
        source / "bob.zip",
        {"bob/sigmoid.py": FORGOT_UPSTREAM, "__MACOSX/bob/._sigmoid.py": b"\0\1", ".DS_Store": b""},
    )
    write_zip(source / "carol.zip", {"sigmoid/sigmoid.py": SOLUTION, "elu/elu.py": "x = 1\n"})
    found = by_student(ingest(source, tmp_path / "work"))
    assert module_text(found["alice"]) == SOLUTION
    assert module_text(found["bob"]) == FORGOT_UPSTREAM
    assert sorted(p.name for p in found["bob"].path.rglob("*")) == ["sigmoid.py"]
    assert module_text(found["carol"], "sigmoid/sigmoid.py") == SOLUTION


def test_student_folder_that_holds_only_a_zip_is_opened(tmp_path):
    source = tmp_path / "class"
    write_zip(source / "dan" / "handin.zip", {"hw/sigmoid.py": SOLUTION})
    found = by_student(ingest(source, tmp_path / "work"))
    assert module_text(found["dan"]) == SOLUTION


def test_gradescope_export_latest_submission_and_groups(tmp_path):
    intake = ingest(gradescope_export(tmp_path / "export"), tmp_path / "work")
    found = by_student(intake)
    assert sorted(found) == ["1001", "1002", "alan@example.edu"]
    assert module_text(found["1001"]) == SOLUTION
    assert found["1001"].source == "submission_102/"
    assert found["1001"].name == "Ada Lovelace"
    assert found["1001"].email == "ada@example.edu"
    assert found["1001"].submitted_at.startswith("2026-11-02T09:30:00")
    assert module_text(found["1002"]) == module_text(found["alan@example.edu"]) == FORGOT_UPSTREAM
    assert [(s.source, s.student) for s in intake.superseded] == [("submission_101/", "1001")]
    assert "submission_102/" in intake.superseded[0].reason


def test_gradescope_times_decide_even_against_folder_order(tmp_path):
    export = gradescope_export(tmp_path / "export")
    text = (export / "submission_metadata.yml").read_text()
    (export / "submission_metadata.yml").write_text(
        text.replace("2026-11-01 10:00:00.123456000", "2026-11-03 10:00:00.123456000")
    )
    found = by_student(ingest(export, tmp_path / "work"))
    assert module_text(found["1001"]) == STUB


def test_gradescope_metadata_that_is_not_yaml_names_the_line(tmp_path):
    export = gradescope_export(tmp_path / "export")
    (export / "submission_metadata.yml").write_text("submission_101:\n  :submitters: [\n")
    with pytest.raises(IngestError) as caught:
        ingest(export, tmp_path / "work")
    message = str(caught.value)
    assert "submission_metadata.yml:3" in message and "not valid YAML" in message


def test_gradescope_entry_without_its_folder_is_reported(tmp_path):
    export = gradescope_export(tmp_path / "export")
    shutil.rmtree(export / "submission_103")
    intake = ingest(export, tmp_path / "work")
    assert [(s.source, s.reason) for s in intake.skipped] == [
        ("submission_103/", "is listed in submission_metadata.yml but its folder is missing")
    ]
    assert sorted(by_student(intake)) == ["1001"]


def test_canvas_bulk_download(tmp_path):
    source = tmp_path / "submissions"
    write_files(
        source,
        {
            "lovelaceada_2001_9001_sigmoid.py": STUB,
            "lovelaceada_2001_9005_sigmoid-1.py": SOLUTION,
            "hoppergrace_LATE_2002_9003_sigmoid.py": FORGOT_UPSTREAM,
        },
    )
    write_zip(source / "turingalan_2003_9004_handin.zip", {"handin/sigmoid.py": SOLUTION})
    intake = ingest(source, tmp_path / "work", modules=["sigmoid.py"])
    found = by_student(intake)
    assert sorted(found) == ["2001", "2002", "2003"]
    assert sorted(p.name for p in found["2001"].path.iterdir()) == ["sigmoid.py"]
    assert module_text(found["2001"]) == SOLUTION
    assert found["2001"].name == "lovelaceada"
    assert module_text(found["2002"]) == FORGOT_UPSTREAM
    assert module_text(found["2003"]) == SOLUTION
    assert intake.skipped == []


def test_one_zip_of_an_export_gives_the_same_students(tmp_path):
    export = gradescope_export(tmp_path / "assignment_77_export")
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(export.rglob("*")):
            handle.write(path, path.relative_to(tmp_path).as_posix())
    from_zip = by_student(ingest(archive, tmp_path / "work-a"))
    from_folder = by_student(ingest(export, tmp_path / "work-b"))
    assert sorted(from_zip) == sorted(from_folder)
    assert {k: s.digest for k, s in from_zip.items()} == {
        k: s.digest for k, s in from_folder.items()
    }
    assert from_zip["1001"].source == "download.zip!submission_102/"


def test_mixed_layouts_in_one_folder(tmp_path):
    source = gradescope_export(tmp_path / "class")
    write_files(source / "erin", {"sigmoid.py": SOLUTION})
    write_zip(source / "frank.zip", {"sigmoid.py": STUB})
    write_files(source, {"smithbob_3001_9100_sigmoid.py": SOLUTION})
    found = by_student(ingest(source, tmp_path / "work"))
    assert sorted(found) == ["1001", "1002", "3001", "alan@example.edu", "erin", "frank"]


def test_latest_of_a_folder_and_a_zip_by_modification_time(tmp_path):
    source = tmp_path / "class"
    write_files(source / "gina", {"sigmoid.py": STUB})
    write_zip(source / "gina.zip", {"sigmoid.py": SOLUTION})
    touch(source / "gina", 1_700_000_000)
    touch(source / "gina.zip", 1_700_000_500)
    intake = ingest(source, tmp_path / "work")
    assert module_text(by_student(intake)["gina"]) == SOLUTION
    assert [s.source for s in intake.superseded] == ["gina/"]
    touch(source / "gina", 1_700_001_000)
    assert module_text(by_student(ingest(source, tmp_path / "work"))["gina"]) == STUB


@pytest.mark.parametrize(
    ("entries", "symlinks", "reason"),
    [
        ({"../../evil.py": "x = 1\n", "sigmoid.py": SOLUTION}, {}, "points outside its folder"),
        ({"/tmp/evil.py": "x = 1\n"}, {}, "absolute path"),
        ({"C:/evil.py": "x = 1\n"}, {}, "absolute path"),
        ({"sub\\..\\..\\evil.py": "x = 1\n"}, {}, "points outside its folder"),
        ({"sigmoid.py": SOLUTION}, {"link.py": "/etc/passwd"}, "symbolic link"),
    ],
)
def test_unsafe_student_zip_is_skipped_and_nothing_escapes(tmp_path, entries, symlinks, reason):
    source = tmp_path / "class"
    write_zip(source / "mallory.zip", entries, symlinks=symlinks)
    write_files(source / "alice", {"sigmoid.py": SOLUTION})
    intake = ingest(source, tmp_path / "out" / "work")
    assert sorted(by_student(intake)) == ["alice"]
    [skipped] = intake.skipped
    assert skipped.source == "mallory.zip" and skipped.student == "mallory"
    assert reason in skipped.reason
    assert not list(tmp_path.rglob("evil.py"))
    assert not Path("/tmp/evil.py").exists()
    assert not (tmp_path / "out" / "work" / "mallory").exists()


def test_traversal_entry_in_the_export_zip_skips_only_that_entry(tmp_path):
    archive = write_zip(
        tmp_path / "export.zip",
        {
            "class/alice/sigmoid.py": SOLUTION,
            "class/bob/../../../evil.py": "x = 1\n",
            "class/bob/sigmoid.py": STUB,
        },
    )
    intake = ingest(archive, tmp_path / "out" / "work")
    assert sorted(by_student(intake)) == ["alice", "bob"]
    assert [s.source for s in intake.skipped] == ["export.zip!class/bob/../../../evil.py"]
    assert not list(tmp_path.rglob("evil.py"))


def test_corrupt_and_truncated_zips_are_skipped_with_a_reason(tmp_path):
    source = tmp_path / "class"
    write_files(source, {"broken.zip": b"PK\x03\x04 this is not really a zip"})
    good = write_zip(tmp_path / "good.zip", {"sigmoid.py": SOLUTION * 20})
    data = bytearray(good.read_bytes())
    data[60:90] = b"X" * 30
    (source / "damaged.zip").write_bytes(bytes(data))
    write_files(source / "alice", {"sigmoid.py": SOLUTION})
    intake = ingest(source, tmp_path / "work")
    assert sorted(by_student(intake)) == ["alice"]
    reasons = {s.student: s.reason for s in intake.skipped}
    assert sorted(reasons) == ["broken", "damaged"]
    assert "not a readable zip file" in reasons["broken"]
    assert "cannot be read" in reasons["damaged"] or "not a readable zip" in reasons["damaged"]


def test_oversized_and_overfull_zips_are_skipped(tmp_path):
    source = tmp_path / "class"
    write_zip(source / "huge.zip", {"sigmoid.py": "x" * 5000})
    write_zip(source / "many.zip", {f"f{i}.py": "" for i in range(30)})
    write_files(source / "alice", {"sigmoid.py": "y = 1\n"})
    limits = Limits(max_files=20, max_bytes=100_000, max_file_bytes=1000)
    intake = ingest(source, tmp_path / "work", limits=limits)
    assert sorted(by_student(intake)) == ["alice"]
    reasons = {s.student: s.reason for s in intake.skipped}
    assert "more than the 1000 allowed" in reasons["huge"]
    assert "30 entries, more than the 20 allowed" in reasons["many"]


def test_links_and_loose_files_in_the_class_folder_are_reported(tmp_path):
    source = tmp_path / "class"
    outside = write_files(tmp_path / "elsewhere", {"sigmoid.py": SOLUTION})
    write_files(source / "alice", {"sigmoid.py": SOLUTION})
    write_files(source / "bob", {})
    os.symlink(outside / "sigmoid.py", source / "bob" / "sigmoid.py")
    os.symlink(outside, source / "carol")
    write_files(source, {"README.txt": "grading notes"})
    intake = ingest(source, tmp_path / "work")
    assert sorted(by_student(intake)) == ["alice"]
    reasons = {s.source: s.reason for s in intake.skipped}
    assert "symbolic link" in reasons["bob/"]
    assert "symbolic link" in reasons["carol"]
    assert "move it into the student's folder" in reasons["README.txt"]


def test_bad_submissions_argument_is_a_clear_error(tmp_path):
    with pytest.raises(IngestError, match="does not exist"):
        ingest(tmp_path / "nowhere", tmp_path / "work")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(IngestError, match="neither a folder nor a zip"):
        ingest(tmp_path / "notes.txt", tmp_path / "work")


def test_reingest_rebuilds_the_work_folder(tmp_path):
    source = tmp_path / "class"
    write_files(source / "alice", {"sigmoid.py": SOLUTION})
    write_files(source / "bob", {"sigmoid.py": STUB})
    ingest(source, tmp_path / "work")
    shutil.rmtree(source / "bob")
    intake = ingest(source, tmp_path / "work")
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["alice"]
    assert sorted(by_student(intake)) == ["alice"]
    assert not list(tmp_path.glob(".work.new-*"))


def test_student_ids_that_are_not_folder_names_get_safe_folders(tmp_path):
    export = gradescope_export(tmp_path / "export")
    text = (export / "submission_metadata.yml").read_text().replace("'1002'", "'../../x y'")
    (export / "submission_metadata.yml").write_text(text)
    found = by_student(ingest(export, tmp_path / "out" / "work"))
    path = found["../../x y"].path
    assert path.parent == tmp_path / "out" / "work"
    assert path.name.startswith("x_y-")


# -- the roster -----------------------------------------------------------------------------


def test_roster_names_emails_unknown_and_missing(tmp_path):
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text(
        "\ufeffid,name,email,section\n"
        "1001,Ada King,ada@example.edu,A\n"
        "A-7,Alan Turing,Alan@Example.edu,B\n"
        "1009,Nobody Yet,,A\n"
        "\n"
    )
    roster = load_roster(roster_file)
    intake = ingest(gradescope_export(tmp_path / "export"), tmp_path / "work", roster=roster)
    found = by_student(intake)
    assert sorted(found) == ["1001", "1002", "A-7"]
    assert (found["1001"].name, found["1001"].email) == ("Ada King", "ada@example.edu")
    assert found["A-7"].name == "Alan Turing"
    assert intake.unknown == ["1002"]
    assert [e.id for e in intake.missing] == ["1009"]


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("student,name\n1,A\n", ":1:", "no 'id' column"),
        ("id,name,email\n1,A,a@x\n,B,b@x\n", ":3:", "field 'id' is empty"),
        ("id,name,email\n1,A,a@x\n2,B,b@x\n1,C,c@x\n", ":4:", "listed twice (first on line 2)"),
    ],
)
def test_roster_errors_name_the_line_and_the_fix(tmp_path, text, where, what):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(IngestError) as caught:
        load_roster(path)
    message = str(caught.value)
    assert str(path) + where in message and what in message


def test_roster_that_cannot_be_read(tmp_path):
    with pytest.raises(IngestError, match="cannot be read"):
        load_roster(tmp_path / "missing.csv")
    (tmp_path / "latin.csv").write_bytes("id,name\n1,Jos\xe9\n".encode("latin-1"))
    with pytest.raises(IngestError, match="not UTF-8"):
        load_roster(tmp_path / "latin.csv")


def test_the_sample_class_is_recognised(tmp_path):
    from batch_helpers import ROOT

    roster = load_roster(ROOT / "examples" / "roster.csv")
    intake = ingest(ROOT / "examples" / "class", tmp_path / "work", roster=roster,
                    modules=["sigmoid.py", "weight_sign.py", "centering.py", "elu.py"])
    assert len(intake.submissions) >= 30
    reasons = {s.student: s.reason for s in intake.skipped}
    assert sorted(reasons) == ["jdoe", "mallory"]
    assert "not a readable zip file" in reasons["jdoe"]
    assert "'../../outside.py' points outside its folder" in reasons["mallory"]
    assert [e.id for e in intake.missing] == ["kwong"]
    assert intake.unknown == []
    assert len(intake.superseded) == 1
    assert all(s.name for s in intake.submissions)
    sources = [s.source for s in intake.submissions]
    assert any(s.startswith("submission_") for s in sources)
    assert any(s.endswith(".zip") for s in sources)
    assert any(s.endswith("/") and not s.startswith("submission_") for s in sources)
    canvas = next(s for s in intake.submissions if s.source.startswith("lindgustav_"))
    assert sorted(p.name for p in canvas.path.iterdir()) == [
        "centering.py", "elu.py", "sigmoid.py", "weight_sign.py"
    ]


def test_the_output_folder_inside_submissions_is_not_a_student(tmp_path):
    source = tmp_path / "class"
    write_files(source / "alice", {"sigmoid.py": SOLUTION})
    out = source / "reports"
    write_files(out / "students" / "alice", {"report.html": "<html></html>"})
    intake = ingest(source, out / "work", exclude=[out])
    assert sorted(by_student(intake)) == ["alice"]
    assert intake.skipped == []
    again = ingest(source, out / "work", exclude=[out])
    assert sorted(by_student(again)) == ["alice"]
