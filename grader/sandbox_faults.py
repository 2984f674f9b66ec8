"""What the way a sandbox child ended means for the student: the fault to report."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING, Any

from grader.errors import StudentCrashed, StudentFault, StudentOutOfMemory, StudentTimeout
from grader.sandbox_protocol import describe_request

if TYPE_CHECKING:
    from grader.sandbox import ExitInfo, SandboxLimits

__all__ = ["channel_fault", "exit_fault", "timeout_fault"]

# what a process that ran out of memory tends to print on its way out
_MEMORY_WORDS = (b"MemoryError", b"Cannot allocate memory", b"bad_alloc", b"out of memory")


def exit_fault(
    info: ExitInfo | None, said: bytes, limits: SandboxLimits, what: str
) -> StudentFault:
    """The fault for a child that ended during *what*, given how it exited (*info*)
    and the last bytes it printed (*said*)."""
    memory = limits.memory_mb
    if info is None:
        return StudentCrashed(f"the process running your code stopped during {what}")
    if info.signal in (signal.SIGXCPU,) or (
        info.signal == signal.SIGKILL and info.cpu_seconds >= limits.cpu_seconds
    ):
        return StudentCrashed(
            f"{what} used up the {limits.cpu_seconds} s of CPU time a submission "
            "may use and was stopped"
        )
    if any(word in said for word in _MEMORY_WORDS) or info.maxrss_kb * 1024 >= 0.9 * (
        memory * 2**20
    ):
        return StudentOutOfMemory(
            f"{what} ran out of memory (the limit is {memory} MB) and the process died"
        )
    if info.signal:
        name = signal.Signals(info.signal).name
        meaning = signal.strsignal(info.signal) or name
        return StudentCrashed(
            f"the process running your code was killed by {name} ({meaning}) during {what}"
        )
    return StudentCrashed(
        f"the process running your code exited (status {info.exit_code}) during {what}; "
        "a function must return its result, not end the process (os._exit, os.abort)"
    )


def timeout_fault(message: dict[str, Any], timeout: float) -> StudentTimeout:
    """The fault for a request that did not finish within *timeout* seconds."""
    return StudentTimeout(
        f"{describe_request(message)} did not finish within {timeout:g} s (wall clock) and "
        "was stopped; look for a loop that never ends or work that grows too fast"
    )


def channel_fault(message: dict[str, Any], problem: Exception) -> StudentCrashed:
    """The fault for a child that answered *message* with something other than a reply."""
    return StudentCrashed(
        f"the process running your code wrote something other than a reply on the "
        f"grader's channel during {describe_request(message)} ({problem}) and was stopped"
    )
