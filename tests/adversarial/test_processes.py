"""Attacks on the process: ending it, exceptions that are not Exceptions, endless
loops, memory and fork bombs, floods of output, signals, segfaults and threads."""

from __future__ import annotations

from hostile import grade_hostile, prepare, with_limits

from grader.grading import grade_submissions
from grader.sandbox import SandboxLimits
from grader.submission import Submission

SHORT = {"call_timeout": 1.0, "submission_timeout": 5.0}


def test_os_exit_and_abort_end_each_check_as_crashed(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("exit_process", tmp_path))
    assert set(outcome.statuses().values()) == {"crashed"}
    messages = " ".join(c.message for c in outcome.checks.values())
    assert "exited (status 0)" in messages
    assert "exited (status 17)" in messages
    assert "was killed by SIG" in outcome.checks["zero_upstream"].message


def test_exiting_while_imported_crashes_every_check(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("exit_at_import", tmp_path))
    assert set(outcome.statuses().values()) == {"crashed"}
    assert "importing sigmoid.py" in outcome.checks["forward_known_values"].message


def test_base_exceptions_become_errors_and_grading_goes_on(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("base_exceptions", tmp_path))
    assert set(outcome.statuses().values()) == {"error"}
    messages = " ".join(c.message for c in outcome.checks.values())
    for name in ("SystemExit", "KeyboardInterrupt", "GeneratorExit", "Escape"):
        assert name in messages


def test_a_function_that_never_returns_is_given_up_after_two_timeouts(course, sandbox, tmp_path):
    short = with_limits(course, **SHORT)
    outcome = grade_hostile(short, sandbox, prepare("infinite_loop", tmp_path))
    assert set(outcome.statuses().values()) == {"timeout"}
    messages = [c.message for c in outcome.checks.values()]
    assert any("did not finish within 1 s" in m for m in messages)
    assert any("sigmoid did not finish in time in 2 earlier checks" in m for m in messages)
    assert any("sigmoid_backward did not finish in time in 2 earlier checks" in m for m in messages)
    # Two timeouts of 1 s for each of the two functions, not one for every check.
    assert outcome.attack.duration < 4 * 1.0 + 2.0


def test_an_endless_loop_stops_at_the_submission_budget(course, sandbox, tmp_path):
    short = with_limits(course, call_timeout=1.0, submission_timeout=2.5)
    outcome = grade_hostile(short, sandbox, prepare("infinite_loop", tmp_path))
    assert set(outcome.statuses().values()) == {"timeout"}
    assert any("used up its 2.5 s" in c.message for c in outcome.checks.values())


def test_a_loop_that_ignores_signals_is_stopped_all_the_same(course, sandbox, tmp_path):
    short = with_limits(course, **SHORT)
    outcome = grade_hostile(short, sandbox, prepare("loop_ignoring_signals", tmp_path))
    assert set(outcome.statuses().values()) == {"timeout"}


def test_a_memory_bomb_ends_as_out_of_memory(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("memory_bomb", tmp_path))
    assert set(outcome.statuses().values()) == {"oom"}
    assert "MemoryError" in outcome.checks["forward_known_values"].message
    assert "MemoryError" in outcome.checks["zero_upstream"].message


def test_a_fork_bomb_cannot_fork(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("fork_bomb", tmp_path), twin="zeros")
    assert outcome.statuses()["forward_known_values"] == "failed"


def test_gigabytes_of_output_are_capped_and_counted(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("stdout_flood", tmp_path), twin="correct")
    stdout = outcome.attack.stdout
    assert stdout.startswith("spam\n")
    kept, _, note = stdout.partition("\n[... ")
    assert len(kept.encode()) <= 64 * 1024
    dropped = int(note.split(" ", 1)[0])
    assert dropped >= 2**30 - 64 * 1024
    assert outcome.attack.points == outcome.attack.max_points


def test_endless_output_times_out_and_is_capped(course, sandbox, tmp_path):
    short = with_limits(course, **SHORT)
    outcome = grade_hostile(short, sandbox, prepare("endless_output", tmp_path))
    assert set(outcome.statuses().values()) == {"timeout"}
    assert "more bytes of output not kept" in outcome.attack.stdout


def test_signals_cannot_reach_the_grader_or_the_zygote(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("kill_parent", tmp_path), twin="zeros")
    assert outcome.statuses()["forward_known_values"] == "failed"


def test_a_segfault_is_a_crash_of_that_check_only(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("ctypes_segfault", tmp_path))
    assert set(outcome.statuses().values()) == {"crashed"}
    assert "SIGSEGV" in outcome.checks["forward_known_values"].message


def test_a_thread_cannot_outlive_its_call(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("lingering_thread", tmp_path), twin="zeros")
    assert "thread alive" not in outcome.attack.stdout
    assert outcome.statuses()["forward_known_values"] != "passed"


def test_checks_of_the_other_functions_still_earn_their_points(course, sandbox, tmp_path):
    folder = tmp_path / "slow_forward"
    folder.mkdir()
    (folder / "sigmoid.py").write_text(
        "import numpy as np\n\n\n"
        "def sigmoid(x):\n    while True:\n        pass\n\n\n"
        "def sigmoid_backward(dout, x):\n"
        "    z = np.exp(-np.abs(x))\n"
        "    s = np.where(x >= 0, 1 / (1 + z), z / (1 + z))\n"
        "    return dout * s * (1 - s)\n"
    )
    short = with_limits(course, **SHORT)
    (result,) = grade_submissions(
        short,
        [Submission("slow", folder)],
        exercises=["sigmoid"],
        backend_factory=sandbox.factory(SandboxLimits.of(short)),
    )
    statuses = {c.name: c.status for e in result.exercises for c in e.checks}
    assert statuses["forward_known_values"] == "timeout"
    for name in ("zero_upstream", "saturation", "backward_matches_reference"):
        assert statuses[name] == "passed", (name, statuses)
