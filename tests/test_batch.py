"""Batch grading end to end: layouts to results, resuming after kill -9, Ctrl-C, dask, reports."""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import msgspec
import psutil
import pytest
from batch_helpers import (
    EXITS,
    FORGOT_UPSTREAM,
    LOOPS,
    ROOT,
    SLOW,
    SOLUTION,
    STUB,
    gradescope_export,
    write_files,
    write_zip,
)

from grader import load_course
from grader.batch import grade_class
from grader.cli import main
from grader.errors import GraderError
from grader.gradebook import Gradebook


def mixed_class(root: Path) -> Path:
    """Every layout at once, plus a stub, a wrong answer, a process killer and an unsafe zip."""
    gradescope_export(root)
    write_files(root / "good", {"sigmoid.py": SOLUTION})
    write_files(root / "stub", {"sigmoid.py": STUB})
    write_files(root / "wrong", {"sigmoid.py": FORGOT_UPSTREAM})
    write_files(root / "exits", {"sigmoid.py": EXITS})
    write_files(root / "empty", {"README.md": "I ran out of time"})
    write_zip(root / "zipped.zip", {"zipped/sigmoid.py": SOLUTION})
    write_zip(root / "mallory.zip", {"../../../evil.py": "x = 1\n", "sigmoid.py": SOLUTION})
    write_files(root, {"smithbob_3001_9100_sigmoid-1.py": SOLUTION})
    return root


def stored(out: Path) -> list[tuple]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return db.execute(
            "SELECT student, exercise, submission_hash, graded_at, result FROM results "
            "ORDER BY student, exercise"
        ).fetchall()


def results(course, out: Path):
    with Gradebook(out / "gradebook.sqlite") as book:
        return {r.student: r for r in book.results(course)}


def without_durations(value):
    if isinstance(value, dict):
        return {k: without_durations(v) for k, v in value.items() if k != "duration"}
    if isinstance(value, list):
        return [without_durations(v) for v in value]
    return value


def test_a_mixed_class_is_graded_into_results_csv_and_reports(course, tmp_path):
    source = mixed_class(tmp_path / "class")
    out = tmp_path / "out"
    run = grade_class(course, source, out, exercises=["sigmoid"], jobs=2)
    graded = results(course, out)
    expected = {"1001", "1002", "alan@example.edu", "good", "stub", "wrong", "exits", "empty",
                "zipped", "3001"}
    assert set(graded) == expected == set(run.graded)
    full = course.exercise("sigmoid").points
    for student in ("1001", "good", "zipped", "3001"):
        assert graded[student].points == full, student
    [stub] = graded["stub"].exercises
    assert stub.points == 0 and all(c.not_implemented for c in stub.checks)
    assert "not implemented yet" in stub.message
    [wrong] = graded["wrong"].exercises
    assert 0 < wrong.points < full
    assert any("forgot_upstream" in c.mistakes for c in wrong.checks)
    assert graded["1002"].points == graded["alan@example.edu"].points == wrong.points
    [exits] = graded["exits"].exercises
    assert exits.points == 0 and {c.status for c in exits.checks} == {"crashed"}
    [empty] = graded["empty"].exercises
    assert empty.points == 0 and "sigmoid.py is missing" in empty.message
    assert [(s.source, s.student) for s in run.intake.skipped] == [("mallory.zip", "mallory")]
    assert not list(tmp_path.rglob("evil.py"))
    rows = list(csv.DictReader((out / "gradebook.csv").open(newline="")))
    assert {r["ID"] for r in rows[1:]} == expected | {"mallory"}
    assert run.summary is not None and run.summary.is_file()
    assert all((out / "students").glob("*/report.html"))


def test_rerun_skips_unchanged_work_and_regrade_forces_it(course, tmp_path):
    source = tmp_path / "class"
    for name in ("a", "b", "c"):
        write_files(source / name, {"sigmoid.py": SOLUTION})
    out = tmp_path / "out"
    first = grade_class(course, source, out, exercises=["sigmoid"], jobs=2, reports=False)
    assert sorted(first.graded) == ["a", "b", "c"]
    rows = stored(out)
    again = grade_class(course, source, out, exercises=["sigmoid"], jobs=2, reports=False)
    assert again.graded == [] and again.unchanged == 3
    assert stored(out) == rows
    (source / "b" / "sigmoid.py").write_text(FORGOT_UPSTREAM)
    changed = grade_class(course, source, out, exercises=["sigmoid"], jobs=2, reports=False)
    assert changed.graded == ["b"] and changed.unchanged == 2
    assert results(course, out)["b"].points < results(course, out)["a"].points
    forced = grade_class(
        course, source, out, exercises=["sigmoid"], jobs=2, regrade=True, reports=False
    )
    assert sorted(forced.graded) == ["a", "b", "c"]
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        current = db.execute(
            "SELECT COUNT(*) FROM results r JOIN students s USING (student, submission_hash)"
        ).fetchone()
    assert current == (3,)


def test_a_submission_that_runs_forever_is_stopped_and_the_rest_graded(course, tmp_path):
    source = tmp_path / "class"
    write_files(source / "loops", {"sigmoid.py": LOOPS})
    write_files(source / "good", {"sigmoid.py": SOLUTION})
    out = tmp_path / "out"
    grade_class(course, source, out, exercises=["sigmoid"], jobs=1, time_limit=3, reports=False)
    graded = results(course, out)
    assert graded["good"].points == course.exercise("sigmoid").points
    assert graded["loops"].points == 0
    assert {c.status for c in graded["loops"].exercises[0].checks} == {"timeout"}


def test_a_broken_course_stops_the_batch_with_its_message(course, tmp_path):
    copy = tmp_path / "course"
    shutil.copytree(course.root, copy, ignore=shutil.ignore_patterns(".git", "tests", "examples"))
    hidden = copy / "solutions" / "sigmoid" / "test_sigmoid_hidden.py"
    hidden.write_text("import module_that_does_not_exist\n" + hidden.read_text())
    source = write_files(tmp_path / "class" / "a", {"sigmoid.py": SOLUTION}).parent
    with pytest.raises(GraderError, match="does not import"):
        grade_class(load_course(copy), source, tmp_path / "out", exercises=["sigmoid"], jobs=1)
    assert stored(tmp_path / "out") == []


def slow_class(root: Path, count: int) -> Path:
    for index in range(count):
        write_files(root / f"s{index:02d}", {"sigmoid.py": SLOW.format(seconds=0.3)})
    return root


def grade_command(source: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "grader.cli", "--course", str(ROOT), "grade", str(source),
            "-o", str(out), "-e", "sigmoid", "-j", "2"]


def wait_for_results(process: subprocess.Popen, out: Path, count: int) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if (out / "gradebook.sqlite").exists():
            try:
                if len(stored(out)) >= count:
                    return
            except sqlite3.OperationalError:
                pass
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} results appeared (exit status {process.poll()})")


def workers_of(process: subprocess.Popen) -> list[psutil.Process]:
    return psutil.Process(process.pid).children(recursive=True)


@pytest.mark.slow
def test_kill_9_in_the_middle_then_rerun_loses_and_duplicates_nothing(tmp_path):
    total = 24
    source = slow_class(tmp_path / "class", total)
    out = tmp_path / "out"
    process = subprocess.Popen(grade_command(source, out), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    wait_for_results(process, out, 3)
    workers = workers_of(process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = stored(out)
    assert 3 <= len(before) < total
    _gone, alive = psutil.wait_procs(workers, timeout=60)
    assert alive == []
    finished = subprocess.run(grade_command(source, out), capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert f"{len(before)} unchanged since the last run" in finished.stdout
    after = stored(out)
    assert len(after) == total
    assert len({(row[0], row[1]) for row in after}) == total
    assert set(before) <= set(after)
    assert len(list(out.glob("students/*/report.html"))) == total


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_keeps_what_finished(tmp_path):
    # Long enough that a loaded machine cannot finish the class before the signal arrives.
    total = 60
    source = slow_class(tmp_path / "class", total)
    out = tmp_path / "out"
    process = subprocess.Popen(grade_command(source, out), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    wait_for_results(process, out, 2)
    workers = workers_of(process)
    process.send_signal(signal.SIGINT)
    _stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert "run the same command again to grade the rest" in stderr
    kept = stored(out)
    assert 2 <= len(kept) < total
    _gone, alive = psutil.wait_procs(workers, timeout=60)
    assert alive == []
    rows = list(csv.DictReader((out / "gradebook.csv").open(newline="")))
    assert sum(1 for r in rows[1:] if r["sigmoid"]) == len(kept)


@pytest.mark.slow
def test_dask_cluster_gives_the_same_results_as_local_workers(course, tmp_path):
    distributed = pytest.importorskip("distributed")
    source = mixed_class(tmp_path / "class")
    local = tmp_path / "local"
    grade_class(course, source, local, exercises=["sigmoid"], jobs=2, reports=False)
    remote = tmp_path / "dask"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        run = grade_class(
            course, source, remote, exercises=["sigmoid"], scheduler=cluster.scheduler_address,
            reports=False,
        )
    assert len(run.graded) == 10
    on_pool = {
        k: without_durations(msgspec.to_builtins(v))
        for k, v in results(course, local).items()
    }
    on_dask = {
        k: without_durations(msgspec.to_builtins(v))
        for k, v in results(course, remote).items()
    }
    assert on_dask == on_pool
    assert (remote / "gradebook.csv").read_text() == (local / "gradebook.csv").read_text()


def test_unreachable_scheduler_is_a_clear_error(course, tmp_path, capsys):
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    source = write_files(tmp_path / "class" / "a", {"sigmoid.py": SOLUTION}).parent
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        code = main(["--course", str(ROOT), "grade", str(source), "-o", str(tmp_path / "out"),
                     "-e", "sigmoid", "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 2
    assert "cannot reach the dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err


def test_report_rerenders_everything_from_the_gradebook_without_grading(course, tmp_path):
    source = tmp_path / "class"
    write_files(source / "a", {"sigmoid.py": SOLUTION})
    write_files(source / "b", {"sigmoid.py": FORGOT_UPSTREAM})
    out = tmp_path / "out"
    grade_class(course, source, out, exercises=["sigmoid"], jobs=2)
    rows = stored(out)
    for path in [out / "summary.html", out / "gradebook.csv", *out.glob("students/*/report.*")]:
        path.unlink()
    shutil.rmtree(source)
    assert main(["report", str(out)]) == 0
    assert stored(out) == rows
    assert (out / "summary.html").is_file() and (out / "gradebook.csv").is_file()
    assert len(list(out.glob("students/*/report.html"))) == 2
    assert len(list(out.glob("students/*/report.md"))) == 2


def test_report_without_a_gradebook_says_what_to_do(tmp_path, capsys):
    assert main(["--course", str(ROOT), "report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "there is no gradebook here" in err and "grader grade SUBMISSIONS" in err


def test_grade_command_reports_bad_input_without_a_traceback(tmp_path, capsys):
    assert main(["--course", str(ROOT), "grade", str(tmp_path / "nowhere"), "-o",
                 str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\n1,A\n1,B\n")
    write_files(tmp_path / "class" / "a", {"sigmoid.py": SOLUTION})
    assert main(["--course", str(ROOT), "grade", str(tmp_path / "class"), "-o",
                 str(tmp_path / "out"), "--roster", str(roster)]) == 2
    assert f"{roster}:3: field 'id'" in capsys.readouterr().err


def test_grade_command_prints_where_to_look(tmp_path, capsys):
    write_files(tmp_path / "class" / "a", {"sigmoid.py": SOLUTION})
    write_zip(tmp_path / "class" / "bad.zip", {"/etc/evil": "x"})
    out = tmp_path / "out"
    code = main(["--course", str(ROOT), "grade", str(tmp_path / "class"), "-o", str(out),
                 "-e", "sigmoid", "-j", "1"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "graded 1 submission(s)" in printed
    assert "skipped bad.zip: entry '/etc/evil' has an absolute path" in printed
    assert f"open {out / 'summary.html'} in a browser" in printed


def test_no_worker_is_left_behind(course, tmp_path):
    source = tmp_path / "class"
    write_files(source / "a", {"sigmoid.py": SOLUTION})
    before = {p.pid for p in psutil.Process(os.getpid()).children(recursive=True)}
    grade_class(course, source, tmp_path / "out", exercises=["sigmoid"], jobs=2, reports=False)
    after = {p.pid for p in psutil.Process(os.getpid()).children(recursive=True)}
    assert after <= before


def test_workers_are_replaced_after_a_set_number_of_submissions(course, tmp_path):
    from grader.pool import run_pool
    from grader.submission import Submission

    folders = [write_files(tmp_path / f"s{i}", {"sigmoid.py": SOLUTION}) for i in range(5)]
    got = []
    run_pool(
        course, [Submission(f.name, f) for f in folders], exercises=["sigmoid"], jobs=1,
        on_result=got.append, log_dir=tmp_path / "logs", recycle_after=2,
    )
    assert sorted(r.student for r in got) == ["s0", "s1", "s2", "s3", "s4"]
    assert len(list((tmp_path / "logs").glob("worker-*.log"))) == 3


def test_pinning_gives_each_worker_a_core_of_its_own_when_they_do_not_spin(monkeypatch):
    from grader.pool import pinned_cores

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert pinned_cores(1, 1) == []  # one job spin-waits on two cores of its own
    assert pinned_cores(2, 2) == []  # so do two on four cores
    assert pinned_cores(3, 3) == [0, 1, 2, 3]
    assert pinned_cores(4, 4) == [0, 1, 2, 3]
    assert pinned_cores(5, 5) == []  # more workers than cores
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {2, 5})
    assert pinned_cores(2, 2) == [2, 5]


def test_as_many_workers_as_cores_and_their_sandboxes_keep_to_one_core_each(course, tmp_path):
    from grader.pool import pinned_cores, run_pool
    from grader.submission import Submission

    jobs = len(os.sched_getaffinity(0))
    cores = pinned_cores(jobs, jobs)
    assert cores == ([] if jobs == 1 else sorted(os.sched_getaffinity(0)))
    folders = [
        write_files(tmp_path / f"s{i}", {"sigmoid.py": SLOW.format(seconds=0.5)})
        for i in range(2 * jobs)
    ]
    seen: dict[int, set[int]] = {}
    done = False

    def watch() -> None:
        # a worker pins itself once it has read its core; what it starts is pinned from birth
        while not done:
            for process in psutil.Process(os.getpid()).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    affinity = process.cpu_affinity()
                    workers = [p for p in process.parents() if "grader.pool" in p.cmdline()]
                    if workers:
                        seen.setdefault(workers[0].pid, set()).update(affinity)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    got = []
    try:
        run_pool(
            course, [Submission(f.name, f) for f in folders], exercises=["sigmoid"], jobs=jobs,
            on_result=got.append,
        )
    finally:
        done = True
        watcher.join()
    assert sorted(r.student for r in got) == sorted(f.name for f in folders)
    assert len(seen) == jobs  # the sandboxes of every worker were seen
    if jobs == 1:
        assert seen.popitem()[1] == os.sched_getaffinity(0)
    else:
        assert sorted(len(c) for c in seen.values()) == [1] * jobs
        assert set().union(*seen.values()) == set(cores)
