"""The sandbox's zygote, ready before the first submission; spin-waiting on its channel;
where the children's directories are made."""

from __future__ import annotations

import os
import time

import numpy as np
import psutil

from grader.sandbox import MEMORY_TEMP, SPIN_SECONDS, Sandbox, SandboxConfig, _in_memory


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


def test_children_get_their_directory_in_memory_when_there_is_a_tmpfs(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/vda / ext4 rw 0 0\ntmpfs {tmp_path} tmpfs rw 0 0\n")
    assert _in_memory(str(tmp_path), str(mounts))
    assert not _in_memory(str(tmp_path / "missing"), str(mounts))
    (tmp_path / "disk").mkdir()
    assert not _in_memory(str(tmp_path / "disk"), str(mounts))
    expected = MEMORY_TEMP if _in_memory(MEMORY_TEMP) else None
    assert SandboxConfig().child_dir == expected
    assert SandboxConfig(temp_dir=str(tmp_path)).child_dir == str(tmp_path)


def test_a_childs_directory_is_made_where_configured_and_removed(tmp_path):
    source = tmp_path / "submission"
    source.mkdir()
    (source / "m.py").write_text("def one():\n    return 1\n")
    made = tmp_path / "children"
    made.mkdir()
    with Sandbox(SandboxConfig(temp_dir=str(made))) as sandbox:
        backend = sandbox.backend(source)
        reply = backend.request({"op": "load", "key": "m", "path": str(source / "m.py")}, 5.0)
        assert reply == {"ok": None}
        (child_dir,) = made.iterdir()
        assert child_dir.name.startswith("grader-sandbox-")
        assert (child_dir / "m.py").read_text() == (source / "m.py").read_text()
        backend.close()
        assert not any(made.iterdir())


IPC_MODULE = """\
import ctypes


def shared_memory():
    libc = ctypes.CDLL(None, use_errno=True)
    made = libc.shmget(0, 4096, 0o1000 | 0o600)
    return (made, ctypes.get_errno())
"""


def test_children_share_an_empty_network_namespace_and_cannot_use_ipc(tmp_path):
    (tmp_path / "m.py").write_text(IPC_MODULE)
    namespaces = []
    with Sandbox() as sandbox:
        for _ in range(2):
            backend = sandbox.backend(tmp_path)
            load = backend.request({"op": "load", "key": "m", "path": str(tmp_path / "m.py")}, 5)
            assert load == {"ok": None}
            reply = backend.request(
                {"op": "call", "key": "m", "fn": "shared_memory", "args": (), "kwargs": {}}, 5
            )
            assert {"network-namespace", "ipc-namespace", "seccomp"} <= set(backend.layers)
            assert reply["ok"] == (-1, 1)  # EPERM: the seccomp filter refuses System V IPC
            pid = backend._child.pid
            namespaces.append(tuple(os.readlink(f"/proc/{pid}/ns/{n}") for n in ("net", "ipc")))
            backend.close()
    own = tuple(os.readlink(f"/proc/self/ns/{n}") for n in ("net", "ipc"))
    assert namespaces[0] == namespaces[1]
    assert namespaces[0][0] != own[0] and namespaces[0][1] != own[1]


def test_without_seccomp_each_child_makes_namespaces_of_its_own(tmp_path):
    (tmp_path / "m.py").write_text(IPC_MODULE)
    namespaces = []
    with Sandbox(SandboxConfig(seccomp=False)) as sandbox:
        for _ in range(2):
            backend = sandbox.backend(tmp_path)
            backend.request({"op": "load", "key": "m", "path": str(tmp_path / "m.py")}, 5)
            assert "network-namespace" in backend.layers
            namespaces.append(os.readlink(f"/proc/{backend._child.pid}/ns/net"))
            backend.close()
    assert namespaces[0] != namespaces[1]
