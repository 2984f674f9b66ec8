"""The sandbox's zygote, ready before the first submission; spin-waiting on its channel."""

from __future__ import annotations

import os
import time

import numpy as np
import psutil

from grader.sandbox import SPIN_SECONDS, Sandbox, SandboxConfig


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


def test_only_a_job_with_two_cores_to_itself_spin_waits(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert SandboxConfig.for_jobs(1).spin == SPIN_SECONDS
    assert SandboxConfig.for_jobs(2).spin == SPIN_SECONDS
    assert SandboxConfig.for_jobs(3).spin == 0.0
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert SandboxConfig.for_jobs(1).spin == 0.0


def test_a_spin_waiting_child_answers_and_its_output_is_kept(tmp_path):
    (tmp_path / "m.py").write_text(
        "def twice(x):\n    print('called with', x.shape)\n    return 2 * x\n"
    )
    with Sandbox(SandboxConfig(spin=SPIN_SECONDS)) as sandbox:
        backend = sandbox.backend(tmp_path)
        load = backend.request({"op": "load", "key": "m", "path": str(tmp_path / "m.py")}, 5.0)
        assert load == {"ok": None}
        for n in range(1, 50):
            x = np.arange(float(n))
            reply = backend.request(
                {"op": "call", "key": "m", "fn": "twice", "args": (x,), "kwargs": {}}, 5.0
            )
            np.testing.assert_array_equal(reply["ok"], 2 * x)
        output = backend.output()
        backend.close()
    assert output.splitlines() == [f"called with ({n},)" for n in range(1, 50)]
