"""A submission's checks side by side, so that their calls share round trips.

Most checks ask the student's code one or two things. Asked check after check,
each question is a round trip to the sandboxed child: a wake-up on each side for
very little work. :class:`Interleaved` runs the checks of one submission side by
side instead, each in its own greenlet. A check that asks something is suspended
with its request; once every check is suspended or finished, the requests go to
the child together (:meth:`Pipelined.request_each`, one wake-up on each side) and
each check resumes with its own reply.

What stays as it was:

- every check's own calls are made in its order, and each request is answered as
  it would be alone: its own reply, or its own fault raised in the check;
- the checks are resumed in their declared order, so a submission's calls reach
  the child in the same order every time it is graded;
- identical imports of a module asked in one round are made once;
- a request that hangs or ends the child gets its fault, as it would alone, and
  the requests after it in the batch are asked again in the next round
  (:class:`~grader.student.RequestAgain`); the child names a request that has run
  for 50 ms, so the one to blame is known unless the child died at once or hung
  where Python cannot interrupt it. Then those checks ask again one at a time,
  and the rest of the submission's checks run one after another, as before.

What changes: calls of different checks interleave, so a function that keeps state
between calls sees them in another order than check by check.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import greenlet

from grader.errors import CourseError, StudentFault
from grader.student import Backend, RequestAgain

__all__ = ["Interleaved", "Pipelined", "pipelined"]


class Pipelined(Backend, Protocol):
    """A backend that can send several requests at once."""

    def request_each(
        self, messages: Sequence[dict[str, Any]], timeouts: Sequence[float]
    ) -> list[dict[str, Any] | StudentFault | RequestAgain | None]:
        """Each message's reply, fault, or RequestAgain (send it again); None when
        the batch ended without telling which message was to blame."""
        ...


def pipelined(backend: Backend) -> Pipelined | None:
    """*backend* if it can send several requests at once, else None."""
    return backend if callable(getattr(backend, "request_each", None)) else None  # type: ignore[return-value]


@dataclass(frozen=True)
class _Ask:
    """What a suspended check asked."""

    message: dict[str, Any]
    timeout: float


_Outcome = dict[str, Any] | BaseException | None


class Interleaved:
    """A backend that, inside :meth:`run`, gathers the checks' requests into batches.

    Outside :meth:`run`, and in the greenlet that called it, requests go straight
    to *backend*.
    """

    def __init__(self, backend: Pipelined) -> None:
        self.backend = backend
        self._hub: greenlet.greenlet | None = None
        self._direct = False
        self._spent: dict[greenlet.greenlet, float] = {}
        self._resumed = 0.0

    @property
    def layers(self) -> tuple[str, ...]:
        return self.backend.layers

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        hub = self._hub
        if hub is None or self._direct or greenlet.getcurrent() is hub:
            return self.backend.request(message, timeout)
        reply: dict[str, Any] = hub.switch(_Ask(message, timeout))
        return reply

    def close(self) -> None:
        self._direct = False
        self.backend.close()

    def output(self) -> str:
        return self.backend.output()

    def elapsed(self) -> float:
        """A clock for the running check: its own time, and its share of each round trip.

        Outside a check it is :func:`time.perf_counter`.
        """
        current = greenlet.getcurrent()
        spent = self._spent.get(current)
        if spent is None:
            return time.perf_counter()
        return spent + time.perf_counter() - self._resumed

    def run(self, checks: Sequence[Callable[[], None]]) -> None:
        """Run *checks* side by side until every one has returned.

        An exception that escapes a check (a check runner lets only interrupts
        escape) stops them all and is raised here.
        """
        hub = greenlet.getcurrent()
        self._hub = hub
        tasks = []
        for check in checks:
            task = greenlet.greenlet(check, parent=hub)
            # each check starts from this context (numpy's error state lives in it)
            task.gr_context = contextvars.copy_context()
            self._spent[task] = 0.0
            tasks.append(task)
        waiting: list[tuple[greenlet.greenlet, _Outcome]] = [(task, None) for task in tasks]
        try:
            while waiting:
                asked = []
                for task, outcome in waiting:
                    got = self._resume(task, outcome)
                    if not task.dead:
                        if not isinstance(got, _Ask):
                            raise CourseError(
                                "a grader switched greenlets itself; graders run in the "
                                "grader's greenlets and must not switch them"
                            )
                        asked.append((task, got))
                waiting = self._answer(asked)
        finally:
            self._hub = None
            self._spent.clear()

    def _resume(self, task: greenlet.greenlet, outcome: _Outcome) -> Any:
        self._resumed = time.perf_counter()
        try:
            if isinstance(outcome, BaseException):
                return task.throw(outcome)
            if not task:  # not started yet
                return task.switch()
            return task.switch(outcome)
        finally:
            self._spent[task] += time.perf_counter() - self._resumed

    def _answer(
        self, asked: list[tuple[greenlet.greenlet, _Ask]]
    ) -> list[tuple[greenlet.greenlet, _Outcome]]:
        """Send the round's requests at once; pair each check with its outcome."""
        if not asked:
            return []
        messages: list[dict[str, Any]] = []
        timeouts: list[float] = []
        slots: list[int] = []
        loads: dict[tuple[Any, Any], int] = {}
        for _task, ask in asked:
            load = None
            if ask.message.get("op") == "load":
                load = (ask.message.get("key"), ask.message.get("path"))
                if load in loads:
                    slots.append(loads[load])
                    continue
                loads[load] = len(messages)
            slots.append(len(messages))
            messages.append(ask.message)
            timeouts.append(ask.timeout)
        started = time.perf_counter()
        outcomes: Sequence[_Outcome]
        try:
            outcomes = self.backend.request_each(messages, timeouts)
        except Exception as exc:
            outcomes = [exc] * len(messages)
        share = (time.perf_counter() - started) / len(asked)
        answered: list[tuple[greenlet.greenlet, _Outcome]] = []
        for (task, _ask), slot in zip(asked, slots, strict=True):
            self._spent[task] += share
            outcome = outcomes[slot]
            if outcome is None:
                self._direct = True
                outcome = RequestAgain()
            answered.append((task, outcome))
        return answered
