"""Checks side by side: their requests share round trips, each gets its own answer."""

from __future__ import annotations

import textwrap
from pathlib import Path

import msgspec
import numpy as np
import pytest

from grader.course import load_course
from grader.errors import StudentCrashed, StudentRaised, StudentTimeout
from grader.grading import grade_submissions
from grader.interleave import Interleaved
from grader.sandbox import SandboxLimits
from grader.student import TIMEOUTS_PER_FUNCTION, RequestAgain, StudentModule
from grader.submission import Submission

ROOT = Path(__file__).resolve().parents[1]


class Recording:
    """A pipelined backend that doubles numbers; *broken* batches go unanswered."""

    layers = ("fake",)

    def __init__(self, unanswered: int = 0, hanging: str = "") -> None:
        self.batches: list[list[dict]] = []
        self.alone: list[dict] = []
        self.unanswered = unanswered
        self.hanging = hanging

    def _reply(self, message: dict):
        if message["op"] == "load":
            return {"ok": None}
        if message["fn"] == self.hanging:
            return StudentTimeout(f"{self.hanging} hung")
        if message["fn"] == "fails":
            return {
                "fault": "raised",
                "message": "no",
                "exc_type": "ValueError",
                "not_implemented": False,
            }
        return {"ok": 2 * message["args"][0]}

    def request(self, message: dict, timeout: float) -> dict:
        self.alone.append(message)
        reply = self._reply(message)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def request_each(self, messages, timeouts):
        """As the sandbox does: a hang ends the batch; the requests after it are
        to be asked again."""
        self.batches.append(list(messages))
        if self.unanswered and len(messages) > 1:
            self.unanswered -= 1
            return [None] * len(messages)
        outcomes = []
        for index, message in enumerate(messages):
            reply = self._reply(message)
            outcomes.append(reply)
            if isinstance(reply, StudentTimeout):
                return outcomes + [RequestAgain() for _ in messages[index + 1 :]]
        return outcomes

    def close(self) -> None:
        pass

    def output(self) -> str:
        return ""


def modules(backend, tmp_path, count):
    base = StudentModule("m", tmp_path / "m.py", ("double", "fails", "hangs"), backend)
    return [base.view() for _ in range(count)]


def test_checks_share_one_round_trip_per_step_and_get_their_own_answers(tmp_path):
    fake = Recording()
    interleaved = Interleaved(fake)
    views = modules(interleaved, tmp_path, 3)
    got: dict[int, list[int]] = {}

    def check(index: int, calls: int):
        def run() -> None:
            got[index] = [views[index].double(10 * index + step) for step in range(calls)]

        return run

    interleaved.run([check(0, 1), check(1, 3), check(2, 2)])
    assert got == {0: [0], 1: [20, 22, 24], 2: [40, 42]}
    # one import for all three views, then one batch per step, in the checks' order
    assert [[m["op"] for m in batch] for batch in fake.batches] == [
        ["load"],
        ["call"] * 3,
        ["call"] * 2,
        ["call"],
    ]
    assert [m["args"][0] for m in fake.batches[1]] == [0, 10, 20]
    assert fake.alone == []


def test_a_fault_is_raised_only_in_the_check_that_asked(tmp_path):
    fake = Recording()
    interleaved = Interleaved(fake)
    first, second = modules(interleaved, tmp_path, 2)
    seen: list[object] = []

    def failing() -> None:
        with pytest.raises(StudentRaised, match="no"):
            first.fails(1)
        seen.append("raised")

    def fine() -> None:
        seen.append(second.double(4))

    interleaved.run([failing, fine])
    assert seen == ["raised", 8]
    assert len(fake.batches[1]) == 2


def test_unanswered_requests_are_asked_again_and_the_rest_runs_check_by_check(tmp_path):
    fake = Recording(unanswered=1)
    interleaved = Interleaved(fake)
    first, second = modules(interleaved, tmp_path, 2)
    got: list[int] = []

    def check(module: StudentModule, start: int):
        def run() -> None:
            got.extend(module.double(start + step) for step in range(2))

        return run

    first.ensure_loaded()
    interleaved.run([check(first, 1), check(second, 100)])
    assert got == [2, 4, 200, 202]
    # the broken batch, then every request alone: first's two calls, then second's
    assert len(fake.batches) == 1
    assert [m["args"][0] for m in fake.alone if m["op"] == "call"] == [1, 2, 100, 101]


def test_a_hanging_function_is_given_up_after_the_usual_number_of_timeouts(tmp_path):
    fake = Recording(hanging="hangs")
    interleaved = Interleaved(fake)
    views = modules(interleaved, tmp_path, 4)
    messages: list[str] = []

    def check(module: StudentModule):
        def run() -> None:
            with pytest.raises(StudentTimeout) as caught:
                module.hangs(1)
            messages.append(str(caught.value))

        return run

    interleaved.run([check(module) for module in views])
    assert messages[:TIMEOUTS_PER_FUNCTION] == ["hangs hung"] * TIMEOUTS_PER_FUNCTION
    assert all("not called again" in m for m in messages[TIMEOUTS_PER_FUNCTION:])
    assert len(messages) == 4
    # each hang ended its batch; the checks after it asked again, still batched
    assert [len(batch) for batch in fake.batches] == [1, 4, 3]
    assert fake.alone == []


def test_an_interrupt_in_a_check_stops_them_all(tmp_path):
    fake = Recording()
    interleaved = Interleaved(fake)
    first, second = modules(interleaved, tmp_path, 2)
    after: list[int] = []

    def interrupted() -> None:
        first.double(1)
        raise KeyboardInterrupt

    def other() -> None:
        second.double(1)
        after.append(second.double(2))

    with pytest.raises(KeyboardInterrupt):
        interleaved.run([interrupted, other])
    assert after == []
    # outside run, requests go straight to the backend
    assert first.double(3) == 6
    assert fake.alone[-1]["args"] == (3,)


def test_each_check_keeps_its_own_records_and_numpy_state(tmp_path):
    fake = Recording()
    interleaved = Interleaved(fake)
    first, second = modules(interleaved, tmp_path, 2)
    states: list[str] = []

    def quiet() -> None:
        with np.errstate(divide="ignore"):
            first.double(1)
            states.append(np.geterr()["divide"])

    def loud() -> None:
        second.double(2)
        second.double(3)
        states.append(np.geterr()["divide"])

    with np.errstate(divide="raise"):
        interleaved.run([quiet, loud])
    assert states == ["ignore", "raise"]
    assert [r.args for r in first.records] == [(1,)]
    assert [r.args for r in second.records] == [(2,), (3,)]


HANGS = """
import os, time
def double(x):
    return 2 * x
def slow(x):
    time.sleep(0.2)
    return x
def hangs(x):
    while True:
        pass
def dies(x):
    os._exit(3)
"""


def test_the_sandbox_answers_a_batch_as_it_answers_requests_one_by_one(sandbox, tmp_path):
    (tmp_path / "m.py").write_text(HANGS)
    backend = sandbox.backend(tmp_path, SandboxLimits(call_timeout=1.0))

    def call(fn: str, x: int) -> dict:
        return {"op": "call", "key": "m", "fn": fn, "args": (x,), "kwargs": {}}

    try:
        load = {"op": "load", "key": "m", "path": str(tmp_path / "m.py")}
        calls = [call("double", n) for n in range(5)]
        batch = backend.request_each([load, *calls], [1.0] * 6)
        alone = [backend.request(message, 1.0) for message in calls]
        assert batch == [{"ok": None}, *alone]
        assert [reply["ok"] for reply in alone] == [0, 2, 4, 6, 8]
        # a request that has run for FLUSH_AFTER is named by the child: if it hangs,
        # it gets the timeout, the replies before it arrive and the requests after it
        # are to be asked again
        hung = backend.request_each([calls[1], call("hangs", 1), calls[2]], [1.0, 0.5, 1.0])
        assert hung[0] == {"ok": 2}
        assert isinstance(hung[1], StudentTimeout)
        assert "hangs() did not finish within 0.5 s" in str(hung[1])
        assert isinstance(hung[2], RequestAgain)
        first = backend.request_each([call("hangs", 1), calls[2]], [0.5, 1.0])
        assert isinstance(first[0], StudentTimeout)
        assert isinstance(first[1], RequestAgain)
        # a request named while it ran, then answered, is not blamed for the next
        ended = backend.request_each([call("slow", 8), call("dies", 1)], [1.0, 1.0])
        assert ended[0] == {"ok": 8}
        assert isinstance(ended[1], StudentCrashed)
        assert "exited (status 3)" in str(ended[1])
        # a child that dies at once, with a request after it: which of the two was
        # to blame is not known, and neither is answered
        unknown = backend.request_each([call("slow", 8), call("dies", 1), calls[3]], [1.0] * 3)
        assert unknown == [{"ok": 8}, None, None]
        # a fresh child, with the module imported again, answers the next request
        assert backend.request(calls[4], 1.0) == {"ok": 8}
    finally:
        backend.close()


def test_grading_side_by_side_gives_the_results_of_grading_check_by_check(course):
    chosen = [
        "amehta",
        "cwei",
        "dlevi",
        "hmartin",
        "jpark",
        "npetrova",
        "saziz",
        "vkowalski",
        "wli",
    ]
    submissions = [Submission(name, ROOT / "examples" / "class" / name) for name in chosen]

    def results(side_by_side: bool) -> list[dict]:
        graded = grade_submissions(course, submissions, side_by_side=side_by_side)
        found = []
        for result in graded:
            data = msgspec.to_builtins(result)
            data.pop("duration")
            for exercise in data["exercises"]:
                for check in exercise["checks"]:
                    check.pop("duration")
            found.append(data)
        return found

    side_by_side = results(True)
    assert side_by_side == results(False)
    statuses = {c["status"] for r in side_by_side for e in r["exercises"] for c in e["checks"]}
    assert {"passed", "failed", "error", "crashed"} <= statuses


def test_a_submission_that_hangs_is_graded_as_check_by_check(course_copy, tmp_path):
    settings = course_copy / "course.yml"
    text = settings.read_text()
    if "call_timeout: 5 " not in text:
        raise AssertionError("course.yml no longer sets call_timeout: 5; update this test")
    settings.write_text(text.replace("call_timeout: 5 ", "call_timeout: 1 "))
    course = load_course(course_copy)
    folder = tmp_path / "hangs"
    folder.mkdir()
    for name in ("sigmoid.py", "weight_sign.py", "centering.py", "elu.py"):
        (folder / name).write_text((ROOT / "solutions" / name[:-3] / name).read_text())
    sigmoid = (folder / "sigmoid.py").read_text()
    (folder / "sigmoid.py").write_text(
        sigmoid
        + textwrap.dedent("""
        _forward = sigmoid
        def sigmoid(x):
            if getattr(x, "size", 0) > 50:
                while True:
                    pass
            return _forward(x)
        """)
    )
    submission = [Submission("hangs", folder)]
    one = grade_submissions(course, submission, exercises=["sigmoid"], side_by_side=True)[0]
    other = grade_submissions(course, submission, exercises=["sigmoid"], side_by_side=False)[0]
    statuses = [(c.name, c.status, c.message) for c in one.exercises[0].checks]
    assert statuses == [(c.name, c.status, c.message) for c in other.exercises[0].checks]
    assert [name for name, status, _ in statuses if status == "timeout"] == [
        "derivative_bounded",
        "forward_matches_reference",
    ]
    assert any(status == "passed" for _, status, _ in statuses)
