"""The ``student`` object graders call: a proxy to the student's module.

Graders never import student code. They call ``student.sigmoid(x)`` and the
proxy sends the call through a :class:`Backend` (the sandbox child, or the
same :class:`~grader.runner.Runner` in-process when the sandbox is off) and
gets plain data back. Misbehaviour becomes a :class:`~grader.errors.StudentFault`.

Every call and its answer is recorded so that, when a check fails, the plugin
can compare the submission with the course's known mistakes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from grader import sandbox_audit, wire
from grader.errors import (
    StudentCrashed,
    StudentFault,
    StudentImportError,
    StudentOutOfMemory,
    StudentRaised,
    StudentReturnError,
    StudentTimeout,
)
from grader.runner import Runner
from grader.sandbox_audit import find_probes

__all__ = [
    "Backend",
    "CallRecord",
    "InProcessBackend",
    "Observation",
    "RequestAgain",
    "StudentModule",
]

MAX_RECORDS = 4000
# A function that timed out in this many checks is not called again for the submission.
TIMEOUTS_PER_FUNCTION = 2


class RequestAgain(Exception):
    """Raised into a check whose request was sent with others and not answered.

    An earlier request of the batch ended the child, or the batch ended without
    telling which request was to blame; the check sends its request again (see
    :mod:`grader.interleave`).
    """


class Backend(Protocol):
    """Carries one request to where student code runs and brings the reply back."""

    @property
    def layers(self) -> tuple[str, ...]:
        """The isolation in force, one name per layer."""
        ...

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]: ...

    def close(self) -> None: ...

    def output(self) -> str:
        """What the student code printed (capped), for SubmissionResult.stdout."""
        ...


class InProcessBackend:
    """Runs student code in this process. No isolation: for trusted code and tests."""

    layers: tuple[str, ...] = ("in-process",)

    def __init__(self) -> None:
        self.runner = Runner()
        self.loads: list[dict[str, Any]] = []

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        if message.get("op") == "fresh":
            # A new Runner imports the modules again: no state from earlier calls.
            fresh = InProcessBackend()
            for load in self.loads:
                fresh.request(load, timeout)
            return {"ok": tuple(fresh.request(r, timeout) for r in message["requests"])}
        reply = wire.decode(self.runner.handle(wire.encode(message)))
        if not isinstance(reply, dict):
            raise StudentReturnError("the reply was not understood")
        if message.get("op") == "load" and "fault" not in reply:
            self.loads.append(message)
        return reply

    def close(self) -> None:
        self.runner = Runner()
        self.loads = []

    def output(self) -> str:
        return ""


@dataclass(frozen=True)
class CallRecord:
    function: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    result: Any


@dataclass(frozen=True)
class Observation:
    """A call's result together with its inputs as they were after the call."""

    result: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


_FAULTS: dict[str, type[StudentFault]] = {
    "import": StudentImportError,
    "return": StudentReturnError,
}


class StudentModule:
    """What the ``student`` fixture gives a grader: one exercise's functions."""

    def __init__(
        self,
        key: str,
        path: Path,
        functions: Sequence[str],
        backend: Backend,
        timeout: float = 5.0,
    ) -> None:
        self._key = key
        self._path = path
        self._functions = tuple(functions)
        self._backend = backend
        self._timeout = timeout
        self._shared = _Shared()
        self._shared.views.append(self)
        self._calls: list[CallRecord] = []  # this check's calls, for the probe audit
        self._answered: list[bool] = []  # which of them the check asked for an answer
        self._check = ""
        self.records: list[CallRecord] = []

    def view(self) -> StudentModule:
        """The same module for a check that runs beside this one's: its own records.

        The views of a module share its import, its timeouts and its probes.
        """
        other = StudentModule(
            self._key, self._path, self._functions, self._backend, self._timeout
        )
        other._shared = self._shared
        self._shared.views.append(other)
        return other

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_") or name not in self._functions:
            declared = ", ".join(self._functions)
            raise AttributeError(
                f"the exercise declares no function {name!r}; declared: {declared}"
            )

        def call(*args: Any, **kwargs: Any) -> Any:
            return self.call(name, *args, **kwargs)

        call.__name__ = name
        return call

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the student's *name* with *args*; return plain data."""
        reply = self._request({"op": "call", "fn": name, "args": args, "kwargs": kwargs})
        self._record(CallRecord(name, args, kwargs, reply["ok"]))
        return reply["ok"]

    def map(
        self,
        name: str,
        calls: Sequence[tuple[Any, ...]],
        kwargs: Mapping[str, Any] | None = None,
    ) -> list[Any]:
        """Call *name* once per argument tuple in *calls*, in one round trip.

        Every call also gets the keyword arguments *kwargs*.
        """
        return self.batch(name, [(args, kwargs or {}) for args in calls])

    def batch(
        self, name: str, calls: Sequence[tuple[tuple[Any, ...], Mapping[str, Any]]]
    ) -> list[Any]:
        """Call *name* once per ``(args, kwargs)`` pair in *calls*, in one round trip.

        The calls are made in order; the first that raises raises here, as it would
        have in a loop of single calls.
        """
        batch: tuple[tuple[tuple[Any, ...], dict[str, Any]], ...] = tuple(
            (tuple(args), dict(kwargs)) for args, kwargs in calls
        )
        reply = self._request({"op": "map", "fn": name, "calls": batch})
        results = list(reply["ok"])
        for (args, kwargs), result in zip(batch, results, strict=True):
            self._record(CallRecord(name, args, kwargs, result))
        return results

    def many(self, calls: Sequence[tuple[str, tuple[Any, ...], Mapping[str, Any]]]) -> list[Any]:
        """Make *calls*, each ``(function, args, kwargs)``, in order, in one round trip.

        Unlike :meth:`batch`, the calls may be to different functions; none of them may
        need another's result. The first that raises raises here.
        """
        return [seen.result for seen in self._many(calls, inputs=False)]

    def observe_many(
        self, calls: Sequence[tuple[str, tuple[Any, ...], Mapping[str, Any]]]
    ) -> list[Observation]:
        """:meth:`many`, returning each call's result with its inputs as they were after it."""
        return self._many(calls, inputs=True)

    def _many(
        self, calls: Sequence[tuple[str, tuple[Any, ...], Mapping[str, Any]]], *, inputs: bool
    ) -> list[Observation]:
        sent = tuple((str(name), tuple(args), dict(kwargs)) for name, args, kwargs in calls)
        reply = self._request({"op": "many", "calls": sent, "inputs": inputs})
        after = reply["inputs"] if inputs else [(args, kwargs) for _, args, kwargs in sent]
        seen = []
        for (name, args, kwargs), result, (args_after, kwargs_after) in zip(
            sent, reply["ok"], after, strict=True
        ):
            self._record(CallRecord(name, args, kwargs, result), answered=not inputs)
            seen.append(Observation(result, args_after, kwargs_after))
        return seen

    def observe(self, name: str, *args: Any, **kwargs: Any) -> Observation:
        """Call *name* and also return its inputs as they were after the call."""
        reply = self._request(
            {"op": "call", "fn": name, "args": args, "kwargs": kwargs, "inputs": True}
        )
        after_args, after_kwargs = reply["inputs"]
        self._record(CallRecord(name, args, kwargs, reply["ok"]), answered=False)
        return Observation(reply["ok"], after_args, after_kwargs)

    def ensure_loaded(self) -> None:
        """Import the module (once); raise the import fault on every later call."""
        shared = self._shared
        while shared.load_fault is None and not shared.loaded:
            try:
                reply = self._backend.request(
                    {"op": "load", "key": self._key, "path": str(self._path)}, self._timeout
                )
            except RequestAgain:
                continue
            except (StudentTimeout, StudentCrashed, StudentOutOfMemory) as fault:
                shared.load_fault = fault
                raise
            if "fault" in reply:
                shared.load_fault = _fault(reply)
            else:
                shared.loaded = True
        if shared.load_fault is not None:
            raise shared.load_fault

    def _request(self, message: dict[str, Any]) -> dict[str, Any]:
        self.ensure_loaded()
        # A batch of several functions that timed out is counted for that set of functions:
        # which of them did not finish is not known.
        if message["op"] == "many":
            name = " or ".join(dict.fromkeys(str(call[0]) for call in message["calls"]))
        else:
            name = str(message.get("fn", ""))
        timeouts = self._shared.timeouts
        while True:
            if timeouts.get(name, 0) >= TIMEOUTS_PER_FUNCTION:
                raise StudentTimeout(
                    f"{name} did not finish in time in {TIMEOUTS_PER_FUNCTION} earlier checks, "
                    "so it was not called again; look for a loop that never ends"
                )
            try:
                reply = self._backend.request({**message, "key": self._key}, self._timeout)
            except RequestAgain:
                continue
            except StudentTimeout:
                timeouts[name] = timeouts.get(name, 0) + 1
                raise
            if "fault" in reply:
                raise _fault(reply)
            return reply

    def begin_check(self, name: str = "") -> None:
        """Start check *name*: forget the calls of the previous one."""
        self._find_probes()
        self.records.clear()
        self._check = name

    def take_probes(self) -> dict[str, list[sandbox_audit.CallRecord]]:
        """The finite-difference probes each check made, by check name; forgets them.

        The probes of every view of the module are taken.
        """
        for view in self._shared.views:
            view._find_probes()
        probes, self._shared.pending = self._shared.pending, {}
        return probes

    def _find_probes(self) -> None:
        """Keep the probes among the current check's calls, all found in one pass."""
        if any(self._answered):
            found = find_probes(self._calls, self._answered)
            if found:
                self._shared.pending.setdefault(self._check, []).extend(found)
        self._calls = []
        self._answered = []

    def _record(self, record: CallRecord, *, answered: bool = True) -> None:
        """Keep *record* for the known mistakes (up to a limit) and for the probe audit.

        An observation (*answered* false) is compared with the calls after it, but is
        not itself a call whose answer a check used.
        """
        if len(self.records) < MAX_RECORDS:
            self.records.append(record)
        self._calls.append(record)
        self._answered.append(answered)


@dataclass
class _Shared:
    """What the views of one module share."""

    loaded: bool = False
    load_fault: StudentFault | None = None
    timeouts: dict[str, int] = field(default_factory=dict)
    pending: dict[str, list[sandbox_audit.CallRecord]] = field(default_factory=dict)
    views: list[StudentModule] = field(default_factory=list)


def _fault(reply: dict[str, Any]) -> StudentFault:
    kind = reply.get("fault")
    message = str(reply.get("message", ""))
    if kind == "raised" and reply.get("exc_type") == "MemoryError":
        return StudentOutOfMemory(f"{message} (out of memory)")
    if kind == "raised":
        return StudentRaised(
            message,
            exc_type=str(reply.get("exc_type", "")),
            not_implemented=bool(reply.get("not_implemented")),
        )
    return _FAULTS.get(str(kind), StudentFault)(message)
