"""Finite-difference probes are asked again in a fresh process, in reverse order.

A gradient check trusts the student's forward function: it evaluates it at
``x + h`` and ``x - h`` and compares the difference with the student's
backward. A forward function that keeps state between calls can notice such a
probe (an input a hair's breadth from the previous one) and return values made
to agree with a wrong backward.

:class:`ProbeAudit` spots probes among the calls a check makes: calls to the
same function whose array arguments have the same shapes and lie within
:data:`PROBE_DISTANCE` of a recent call's. The :class:`~grader.student.StudentModule`
keeps them by check; when a submission's checks have run, the grading session
sends them all (:func:`audit_requests`: each check's calls in reverse order) to
one fresh process that has only imported the modules they call, and
:func:`verify_replies` requires every answer to be the same as before; a check
whose answers differ fails. A function of its arguments alone gives the
same answers; a function that answered a probe differently from how it answers
the same input without the history before it fails the check. Nothing here
compares with the reference solution, so public checks give the same verdict
for students and for the official grading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from grader.errors import CheckFailure

__all__ = ["PROBE_DISTANCE", "ProbeAudit", "audit_requests", "replay_requests", "verify_replies"]

PROBE_DISTANCE = 1e-3
WINDOW = 4
RTOL = 1e-12


class CallRecord(Protocol):
    """One call the student's code answered (:class:`grader.student.CallRecord`)."""

    @property
    def function(self) -> str: ...

    @property
    def args(self) -> tuple[Any, ...]: ...

    @property
    def kwargs(self) -> Mapping[str, Any]: ...

    @property
    def result(self) -> Any: ...


class ProbeAudit:
    """Remembers which calls were audited; finds new probes; checks their replays."""

    def __init__(self) -> None:
        self._audited: set[int] = set()

    def probes(self, history: Sequence[CallRecord], new: Sequence[CallRecord]) -> list[CallRecord]:
        """The calls among the recent *history* and *new* that are near another call."""
        calls = [*history[-WINDOW:], *new]
        first_new = len(calls) - len(new)
        near: set[int] = set()
        with np.errstate(all="ignore"):
            for i in range(first_new, len(calls)):
                for j in range(max(0, i - WINDOW), i):
                    if _near(calls[i], calls[j]):
                        near.update((i, j))
        chosen = [calls[i] for i in sorted(near) if id(calls[i]) not in self._audited]
        self._audited.update(id(c) for c in chosen)
        return chosen

    @staticmethod
    def verify(probes: Sequence[CallRecord], replies: Sequence[Any]) -> None:
        """Raise CheckFailure unless every replayed answer equals the original one."""
        answers = [answer for reply in replies for answer in _answers(reply)]
        if len(answers) != len(probes):
            raise CheckFailure("the fresh process did not answer every call again")
        for record, answer in zip(reversed(probes), answers, strict=True):
            if not _same(record.result, answer):
                raise CheckFailure(
                    f"{record.function} gave a different result for the same input when it was "
                    "called again in a fresh process: its result must depend only on its "
                    "arguments, not on the calls made before (a gradient check probes it with "
                    "nearby inputs and compares the answers)"
                )


def replay_requests(key: str, probes: Sequence[CallRecord]) -> tuple[dict[str, Any], ...]:
    """Requests that make *probes* again, last call first, one ``map`` per run of a function."""
    requests: list[dict[str, Any]] = []
    for record in reversed(probes):
        call = (record.args, record.kwargs)
        if requests and requests[-1]["fn"] == record.function:
            requests[-1]["calls"] += (call,)
        else:
            requests.append({"op": "map", "key": key, "fn": record.function, "calls": (call,)})
    return tuple(requests)


def audit_requests(
    probes: Mapping[tuple[str, str], Sequence[CallRecord]],
) -> tuple[tuple[dict[str, Any], ...], list[int]]:
    """One fresh request's replays for the probes of every (module key, check).

    Returns the requests and, per entry of *probes* in order, how many of them it has.
    """
    requests: list[dict[str, Any]] = []
    counts = []
    for (key, _check), records in probes.items():
        replays = replay_requests(key, records)
        requests += replays
        counts.append(len(replays))
    return tuple(requests), counts


def verify_replies(
    probes: Mapping[tuple[str, str], Sequence[CallRecord]],
    counts: Sequence[int],
    replies: Sequence[Any],
) -> dict[tuple[str, str], str]:
    """Which (module key, check) gave other answers in the fresh process, and what it says."""
    failures: dict[tuple[str, str], str] = {}
    start = 0
    for (where, records), count in zip(probes.items(), counts, strict=True):
        try:
            ProbeAudit.verify(records, replies[start : start + count])
        except CheckFailure as failure:
            failures[where] = str(failure)
        start += count
    return failures


def _answers(reply: Any) -> tuple[Any, ...]:
    if isinstance(reply, dict) and isinstance(reply.get("ok"), tuple):
        return tuple(reply["ok"])
    return (_FAILED,)


class _Failed:
    """A replayed call that raised."""


_FAILED = _Failed()


def _near(a: CallRecord, b: CallRecord) -> bool:
    if a.function != b.function or len(a.args) != len(b.args) or set(a.kwargs) != set(b.kwargs):
        return False
    pairs = list(zip(a.args, b.args, strict=True)) + [(a.kwargs[k], b.kwargs[k]) for k in a.kwargs]
    for x, y in pairs:
        distance = _distance(x, y)
        if distance is None or distance > PROBE_DISTANCE:
            return False
    return any(isinstance(x, np.ndarray) for x, _ in pairs)


def _distance(x: Any, y: Any) -> float | None:
    """The largest difference between two arguments; None when they differ in kind."""
    if isinstance(x, np.ndarray) and isinstance(y, np.ndarray):
        if x.shape != y.shape or x.dtype.kind not in "fiu" or y.dtype.kind not in "fiu":
            return None
        if not x.size:
            return 0.0
        if x.dtype != np.float64 or y.dtype != np.float64:
            x, y = x.astype(np.float64), y.astype(np.float64)
        difference = np.subtract(x, y)
        largest = float(np.abs(difference, out=difference).max())
        return largest if largest == largest else None
    if type(x) is not type(y):
        return None
    if type(x) in (int, float):
        return abs(float(x) - float(y))
    if x is None or type(x) in (str, bool):
        return 0.0 if x == y else None
    return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) or isinstance(b, tuple):
        return (
            isinstance(a, tuple)
            and isinstance(b, tuple)
            and len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.kind not in "fc":
            return bool(np.array_equal(a, b))
        with np.errstate(all="ignore"):
            close = np.abs(a - b) <= RTOL * np.abs(b)
            return bool((close | (a == b) | (np.isnan(a) & np.isnan(b))).all())
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (a != a and b != b) or abs(a - b) <= RTOL * max(abs(a), abs(b))
    return type(a) is type(b) and bool(a == b)
