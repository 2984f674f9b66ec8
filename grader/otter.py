"""Export the course to otter-grader: one Gradescope autograder per exercise.

``grader export otter OUT`` writes ``OUT/<id>/tests/<id>.py`` for every exercise, an otter
test file in the exception format with one test case per check (its points; hidden unless
the check is public), builds ``OUT/<id>/autograder.zip`` with ``otter generate`` and
explains both in ``OUT/README.md``.

Otter runs the student's module and its tests in one process, so the tests cannot use the
reference solution. The reference is graded here instead, in-process as the student
:data:`EXPORT_STUDENT` (fixed seeds and parameters), and every call each check made into
it is recorded with its answer. The test file carries the calls as data (an npz, base64
inside the file; no pickle) and replays them on the student's functions: hand-written
and ``matches_reference`` checks compare each answer with the reference's (``observe``
calls: the inputs must be unchanged), ``property`` checks evaluate their predicates and
``gradcheck`` checks take central differences of the student's own forward function.
Otter is never imported; only :func:`otter_command` looks for its command.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
import msgspec
import numpy as np
import pytest

from grader import wire
from grader.checkspec import GradcheckCheck, MatchesReferenceCheck, PropertyCheck
from grader.course import Check, Course, Exercise
from grader.errors import CourseError, GraderError
from grader.grading import grader_files, run_session
from grader.results import SubmissionResult
from grader.session import GradingSession
from grader.student import CallRecord, InProcessBackend, StudentModule
from grader.submission import Submission, locate_module
from grader.variants import ParamValue, resolve, resolve_params

__all__ = [
    "ATOL",
    "EXPORT_STUDENT",
    "RTOL",
    "OtterExport",
    "RecordedCall",
    "export_otter",
    "otter_cases",
    "otter_command",
    "record_reference",
    "render_test_file",
]

EXPORT_STUDENT = "otter-export"
RTOL, ATOL = 1e-6, 1e-9
KINK_STEP = 1e-12
INSTALL_HINT = "pip install -e '.[otter]'"


@dataclass(frozen=True)
class RecordedCall(CallRecord):
    """One call a check made into the reference solution, and its answer."""

    observe: bool = False
    # On a declared kink: the reference's answers just left and just right of it.
    alternatives: tuple[Any, ...] = ()


@dataclass(frozen=True)
class OtterExport:
    out: Path
    student: str
    seed: int
    test_files: dict[str, Path]
    zips: dict[str, Path] = field(default_factory=dict)


# -- recording the reference ------------------------------------------------------------


def _copy(value: Any) -> Any:
    return wire.decode(wire.encode(value, repeats=False))


class _Recorder:
    """Runs the reference in-process and keeps the calls of each check, in order."""

    layers: tuple[str, ...] = ("in-process",)

    def __init__(self, kinks: dict[tuple[str, str], tuple[float, ...]]) -> None:
        self.inner = InProcessBackend()
        self.kinks = kinks
        self.check: tuple[str, str] | None = None
        self.calls: dict[tuple[str, str], list[RecordedCall]] = {}

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        reply = self.inner.request(message, timeout)
        op = message.get("op")
        if self.check is None or "fault" in reply or op not in ("call", "map", "many"):
            return reply
        if op == "many":
            batch = list(message["calls"])
            results = reply["ok"]
        elif op == "map":
            batch = [(message["fn"], args, kwargs) for args, kwargs in message["calls"]]
            results = reply["ok"]
        else:
            batch = [(message["fn"], message["args"], message["kwargs"])]
            results = [reply["ok"]]
        kept = self.calls.setdefault(self.check, [])
        for (function, args, kwargs), result in zip(batch, results, strict=True):
            args, kwargs, result = _copy((tuple(args), dict(kwargs), result))
            observe = bool(message.get("inputs"))
            function = str(function)
            sides = self._one_sided(message, function, args, kwargs, timeout)
            kept.append(RecordedCall(function, args, kwargs, result, observe, sides))
        return reply

    def _one_sided(
        self,
        message: dict[str, Any],
        function: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        timeout: float,
    ) -> tuple[Any, ...]:
        """The reference's answers with every input on a kink moved just left, then right.

        A backward function may take either one-sided derivative exactly on a kink (ELU's
        at x = 0); the replay accepts both. Only a gradient check's backward function, its
        inputs after ``dout``, and the kinks that check declares, are considered.
        """
        kinks = self.kinks.get((str(message["key"]), function), ())
        on_kink = [
            isinstance(a, np.ndarray) and a.dtype.kind == "f" and bool(np.isin(a, kinks).any())
            for a in args
        ]
        if not kinks or not any(on_kink[1:]):
            return ()
        sides = []
        for step in (-KINK_STEP, KINK_STEP):
            moved = tuple(
                np.where(np.isin(a, kinks), a + step, a) if on_kink[i] and i > 0 else a
                for i, a in enumerate(args)
            )
            request = {**message, "op": "call", "fn": function, "args": moved, "kwargs": kwargs}
            request.pop("calls", None)
            reply = self.inner.request(request, timeout)
            if "fault" in reply:
                return ()
            sides.append(_copy(reply["ok"]))
        return tuple(sides)

    def close(self) -> None:
        self.inner.close()

    def output(self) -> str:
        return ""


class _RecordingSession(GradingSession):
    """A grading session that tells the recorder which check is running."""

    def __init__(self, course: Course, exercises: list[Exercise], recorder: _Recorder) -> None:
        self.finished: list[SubmissionResult] = []
        super().__init__(
            course,
            exercises,
            [Submission(EXPORT_STUDENT, course.root / "solutions")],
            lambda _submission: recorder,
            self.finished.append,
        )
        self.recorder = recorder

    def student_module(self, exercise: Exercise, check: Check | None = None) -> StudentModule:
        """The ``student`` fixture asks for the module as each check starts."""
        if check is not None:
            self.recorder.check = (exercise.id, check.name)
        return super().student_module(exercise, check)


def record_reference(
    course: Course, exercises: Iterable[str] = ()
) -> tuple[SubmissionResult, dict[tuple[str, str], list[RecordedCall]]]:
    """Grade the reference solutions as :data:`EXPORT_STUDENT`; return the result and calls."""
    selected = course.select(exercises)
    for exercise in selected:
        if locate_module(course.root / "solutions", exercise) != exercise.solution_path:
            raise CourseError(f"{exercise.solution_path} is missing")
    recorder = _Recorder(
        {
            (exercise.id, check.backward): tuple(check.kinks)
            for exercise in selected
            for check in exercise.checks
            if isinstance(check, GradcheckCheck) and check.kinks
        }
    )
    session = _RecordingSession(course, selected, recorder)
    code = run_session(course, grader_files(selected, False), session)
    if code == pytest.ExitCode.INTERRUPTED:
        raise KeyboardInterrupt
    if session.course_errors:
        raise CourseError("the course's graders are broken:\n" + "\n".join(session.course_errors))
    if session.failure is not None:
        raise session.failure
    (result,) = session.finished
    lost = [f"{c.exercise}/{c.name}" for e in result.exercises for c in e.checks if not c.passed]
    if lost:
        raise CourseError(
            "the reference solution does not pass every check, so its answers cannot be "
            "exported: " + ", ".join(lost)
        )
    return result, recorder.calls


# -- the test cases ---------------------------------------------------------------------


def _params(course: Course, exercise: Exercise, check: Check | None) -> dict[str, ParamValue]:
    """The parameters a check uses: the defaults if public, else those of the export."""
    who = "" if check is not None and check.public else EXPORT_STUDENT
    return resolve_params(exercise.parameters, course.title, exercise.id, who)


def _shown(params: dict[str, ParamValue]) -> str:
    return ", ".join(f"{k} = {v!r}" for k, v in params.items())


def _points(points: float) -> int | float:
    return int(points) if float(points).is_integer() else points


def _call_data(call: RecordedCall) -> dict[str, Any]:
    return dict(vars(call), args=list(call.args))


def otter_cases(
    course: Course, exercise: Exercise, calls: dict[tuple[str, str], list[RecordedCall]]
) -> list[dict[str, Any]]:
    """One case per check of *exercise*: how the generated test file replays it."""
    cases = []
    for check in exercise.checks:
        recorded = calls.get((exercise.id, check.name), [])
        base: dict[str, Any] = {
            "name": check.name,
            "points": _points(check.points),
            "hidden": not check.public,
            "hint": check.hint,
        }
        if isinstance(check, PropertyCheck):
            params = _params(course, exercise, check)
            expect = [resolve(msgspec.to_builtins(p), params) for p in check.expect]
            base.update(
                kind="property",
                function=check.function,
                output=check.output,
                names=list(check.inputs),
                expect=expect,
                calls=[_call_data(c) for c in recorded],
            )
        elif isinstance(check, GradcheckCheck) and check.numerical == "student":
            base.update(
                kind="gradcheck",
                forward=check.forward,
                backward=check.backward,
                names=list(check.inputs),
                positions=[list(check.inputs).index(w) for w in check.gradients],
                outputs=check.outputs,
                elementwise=check.elementwise,
                eps=check.eps,
                rtol=check.rtol,
                atol=check.atol,
                units=_gradcheck_units(check, recorded),
            )
        else:
            rtol, atol = RTOL, ATOL
            if isinstance(check, (MatchesReferenceCheck, GradcheckCheck)):
                rtol, atol = check.rtol, check.atol
            base.update(
                kind="replay", rtol=rtol, atol=atol, calls=[_call_data(c) for c in recorded]
            )
        if not base.get("calls", base.get("units")):
            raise CourseError(
                f"{exercise.id}/{check.name}: no call into the reference solution was recorded, "
                "so the check cannot be replayed in otter"
            )
        cases.append(base)
    return cases


def _gradcheck_units(check: GradcheckCheck, calls: Sequence[RecordedCall]) -> list[dict[str, Any]]:
    """Each run of a gradcheck: its inputs, keywords and dout, as its backward call had them."""
    return [
        {"args": list(call.args[1:]), "kwargs": call.kwargs, "dout": call.args[0]}
        for call in calls
        if call.function == check.backward and call.args
    ]


class _Packer:
    """Plain data as JSON; the arrays' elements in one flat array per dtype, stored as npz."""

    def __init__(self) -> None:
        self.chunks: dict[str, list[np.ndarray]] = {}
        self.sizes: dict[str, int] = {}
        self.seen: dict[tuple[str, tuple[int, ...], bytes], list[Any]] = {}

    def value(self, value: Any) -> Any:
        if isinstance(value, np.ndarray):
            content = (value.dtype.name, value.shape, value.tobytes())
            if content not in self.seen:
                kind = value.dtype.name
                offset = self.sizes.get(kind, 0)
                self.chunks.setdefault(kind, []).append(value.ravel())
                self.sizes[kind] = offset + value.size
                self.seen[content] = [kind, offset, list(value.shape)]
            return {"array": self.seen[content]}
        if isinstance(value, tuple):
            return {"tuple": [self.value(v) for v in value]}
        if isinstance(value, dict):
            return {"dict": {str(k): self.value(v) for k, v in value.items()}}
        if isinstance(value, float) and not math.isfinite(value):
            return {"float": repr(value)}
        return value

    def call(self, call: dict[str, Any]) -> dict[str, Any]:
        """A recorded call or a gradcheck run, its values packed."""
        packed = {k: self.value(v) if k in ("result", "dout") else v for k, v in call.items()}
        if "alternatives" in call:
            packed["alternatives"] = [self.value(v) for v in call["alternatives"]]
        packed["args"] = [self.value(a) for a in call["args"]]
        packed["kwargs"] = {k: self.value(v) for k, v in call["kwargs"].items()}
        return packed

    def blob(self, cases: list[dict[str, Any]]) -> str:
        runs = ("calls", "units")
        spec = {
            "cases": [{k: [self.call(c) for c in v] if k in runs else v for k, v in case.items()}
                      for case in cases]
        }  # fmt: skip
        text = json.dumps(spec, allow_nan=False).encode("utf-8")
        buffer = io.BytesIO()
        arrays = {kind: np.concatenate(chunks) for kind, chunks in self.chunks.items()}
        arrays["spec"] = np.frombuffer(text, dtype=np.uint8)
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as npz:
            for key, array in arrays.items():
                with npz.open(f"{key}.npy", "w") as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)
        return base64.encodebytes(buffer.getvalue()).decode("ascii")


def render_test_file(course: Course, exercise: Exercise, cases: list[dict[str, Any]]) -> str:
    """The otter test file of *exercise*, with *cases* embedded as data."""
    hidden = any(not c.public for c in exercise.checks)
    return _template("test_file.py.j2").render(
        exercise_id=exercise.id,
        title=exercise.title,
        course=course.title,
        version=course.version,
        student=EXPORT_STUDENT,
        params=_shown(_params(course, exercise, None)) if hidden else "",
        data=_Packer().blob(cases),
        cases=cases,
    )


# -- the export -------------------------------------------------------------------------


def otter_command() -> str:
    """The ``otter`` executable: beside this Python first, then on PATH."""
    beside = Path(sys.executable).parent / "otter"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("otter")
    if found is None:
        raise GraderError(
            "otter-grader is not installed, so no autograder.zip can be built; install it "
            f"with {INSTALL_HINT} (or pass --no-zip to write only the test files)"
        )
    return found


def export_otter(
    course: Course,
    out: Path,
    *,
    exercises: Iterable[str] = (),
    build_zips: bool = True,
    force: bool = False,
) -> OtterExport:
    """Write one otter assignment per exercise to *out*; build the zips with otter."""
    selected = course.select(exercises)
    command = otter_command() if build_zips else ""
    targets = [out / e.id for e in selected] + [out / "README.md"]
    present = [t for t in targets if t.exists()]
    if present and not force:
        raise GraderError(f"{present[0]} exists; remove it or pass --force to replace it")
    for target in present:
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
    result, calls = record_reference(course, [e.id for e in selected])
    made = OtterExport(out, EXPORT_STUDENT, int(result.seed or 0), {})
    for exercise in selected:
        tests = out / exercise.id / "tests"
        tests.mkdir(parents=True)
        path = tests / f"{exercise.id}.py"
        cases = otter_cases(course, exercise, calls)
        path.write_text(render_test_file(course, exercise, cases), encoding="utf-8")
        made.test_files[exercise.id] = path
        if build_zips:
            made.zips[exercise.id] = _generate(command, out / exercise.id)
    _write_readme(course, selected, made)
    return made


def _generate(command: str, folder: Path) -> Path:
    done = subprocess.run(
        [command, "generate", "--no-config", "--no-requirements", "--no-environment",
         "-t", "tests", "-o", "autograder.zip"],
        cwd=folder, capture_output=True, text=True, check=False,
    )  # fmt: skip
    zipped = folder / "autograder.zip"
    if done.returncode != 0 or not zipped.is_file():
        output = (done.stderr or done.stdout)[-2000:]
        raise GraderError(f"otter generate failed in {folder} ({done.returncode}):\n{output}")
    return zipped


def _write_readme(course: Course, exercises: list[Exercise], made: OtterExport) -> None:
    rows = [
        dict(
            id=e.id,
            title=e.title,
            module=e.module,
            cases=len(e.checks),
            public=sum(1 for c in e.checks if c.public),
            points=f"{sum(c.points for c in e.checks):g}",
            params=_shown(_params(course, e, None)),
            replayed=[c.name for c in e.checks if not c.declarative],
        )
        for e in exercises
    ]
    text = _template("README.md.j2").render(
        title=course.title,
        version=course.version,
        student=EXPORT_STUDENT,
        seed=made.seed,
        exercises=rows,
        zips=bool(made.zips),
        rtol=f"{RTOL:g}",
        atol=f"{ATOL:g}",
    )
    (made.out / "README.md").write_text(text, encoding="utf-8")


def _template(name: str) -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(files("grader") / "templates" / "otter")),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    return env.get_template(name)
