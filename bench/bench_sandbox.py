"""The sandbox's cost: a submission's start-up from a warm zygote, and one call's round trip.

Run: python bench/bench_sandbox.py [--submissions N] [--calls N] [--write]

Measured in one run, interleaved with baselines so that machine noise hits all alike:

* per submission: a new :class:`~grader.sandbox_backend.SandboxBackend`, its child
  started (forked by the pre-warmed zygote, every layer applied), the student's
  ``sigmoid.py`` imported, and a first call answered; then the child is closed
  (killed, reaped, its directory removed), timed separately. Baselines: the same
  import and first call in this process (``InProcessBackend``, no isolation), and a
  bare ``os.fork()`` + ``waitpid`` of this process (the floor of any child process);
* per call: one request ``sigmoid_backward(dout, x)`` on 20x20 float64 arrays, encoded,
  sent to the child, answered, decoded and checked. The sandbox is configured as for
  one grading job (``SandboxConfig.for_jobs(1)``, as ``grader check`` runs): on a machine
  with two cores or more, both sides spin-wait for each other. The same request is also
  timed with a sandbox whose two sides sleep while they wait (as batch workers do when
  they keep every core busy). Baselines: the same request to an in-process backend
  (encoding and decoding, no process boundary) and the function called directly.

The figures are medians; the ratios divide by a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
from results import write_section

from grader.sandbox import Sandbox, SandboxConfig, SandboxLimits
from grader.student import Backend, InProcessBackend, StudentModule

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ("sigmoid", "sigmoid_backward")


def start_submission(backend: Backend, module: Path) -> StudentModule:
    student = StudentModule("sigmoid", module, FUNCTIONS, backend)
    student.ensure_loaded()
    student.call("sigmoid", np.linspace(-3.0, 3.0, 8))
    return student


def time_submission(make: Callable[[], Backend], module: Path) -> tuple[float, float]:
    """Seconds to start, import and answer a first call; seconds to close."""
    started = time.perf_counter()
    backend = make()
    start_submission(backend, module)
    ready = time.perf_counter()
    backend.close()
    return ready - started, time.perf_counter() - ready


def time_fork() -> float:
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return time.perf_counter() - started


def time_calls(call: Callable[[], object], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_sigmoid", path)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--write", action="store_true", help="record the figures in RESULTS.md")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 20))
    dout = rng.normal(size=(20, 20))
    with (
        tempfile.TemporaryDirectory() as tmp,
        Sandbox(SandboxConfig.for_jobs(1)) as sandbox,
        Sandbox(SandboxConfig(spin=0.0)) as sleeping_sandbox,
    ):
        folder = Path(tmp) / "submission"
        folder.mkdir()
        shutil.copy(ROOT / "solutions" / "sigmoid" / "sigmoid.py", folder / "sigmoid.py")
        module = folder / "sigmoid.py"
        sandbox.ready()
        limits = SandboxLimits()

        sandboxed_start, sandboxed_close, inprocess_start, fork = [], [], [], []
        for _ in range(5):
            time_submission(lambda: sandbox.backend(folder, limits), module)
        for _ in range(args.submissions):
            opened, closed = time_submission(lambda: sandbox.backend(folder, limits), module)
            sandboxed_start.append(opened)
            sandboxed_close.append(closed)
            inprocess_start.append(time_submission(InProcessBackend, module)[0])
            fork.append(time_fork())

        backend = sandbox.backend(folder, limits)
        start_submission(backend, module)
        sleeping = sleeping_sandbox.backend(folder, limits)
        start_submission(sleeping, module)
        local = InProcessBackend()
        start_submission(local, module)
        reference = load_module(module)
        layers = ", ".join(backend.layers)
        request = {
            "op": "call",
            "key": "sigmoid",
            "fn": "sigmoid_backward",
            "args": (dout, x),
            "kwargs": {},
        }
        sandboxed_call, sleeping_call, inprocess_call, direct_call = [], [], [], []
        batched_call: list[float] = []
        together = 10
        batch, timeouts = [request] * together, [5.0] * together
        rounds = 10
        for _ in range(rounds):
            batched_call += [
                seconds / together
                for seconds in time_calls(
                    lambda: sleeping.request_each(batch, timeouts),
                    args.calls // rounds // together,
                )
            ]
            sandboxed_call += time_calls(
                lambda: backend.request(request, 5.0), args.calls // rounds
            )
            sleeping_call += time_calls(
                lambda: sleeping.request(request, 5.0), args.calls // rounds
            )
            inprocess_call += time_calls(lambda: local.request(request, 5.0), args.calls // rounds)
            direct_call += time_calls(
                lambda: reference.sigmoid_backward(dout, x), args.calls // rounds
            )
        backend.close()
        sleeping.close()
        spin = sandbox.config.spin

    start_ms = median_ms(sandboxed_start)
    call_us = median_ms(sandboxed_call) * 1e3
    lines = [
        "| per submission | median (ms) | ratio |",
        "|---|---|---|",
        f"| sandboxed: start child, import, first call | {start_ms:.2f} | 1.00 |",
        f"| sandboxed: close (kill, reap, remove folder) | {median_ms(sandboxed_close):.2f} | "
        f"{median_ms(sandboxed_close) / start_ms:.2f} |",
        f"| baseline: import and first call in-process | {median_ms(inprocess_start):.2f} | "
        f"{median_ms(inprocess_start) / start_ms:.2f} |",
        f"| baseline: bare os.fork() + waitpid | {median_ms(fork):.2f} | "
        f"{median_ms(fork) / start_ms:.2f} |",
        "",
        "| one call, sigmoid_backward on 20x20 float64 | median (us) | ratio |",
        "|---|---|---|",
        f"| sandboxed round trip ({'spin-waiting' if spin else 'sleeping'}, as for one job) "
        f"| {call_us:.1f} | 1.00 |",
        f"| sandboxed round trip, both sides sleeping (batch on busy cores) | "
        f"{median_ms(sleeping_call) * 1e3:.1f} | {median_ms(sleeping_call) * 1e3 / call_us:.3f} |",
        f"| sandboxed, both sides sleeping, one of {together} requests sent together "
        f"(`request_each`, as checks side by side) | {median_ms(batched_call) * 1e3:.1f} | "
        f"{median_ms(batched_call) * 1e3 / call_us:.3f} |",
        f"| baseline: in-process backend | {median_ms(inprocess_call) * 1e3:.1f} | "
        f"{median_ms(inprocess_call) * 1e3 / call_us:.3f} |",
        f"| baseline: the function called directly | {median_ms(direct_call) * 1e3:.1f} | "
        f"{median_ms(direct_call) * 1e3 / call_us:.3f} |",
    ]
    table = "\n".join(lines)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(table)
    print(f"\nlayers: {layers}\nload average after the run: {load}")
    if args.write:
        stamp = time.strftime("%Y-%m-%d")
        write_section(
            "Sandbox cost",
            f" ({stamp})\n\nCommand: `python bench/bench_sandbox.py "
            f"--submissions {args.submissions} --calls {args.calls} --write` "
            f"({platform.machine()}, {os.cpu_count()} cores, running as "
            f"{'root' if os.geteuid() == 0 else 'a user'}; load average after: {load}).\n"
            f"Layers in force: {layers}.\n\n{table}\n",
        )


if __name__ == "__main__":
    main()
