"""Finite-difference probes are asked again in a fresh process, in reverse order.

A gradient check trusts the student's forward function: it evaluates it at
``x + h`` and ``x - h`` and compares the difference with the student's
backward. A forward function that keeps state between calls can notice such a
probe (an input a hair's breadth from the previous one) and return values made
to agree with a wrong backward.

:func:`find_probes` spots probes among the calls a check made: calls to the
same function whose array arguments have the same shapes and lie within
:data:`PROBE_DISTANCE` of one of the :data:`WINDOW` calls before. The
:class:`~grader.student.StudentModule` looks for them in each check's calls once the
check has ended, and keeps them by check; when a submission's checks have run, the grading session
sends them all (:func:`audit_requests`: each check's calls in reverse order) to
one fresh process that has only imported the modules they call, and
:func:`verify_replies` requires every answer to be the same as before; a check
whose answers differ fails. A function of its arguments alone gives the
same answers; a function that answered a probe differently from how it answers
the same input without the history before it fails the check. The replay
compares a function only with itself, so it gives the same verdict for
students and for the official grading.

A forward function can also recognise probes without any history, from the batch
they come in: a ``map`` request holds all of a gradient check's probes, and student
code can find it on its own stack. Its answers then depend on its arguments and the
batch alone, and the replay gets the same ones. Where the reference solution is at
hand (official grading), :func:`compare_with_reference` therefore compares every probe's
answer with the reference's for the same input. A function that is simply wrong differs
there too, so a check with such a probe asks that one input again on its own, as the
first request of the fresh process, where no batch and no history can be seen
(:func:`alone_requests`); :func:`verify_alone` requires the same answer as in the batch.
A wrong forward function gives it; one that read its batch does not, and the check
fails. A check whose answers all are the reference's, to a few units in the last place,
is settled: its gradient check compared the student's backward with the true numerical
gradient, so its replay is left out. A student's own ``grader check`` has no reference,
so there only the replay guards.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from grader.compare import all_close, expected_value
from grader.errors import CheckFailure

__all__ = [
    "PROBE_DISTANCE",
    "ReferenceComparison",
    "alone_requests",
    "audit_requests",
    "compare_with_reference",
    "find_probes",
    "replay_requests",
    "verify_alone",
    "verify_replies",
]

PROBE_DISTANCE = 1e-3
WINDOW = 4
# Above this many element differences, the pairs of a group are compared lag by lag.
_PAIRWISE_LIMIT = 20_000
RTOL = 1e-12
# How far a probe's answer may be from the reference's and still agree with it.
AGREE_RTOL = 1e-9
AGREE_ATOL = 1e-12
# How near all of a check's answers must be to the reference's for its replay to be
# left out (see compare_with_reference): a few units in the last place of float64.
SETTLED_RTOL = 1e-13
SETTLED_ATOL = 1e-15
_DIFFERENT_ALONE = (
    "{function} gave a different result for one of the gradient check's inputs when that "
    "input was asked alone, in a fresh process, than inside the check's batch of calls: "
    "its result must depend only on its arguments, not on the other calls of the check"
)


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


def find_probes(calls: Sequence[CallRecord], eligible: Sequence[bool]) -> list[CallRecord]:
    """The calls of one check that lie near another call, in the order they were made.

    A pair counts when its later call is *eligible* (a call the check's graders asked
    for an answer, not an observation) and lies at most WINDOW calls after the earlier.
    """
    kinds: dict[tuple[Any, ...], int] = {}
    layouts: list[_Layout] = []
    for call in calls:
        layout = _layout(call)
        if layout is None:
            layouts.append(None)
        else:
            layouts.append((kinds.setdefault(layout[0], len(kinds)), layout[1]))
    return [calls[i] for i in sorted(_near_pairs(calls, layouts, eligible))]


def _verify(probes: Sequence[CallRecord], replies: Sequence[Any]) -> None:
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
            _verify(records, replies[start : start + count])
        except CheckFailure as failure:
            failures[where] = str(failure)
        start += count
    return failures


Where = tuple[str, str]


@dataclass(frozen=True)
class ReferenceComparison:
    """What comparing a submission's probe answers with the reference's found.

    *suspects*: per (module key, check), one probe whose answer is not the reference's,
    to be asked alone. *settled*: the checks whose every probe the reference answered
    the same way to within :data:`SETTLED_RTOL`; their replay can tell nothing more.
    """

    suspects: dict[Where, CallRecord]
    settled: frozenset[Where]


def compare_with_reference(
    probes: Mapping[Where, Sequence[CallRecord]],
    reference: Callable[[str, str], Callable[..., Any] | None],
    pick: Callable[[Sequence[CallRecord]], CallRecord] = secrets.choice,
) -> ReferenceComparison:
    """Compare every probe's answer with the reference function's for the same input.

    *reference* gives the reference function of a module key and name, or None when
    there is none; such probes are skipped, as are those the reference cannot answer,
    and their checks are never settled.

    Of a check's probes that differ beyond rounding (:data:`AGREE_RTOL`), *pick*
    chooses the one to ask alone: by default at random, so that a wrong forward
    function cannot fake some probes and count on another one being asked. A check
    gets one: a second input of the same check would find the first in its history.

    A check is settled when all its answers are within ``SETTLED_ATOL + SETTLED_RTOL *
    |reference|`` of the reference's. Its numerical gradient is then the reference's
    to within ``sum(|dout| * (SETTLED_ATOL + SETTLED_RTOL * |f|)) / h`` per element:
    with h = 1e-6 and answers of order one, about 1e-7 per unit of upstream
    gradient, where a gradient check allows 1e-5 relative. However the answers were
    produced, a history or a batch the function read cannot have changed the verdict.
    """
    suspects: dict[Where, CallRecord] = {}
    settled = set()
    for where, records in probes.items():
        differing = []
        exact = True
        for record in records:
            trusted = reference(where[0], record.function)
            if trusted is None:
                exact = False
                continue
            try:
                want = expected_value(trusted, record.args, record.kwargs)
            except Exception:
                exact = False
                continue
            if exact and _agrees(record.result, want, SETTLED_RTOL, SETTLED_ATOL):
                continue
            exact = False
            if not _agrees(record.result, want, AGREE_RTOL, AGREE_ATOL):
                differing.append(record)
        if differing:
            suspects[where] = pick(differing)
        if exact:
            settled.add(where)
    return ReferenceComparison(suspects, frozenset(settled))


def alone_requests(suspects: Mapping[Where, CallRecord]) -> tuple[dict[str, Any], ...]:
    """One ``call`` request per entry of *suspects*: its input, asked on its own."""
    return tuple(
        {
            "op": "call",
            "key": key,
            "fn": record.function,
            "args": tuple(record.args),
            "kwargs": dict(record.kwargs),
        }
        for (key, _check), record in suspects.items()
    )


def verify_alone(
    suspects: Mapping[Where, CallRecord], replies: Sequence[Any]
) -> dict[Where, str]:
    """Which (module key, check) answered its input asked alone otherwise than in its batch."""
    failures: dict[Where, str] = {}
    for index, (where, record) in enumerate(suspects.items()):
        reply = replies[index] if index < len(replies) else None
        answer = reply["ok"] if isinstance(reply, dict) and "ok" in reply else _FAILED
        if not _same(record.result, answer):
            failures[where] = _DIFFERENT_ALONE.format(function=record.function)
    return failures


def _agrees(got: Any, want: Any, rtol: float = AGREE_RTOL, atol: float = AGREE_ATOL) -> bool:
    """*got* is *want* to within ``atol + rtol * |want|`` (same kinds, shapes and dtype kinds)."""
    if isinstance(want, tuple):
        return (
            isinstance(got, tuple)
            and len(got) == len(want)
            and all(_agrees(g, w, rtol, atol) for g, w in zip(got, want, strict=True))
        )
    if isinstance(want, np.ndarray) or isinstance(got, np.ndarray):
        if not (isinstance(got, np.ndarray) and isinstance(want, np.ndarray)):
            return False
        if got.shape != want.shape:
            return False
        if got.dtype.kind not in "fiu" or want.dtype.kind not in "fiu":
            return bool(np.array_equal(got, want))
        return all_close(got, want, rtol, atol)
    if _is_number(got) and _is_number(want):
        return bool(
            got == want
            or (abs(got - want) <= atol + rtol * abs(want) and math.isfinite(want))
            or (got != got and want != want)
        )
    return type(got) is type(want) and bool(got == want)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _answers(reply: Any) -> tuple[Any, ...]:
    if isinstance(reply, dict) and isinstance(reply.get("ok"), tuple):
        return tuple(reply["ok"])
    return (_FAILED,)


class _Failed:
    """A replayed call that raised."""


_FAILED = _Failed()


_Layout = tuple[int, float] | None


def _near_pairs(
    calls: Sequence[CallRecord], layouts: Sequence[_Layout], eligible: Sequence[bool]
) -> set[int]:
    """Indices of the calls that lie within PROBE_DISTANCE of a call up to WINDOW before
    or after them, where the later call of the pair is *eligible*.

    Two calls can be near only when they have the same layout and their first array
    elements are near (:func:`_layout`). The calls of a layout that has such a pair are
    stacked, and all their pairs are compared at once.
    """
    groups: dict[int, list[int]] = {}
    for i, layout in enumerate(layouts):
        if layout is None or not eligible[i] or layout[0] in groups:
            continue
        for j in range(max(0, i - WINDOW), i):
            other = layouts[j]
            if other is not None and other[0] == layout[0] and abs(other[1] - layout[1]) <= (
                PROBE_DISTANCE
            ):
                groups[layout[0]] = []
                break
    if not groups:
        return set()
    for position, layout in enumerate(layouts):
        if layout is not None and layout[0] in groups:
            groups[layout[0]].append(position)
    allowed = np.asarray(eligible, dtype=bool)
    near: set[int] = set()
    with np.errstate(all="ignore"):
        for members in groups.values():
            index = np.array(members)
            values = _stacked([calls[i] for i in members])
            if values.shape[1] and len(members) ** 2 * values.shape[1] <= _PAIRWISE_LIMIT:
                # every pair at once: a NaN gap compares false, so such a pair is never near
                gap = np.abs(values[:, None, :] - values[None, :, :]).max(axis=2)
                later, earlier = index[:, None], index[None, :]
                close = (
                    (later > earlier)
                    & (later - earlier <= WINDOW)
                    & allowed[index][:, None]
                    & (gap <= PROBE_DISTANCE)
                )
                near.update(index[close.any(axis=1) | close.any(axis=0)].tolist())
                continue
            for lag in range(1, min(WINDOW, len(members) - 1) + 1):
                later, earlier = index[lag:], index[:-lag]
                wanted = (later - earlier <= WINDOW) & allowed[later]
                if not wanted.any():
                    continue
                if values.shape[1]:
                    wanted &= np.abs(values[lag:] - values[:-lag]).max(axis=1) <= PROBE_DISTANCE
                near.update(later[wanted].tolist())
                near.update(earlier[wanted].tolist())
    return near


def _values(call: CallRecord) -> Sequence[Any]:
    if not call.kwargs:
        return call.args
    return [*call.args, *(call.kwargs[key] for key in sorted(call.kwargs))]


def _layout(call: CallRecord) -> tuple[tuple[Any, ...], float] | None:
    """What two calls must share to be near, and a number that must be near too.

    The first part holds the function, the argument kinds and shapes, and the values
    of the arguments that are not numbers; the second is the first element of the
    first non-empty array argument. None when the call has no numeric array argument,
    or an argument that is not plain data.
    """
    parts: list[Any] = [call.function, len(call.args), tuple(sorted(call.kwargs))]
    has_array = False
    anchor = None
    for value in _values(call):
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "fiu":
                return None
            parts.append(("array", value.shape))
            has_array = True
            if anchor is None and value.size:
                anchor = float(value.flat[0])
        elif type(value) in (int, float):
            parts.append(("number", type(value)))
        elif value is None or type(value) in (str, bool):
            parts.append(("value", type(value), value))
        else:
            return None
    return (tuple(parts), 0.0 if anchor is None else anchor) if has_array else None


def _stacked(calls: Sequence[CallRecord]) -> np.ndarray[Any, Any]:
    """The numeric values of calls that share one layout, one float64 row per call.

    An argument that is one object in all of them (a batch's unchanged argument) is
    left out.
    """
    rows = [_values(call) for call in calls]
    columns = []
    for position, first in enumerate(rows[0]):
        if all(row[position] is first for row in rows):
            continue
        if isinstance(first, np.ndarray):
            if first.size:
                stacked = np.array([row[position] for row in rows], dtype=np.float64)
                columns.append(stacked.reshape(len(rows), -1))
        elif type(first) in (int, float):
            columns.append(np.array([[float(row[position])] for row in rows]))
    if not columns:
        return np.zeros((len(calls), 0))
    return np.concatenate(columns, axis=1, dtype=np.float64)


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
