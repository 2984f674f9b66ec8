"""The sandbox's zygote: ready for the first submission before it arrives."""

from __future__ import annotations

import time

import psutil

from grader.sandbox import Sandbox


def test_the_zygote_forks_its_first_spare_child_before_any_submission_asks():
    with Sandbox() as sandbox:
        sandbox.ready()
        zygote = psutil.Process(sandbox.zygote_pid)
        deadline = time.monotonic() + 10
        while not zygote.children() and time.monotonic() < deadline:
            time.sleep(0.01)
        spares = zygote.children()
        assert len(spares) == 1
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in spares)
