"""The student side of the channel: load a student's module and answer calls.

A :class:`Runner` takes an encoded request and returns an encoded reply. It
runs wherever student code runs (the sandbox child, or in-process when the
sandbox is switched off) and is the only code that touches student objects:
everything it hands back is plain data made by :mod:`grader.wire`.

Requests (dicts):
  ``{"op": "load", "key": K, "path": P}``                  import the module at P as K
  ``{"op": "call", "key": K, "fn": F, "args": A, "kwargs": W, "inputs": bool}``
  ``{"op": "map", "key": K, "fn": F, "calls": ((A, W), ...)}``
  ``{"op": "many", "key": K, "calls": ((F, A, W), ...), "inputs": bool}``
Replies: ``{"ok": value}`` (with ``"inputs": (A, W)`` after the call when asked, and
``"inputs": ((A, W), ...)`` after each call of ``many``), or
``{"fault": kind, "message": M, "exc_type": T, "not_implemented": bool}`` with
kind one of ``import``, ``raised``, ``return``.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib.util
import linecache
import sys
import traceback
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import numpy as np

from grader import wire

__all__ = ["Runner"]

MAX_MESSAGE = 2000


class _Fault(Exception):
    def __init__(self, kind: str, message: str, exc_type: str = "", not_impl: bool = False):
        super().__init__(message)
        self.reply = {
            "fault": kind,
            "message": message[:MAX_MESSAGE],
            "exc_type": exc_type,
            "not_implemented": not_impl,
        }


class Runner:
    """Holds the loaded student modules of one submission and answers requests.

    Student code runs with warnings and numpy's floating-point reports silenced,
    so that an overflow warning alone never fails a check. With *own_process*
    (the sandbox child, where nothing but student code runs) they are silenced
    for the whole process, and again after every request, so that what one
    function changes does not reach the calls of the next request; otherwise
    around each import and call, and restored afterwards.
    """

    def __init__(self, own_process: bool = False) -> None:
        self.modules: dict[str, ModuleType] = {}
        self.paths: dict[str, str] = {}
        self._quiet: Callable[[], AbstractContextManager[None]] = (
            contextlib.nullcontext if own_process else _quiet
        )
        self._silence = _Silence() if own_process else None

    def handle(self, request: bytes) -> bytes:
        try:
            message = wire.decode(request, references=True)
            reply = self._dispatch(message)
        except _Fault as fault:
            reply = fault.reply
        finally:
            if self._silence is not None:
                self._silence.again()
        try:
            return wire.encode(reply, repeats=False)
        except wire.NotPlainData as exc:
            return wire.encode(_Fault("return", _not_plain(message, str(exc))).reply)

    def _dispatch(self, message: dict[str, Any]) -> dict[str, Any]:
        op = message["op"]
        if op == "load":
            self._load(message["key"], message["path"])
            return {"ok": None}
        if op == "many":
            return self._many(message)
        fn = self._function(message["key"], message["fn"])
        if op == "call":
            args, kwargs = message["args"], message["kwargs"]
            result = self._invoke(message["key"], fn, args, kwargs)
            reply: dict[str, Any] = {"ok": result}
            if message.get("inputs"):
                reply["inputs"] = (args, kwargs)
            return reply
        if op == "map":
            calls = tuple((message["fn"], args, kwargs) for args, kwargs in message["calls"])
            return self._many({"key": message["key"], "calls": calls})
        raise _Fault("raised", f"unknown request {op!r}")

    def _many(self, message: dict[str, Any]) -> dict[str, Any]:
        key = message["key"]
        results = []
        inputs = []
        for name, args, kwargs in message["calls"]:
            results.append(self._invoke(key, self._function(key, name), args, kwargs))
            inputs.append((args, kwargs))
        reply: dict[str, Any] = {"ok": tuple(results)}
        if message.get("inputs"):
            reply["inputs"] = tuple(inputs)
        return reply

    def _load(self, key: str, path: str) -> None:
        self.modules.pop(key, None)
        file = Path(path).absolute()  # as the code's co_filename, for _student_frames
        if not file.is_file():
            raise _Fault(
                "import", f"{file.name} is missing: put your {file.name} in the submission"
            )
        name = f"_student_{key}"
        spec = importlib.util.spec_from_file_location(name, file)
        if spec is None or spec.loader is None:
            raise _Fault("import", f"{file.name} cannot be imported as a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            with self._quiet():
                spec.loader.exec_module(module)
        except SyntaxError as exc:
            line = f" line {exc.lineno}" if exc.lineno else ""
            raise _Fault(
                "import",
                f"{file.name}{line}: SyntaxError: {exc.msg}. Fix that line and check again.",
                "SyntaxError",
            ) from None
        except BaseException as exc:
            raise _Fault(
                "import",
                f"{file.name} raised {type(exc).__name__} while being imported: {_text(exc)}"
                + _student_frames(exc.__traceback__, str(file)),
                type(exc).__name__,
            ) from None
        self.modules[key] = module
        self.paths[key] = str(file)

    def _function(self, key: str, name: str) -> Any:
        module = self.modules.get(key)
        if module is None:
            raise _Fault("import", "the module was not loaded")
        fn = getattr(module, name, None)
        if fn is None or not callable(fn):
            raise _Fault(
                "raised",
                f"{self.paths[key].rsplit('/', 1)[-1]} has no function {name}(); "
                "keep the name and signature from the stub",
                "AttributeError",
            )
        return fn

    def _invoke(self, key: str, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            with self._quiet():
                result = fn(*args, **kwargs)
        except NotImplementedError as exc:
            raise _Fault(
                "raised",
                f"{fn.__name__} is not implemented yet (it raises NotImplementedError)",
                "NotImplementedError",
                not_impl=True,
            ) from exc
        except BaseException as exc:
            raise _Fault(
                "raised",
                f"{fn.__name__} raised {type(exc).__name__}: {_text(exc)}"
                + _student_frames(exc.__traceback__, self.paths[key]),
                type(exc).__name__,
            ) from None
        return result


class _quiet:
    """Silence warnings and numpy floating-point reports around student code."""

    def __enter__(self) -> None:
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore")
        self._err = np.seterr(all="ignore")

    def __exit__(self, *exc: object) -> None:
        np.seterr(**self._err)
        self._warnings.__exit__(None, None, None)


class _Silence:
    """Keeps warnings and numpy's floating-point reports off for the whole process."""

    def __init__(self) -> None:
        self._filter: object = None
        self._errstate: object = None
        self._set()

    def again(self) -> None:
        """Silence both again if anything changed them; cheap when nothing did."""
        filters = warnings.filters
        if (
            _ERRSTATE is None
            or _ERRSTATE.get() is not self._errstate
            or not filters
            or filters[0] is not self._filter
        ):
            self._set()

    def _set(self) -> None:
        warnings.simplefilter("ignore")
        np.seterr(all="ignore")
        self._filter = warnings.filters[0]
        self._errstate = None if _ERRSTATE is None else _ERRSTATE.get()


# numpy keeps its floating-point error state in a context variable; each change sets a
# new value, so an unchanged identity means an unchanged state.
_ERRSTATE: contextvars.ContextVar[object] | None = getattr(
    getattr(getattr(np, "_core", None), "_multiarray_umath", None), "_extobj_contextvar", None
)


def _text(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:
        text = "(the exception's message could not be shown)"
    return text[:500]


def _not_plain(message: Any, problem: str) -> str:
    fn = message.get("fn", "the function") if isinstance(message, dict) else "the function"
    return (
        f"{fn} returned {problem}; return plain numpy arrays (np.asarray), tuples of them "
        "or Python numbers, as the docstring says"
    )


def _student_frames(tb: TracebackType | None, path: str) -> str:
    """The traceback lines that point into the student's own file."""
    lines = []
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == path:
            code = linecache.getline(path, lineno).strip()
            lines.append(f"\n  {Path(path).name} line {lineno}, in {frame.f_code.co_name}: {code}")
    return "".join(lines[-5:])
