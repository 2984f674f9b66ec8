"""Attacks on what crosses between the child and the grader: forged frames, a pickle,
a reply that would decode without bound, the memory of other processes, and the network."""

from __future__ import annotations

import socket

from hostile import grade_hostile, prepare


def test_forged_reply_frames_stop_the_child_and_earn_nothing(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("forged_reply_frame", tmp_path), twin="zeros")
    assert outcome.statuses()["forward_known_values"] in ("crashed", "failed")
    assert outcome.statuses()["saturation"] != "passed" or "saturation" in outcome.deserved()


def test_a_pickle_on_the_channel_is_never_unpickled(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("pickle_payload", tmp_path), twin="zeros")
    assert not (tmp_path / "pwned").exists()
    assert set(outcome.statuses().values()) == {"crashed"}
    assert "grader's channel" in outcome.checks["forward_known_values"].message


def test_a_reply_that_refers_to_one_array_a_million_times_is_refused(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("reference_bomb", tmp_path), twin="zeros")
    assert set(outcome.statuses().values()) == {"crashed"}
    assert "not accepted here" in outcome.checks["forward_known_values"].message


def test_other_processes_memory_is_out_of_reach(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("read_parent_memory", tmp_path), twin="zeros")
    assert "[]" in outcome.attack.stdout


def test_no_connection_leaves_the_sandbox(course, sandbox, tmp_path):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    name = f"grader-adversarial-{tmp_path.name}"
    abstract.bind("\0" + name)
    abstract.listen(8)
    abstract.setblocking(False)
    port = listener.getsockname()[1]
    folder = prepare("network", tmp_path, port=port, abstract=name)
    try:
        outcome = grade_hostile(course, sandbox, folder, twin="correct")
        for server in (listener, abstract):
            try:
                connection, _ = server.accept()
            except BlockingIOError:
                connection = None
            assert connection is None, "a connection from the sandbox arrived"
    finally:
        listener.close()
        abstract.close()
    assert "sent" not in outcome.attack.stdout
    assert "dns: resolved" not in outcome.attack.stdout
