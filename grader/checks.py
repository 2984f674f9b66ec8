"""Declarative checks: what ``gradcheck``, ``matches_reference`` and ``property`` do.

:func:`run_check` runs one check of ``exercise.yml`` with the values of the fixtures
a hand-written grader would ask for. The pytest session collects each declarative
check as an item that calls it (:class:`grader.session.ExerciseChecksFile`); the
quick runner of ``grader check`` calls it directly (:mod:`grader.quick`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from grader.checkspec import (
    DeclarativeCheck,
    GradcheckCheck,
    InputSpec,
    MatchesReferenceCheck,
    NoMutation,
    PropertyCheck,
)
from grader.compare import expect_close, expected_value
from grader.errors import CheckFailure, CourseError
from grader.gradcheck import (
    compare_gradients,
    elementwise_derivative,
    expect_vjp,
    numerical_elementwise,
)
from grader.inputs import draw_input, draw_inputs
from grader.predicates import CallView, check_predicate
from grader.student import StudentModule
from grader.variants import ParamValue, resolve

__all__ = ["needs_reference", "run_check"]

Params = Mapping[str, ParamValue]


def needs_reference(check: DeclarativeCheck) -> bool:
    """Whether *check* compares with the reference solution (then it needs that fixture)."""
    return isinstance(check, MatchesReferenceCheck) or (
        isinstance(check, GradcheckCheck) and check.numerical == "reference"
    )


def run_check(
    check: DeclarativeCheck,
    student: StudentModule,
    rng: np.random.Generator,
    params: Params,
    reference: ModuleType | None,
) -> None:
    """Run one declarative check; raise CheckFailure (or a StudentFault) when it fails."""
    __tracebackhide__ = True
    if isinstance(check, MatchesReferenceCheck):
        _matches_reference(check, student, rng, params, _required(reference))
        return
    for kwargs_spec in check.kwargs_sets:
        kwargs = resolve(kwargs_spec, params)
        for _ in range(check.cases):
            if isinstance(check, GradcheckCheck):
                _gradcheck(check, student, rng, params, kwargs, reference)
            elif isinstance(check, PropertyCheck):
                _property(check, student, rng, params, kwargs)


def _required(reference: ModuleType | None) -> ModuleType:
    if reference is None:
        raise CourseError("this check needs the reference solution, which is not available")
    return reference


def _call_text(function: str, names: Sequence[str], kwargs: Mapping[str, Any]) -> str:
    shown = [*names, *(f"{k}={v!r}" for k, v in kwargs.items())]
    return f"{function}({', '.join(shown)})"


def _gradcheck(
    check: GradcheckCheck,
    student: StudentModule,
    rng: np.random.Generator,
    params: Params,
    kwargs: Mapping[str, Any],
    reference: ModuleType | None,
) -> None:
    __tracebackhide__ = True
    args = draw_inputs(
        check.inputs,
        rng,
        params,
        avoid=check.kinks,
        avoid_in=check.gradients,
        margin=check.margin,
    )
    names = list(args)
    values = list(args.values())
    if check.elementwise and check.numerical == "student":
        _elementwise_gradcheck(check, student, rng, params, kwargs, names, values)
        return
    if check.numerical == "reference":
        trusted = getattr(_required(reference), check.forward)

        def forward(*a: Any) -> Any:
            with np.errstate(all="ignore"):
                return trusted(*a, **kwargs)

        def forward_many(calls: Sequence[tuple[Any, ...]]) -> list[Any]:
            return [forward(*c) for c in calls]

    else:

        def forward(*a: Any) -> Any:
            return student.call(check.forward, *a, **kwargs)

        def forward_many(calls: Sequence[tuple[Any, ...]]) -> list[Any]:
            return student.map(check.forward, calls, kwargs)

    output = forward(*values)
    if not isinstance(output, np.ndarray):
        raise CheckFailure(
            f"{_call_text(check.forward, names, kwargs)} returned "
            f"{type(output).__name__}, expected an ndarray"
        )
    dout_spec = check.dout or InputSpec()
    dout = draw_input(dout_spec, rng, params, shape=output.shape)
    grads = student.call(check.backward, dout, *values, **kwargs)
    call = _call_text(check.backward, ["dout", *names], kwargs)
    analytics = [_analytic(check, grads, index, call) for index in range(len(check.gradients))]
    labels = [
        call if len(check.gradients) == 1 else f"{call}, gradient of {wrt}"
        for wrt in check.gradients
    ]
    forward_text = _call_text(check.forward, names, kwargs)
    if not check.elementwise:
        expect_vjp(
            forward_many,
            tuple(values),
            [names.index(wrt) for wrt in check.gradients],
            dout,
            analytics,
            names=labels,
            h=check.eps,
            rtol=check.rtol,
            atol=check.atol,
            name=forward_text,
        )
        return
    for wrt, analytic, label in zip(check.gradients, analytics, labels, strict=True):
        position = names.index(wrt)

        def moved(zs: Sequence[np.ndarray], at: int = position) -> list[Any]:
            return forward_many([(*values[:at], z, *values[at + 1 :]) for z in zs])

        numerical = dout * numerical_elementwise(
            moved, values[position], h=check.eps, name=forward_text, batched=True
        )
        compare_gradients(
            numerical, analytic, name=label, rtol=check.rtol, atol=check.atol
        ).raise_for_failure()


def _elementwise_gradcheck(
    check: GradcheckCheck,
    student: StudentModule,
    rng: np.random.Generator,
    params: Params,
    kwargs: Mapping[str, Any],
    names: list[str],
    values: list[Any],
) -> None:
    """An elementwise gradient check of the student's own forward, in one round trip.

    The output has the inputs' broadcast shape, so ``dout`` is drawn without a forward
    call, and the backward call goes with the two probes of each gradient.
    """
    __tracebackhide__ = True
    shape = np.broadcast_shapes(*(np.shape(v) for v in values))
    dout = draw_input(check.dout or InputSpec(), rng, params, shape=shape)
    calls = [(check.backward, (dout, *values), kwargs)]
    at_of = {wrt: names.index(wrt) for wrt in check.gradients}
    for at in at_of.values():
        for step in (check.eps, -check.eps):
            moved = np.asarray(values[at], dtype=np.float64) + step
            calls.append((check.forward, (*values[:at], moved, *values[at + 1 :]), kwargs))
    grads, *probes = student.many(calls)
    call = _call_text(check.backward, ["dout", *names], kwargs)
    forward_text = _call_text(check.forward, names, kwargs)
    for index, wrt in enumerate(check.gradients):
        analytic = _analytic(check, grads, index, call)
        label = call if len(check.gradients) == 1 else f"{call}, gradient of {wrt}"
        plus, minus = probes[2 * index : 2 * index + 2]
        numerical = dout * elementwise_derivative(
            plus, minus, values[at_of[wrt]], h=check.eps, name=forward_text
        )
        compare_gradients(
            numerical, analytic, name=label, rtol=check.rtol, atol=check.atol
        ).raise_for_failure()


def _analytic(check: GradcheckCheck, grads: Any, index: int, call: str) -> Any:
    """The backward's gradient of ``check.gradients[index]``: all of it, or one of a tuple."""
    __tracebackhide__ = True
    if check.outputs is None:
        return grads
    wanted = check.outputs[index]
    if not isinstance(grads, tuple) or not -len(grads) <= wanted < len(grads):
        raise CheckFailure(
            f"{call} should return a tuple with the gradient of {check.gradients[index]} "
            f"at position {wanted}; it returned {type(grads).__name__}"
        )
    return grads[wanted]


def _matches_reference(
    check: MatchesReferenceCheck,
    student: StudentModule,
    rng: np.random.Generator,
    params: Params,
    reference: ModuleType,
) -> None:
    """Every case of every keyword set, asked in one round trip, checked in that order."""
    __tracebackhide__ = True
    cases = []
    for kwargs_spec in check.kwargs_sets:
        kwargs = resolve(kwargs_spec, params)
        for _ in range(check.cases):
            cases.append((draw_inputs(check.inputs, rng, params), kwargs))
    answers = student.batch(
        check.function, [(tuple(args.values()), kwargs) for args, kwargs in cases]
    )
    for (args, kwargs), got in zip(cases, answers, strict=True):
        values = list(args.values())
        call = _call_text(check.function, list(args), kwargs)
        want = expected_value(getattr(reference, check.function), values, kwargs)
        if isinstance(want, tuple):
            if not isinstance(got, tuple) or len(got) != len(want):
                raise CheckFailure(
                    f"{call} should return a tuple of {len(want)} values; it returned "
                    f"{type(got).__name__}"
                )
            for index, (mine, theirs) in enumerate(zip(got, want, strict=True)):
                expect_close(
                    mine, theirs, name=f"{call}[{index}]", rtol=check.rtol, atol=check.atol
                )
        else:
            expect_close(got, want, name=call, rtol=check.rtol, atol=check.atol)


def _property(
    check: PropertyCheck,
    student: StudentModule,
    rng: np.random.Generator,
    params: Params,
    kwargs: Mapping[str, Any],
) -> None:
    __tracebackhide__ = True
    args = draw_inputs(check.inputs, rng, params)
    values = list(args.values())
    call = _call_text(check.function, list(args), kwargs)
    after: dict[str, Any] = {}
    if any(isinstance(p, NoMutation) for p in check.expect):
        seen = student.observe(check.function, *values, **kwargs)
        output = seen.result
        after = dict(zip(args, seen.args, strict=False))
    else:
        output = student.call(check.function, *values, **kwargs)
    if check.output is not None:
        if not isinstance(output, tuple) or not -len(output) <= check.output < len(output):
            raise CheckFailure(
                f"{call} should return a tuple with at least {check.output + 1} values; "
                f"it returned {type(output).__name__}"
            )
        output = output[check.output]
        call = f"{call}[{check.output}]"
    view = CallView(call=call, output=output, inputs=args, after=after, params=params)
    for predicate in check.expect:
        check_predicate(predicate, view)
