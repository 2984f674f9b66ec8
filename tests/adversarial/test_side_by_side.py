"""Hostile submissions get the same results with checks side by side as one by one."""

from __future__ import annotations

import pytest
from hostile import prepare, with_limits

from grader.grading import grade_submissions
from grader.sandbox import SandboxLimits
from grader.submission import Submission

ATTACKS = [
    "infinite_loop",
    "loop_ignoring_signals",
    "exit_process",
    "ctypes_segfault",
    "memory_bomb",
    "forged_reply_frame",
    "stdout_flood",
    "probe_detector",
    "batch_probe_detector",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_side_by_side_grading_gives_the_results_of_one_by_one(course, sandbox, tmp_path, attack):
    # a budget far away: which check reaches it depends on the machine's speed
    short = with_limits(course, call_timeout=0.6, submission_timeout=60.0)
    folder = prepare(attack, tmp_path)

    def outcomes(side_by_side: bool) -> list[tuple[str, str, str]]:
        result = grade_submissions(
            short,
            [Submission("attacker", folder)],
            exercises=["sigmoid"],
            backend_factory=sandbox.factory(SandboxLimits.of(short)),
            side_by_side=side_by_side,
        )[0]
        return [(c.name, c.status, c.message) for e in result.exercises for c in e.checks]

    side_by_side = outcomes(True)
    assert side_by_side == outcomes(False)
    assert side_by_side
