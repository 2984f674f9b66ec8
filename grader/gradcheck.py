"""Numerical gradient checks: float64 central differences, results returned as data.

* :func:`numerical_elementwise` gets every per-element derivative of an
  elementwise function from two forward calls, ``f(x + h)`` and ``f(x - h)``.
* :func:`numerical_vjp` gets ``dL/d arg`` for ``L = sum(dout * f(args))`` by
  perturbing each element of one argument, or of several; all the perturbed
  inputs go to the forward function in one batched call.
* :func:`compare_gradients` returns a :class:`GradCheckResult`: which elements
  disagree, the numerical and the analytic value, the largest relative error.
* :func:`expect_vjp` checks analytic gradients against central differences, first
  along two random directions (four forward calls whatever the size), and element
  by element only when that does not settle it; :func:`expect_vjps` does it for
  several :class:`VJPCase` at once, with all their screens in one batch.

Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from grader.compare import expect_array, mismatch_table
from grader.errors import CheckFailure

__all__ = [
    "GradCheckResult",
    "VJPCase",
    "compare_gradients",
    "elementwise_derivative",
    "expect_vjp",
    "expect_vjps",
    "numerical_elementwise",
    "numerical_vjp",
    "relative_error",
    "sample_away_from_kinks",
]

H = 1e-6
# The screen's tolerance, as a fraction of the element-by-element one (see expect_vjp).
SCREEN_FRACTION = 0.1
SCREEN_DIRECTIONS = 2
_SCREEN_SEED = 20261202


def numerical_elementwise(
    forward: Callable[[Any], Any],
    x: np.ndarray,
    *,
    h: float = H,
    name: str = "",
    batched: bool = False,
) -> np.ndarray:
    """Per-element derivative f'(x) of an elementwise *forward*, from two calls.

    With *batched*, *forward* takes a list of inputs and returns the list of outputs
    (a ``student.map``, say), and both probes are made in one call. *name* is how
    messages call the forward function (default: its ``__name__``).
    """
    x = np.asarray(x, dtype=np.float64)
    name = name or getattr(forward, "__name__", "the forward function")
    if batched:
        outputs = forward([x + h, x - h])
        if len(outputs) != 2:
            raise CheckFailure(f"{name}: {len(outputs)} results for 2 inputs")
    else:
        outputs = [forward(x + h), forward(x - h)]
    return elementwise_derivative(outputs[0], outputs[1], x, h=h, name=name)


def elementwise_derivative(
    plus: Any, minus: Any, x: np.ndarray, *, h: float = H, name: str = "the forward function"
) -> np.ndarray:
    """f'(x) from *plus* = f(x + h) and *minus* = f(x - h), each checked to be an array of
    x's shape; for graders that ask for the two probes together with other calls."""
    shape = np.shape(x)
    high, low = (
        expect_array(out, name=name, shape=shape).astype(np.float64) for out in (plus, minus)
    )
    derivative: np.ndarray = (high - low) / (2 * h)
    return derivative


@overload
def numerical_vjp(
    forward_many: Callable[[Sequence[tuple[Any, ...]]], Sequence[Any]],
    args: tuple[Any, ...],
    wrt: int,
    dout: np.ndarray,
    *,
    h: float = H,
    name: str = "the forward function",
) -> np.ndarray: ...


@overload
def numerical_vjp(
    forward_many: Callable[[Sequence[tuple[Any, ...]]], Sequence[Any]],
    args: tuple[Any, ...],
    wrt: Sequence[int],
    dout: np.ndarray,
    *,
    h: float = H,
    name: str = "the forward function",
) -> tuple[np.ndarray, ...]: ...


def numerical_vjp(
    forward_many: Callable[[Sequence[tuple[Any, ...]]], Sequence[Any]],
    args: tuple[Any, ...],
    wrt: int | Sequence[int],
    dout: np.ndarray,
    *,
    h: float = H,
    name: str = "the forward function",
) -> np.ndarray | tuple[np.ndarray, ...]:
    """``dL/d args[wrt]`` for ``L = sum(dout * f(*args))`` by central differences.

    *forward_many* takes a list of argument tuples and returns the list of
    outputs, so that all ``2 * args[wrt].size`` evaluations cost one call. With a
    sequence of positions for *wrt*, the gradients of all of them come from one
    call of *forward_many* and are returned as a tuple, in that order.
    *name* is how messages call the forward function.
    """
    positions = (wrt,) if isinstance(wrt, int) else tuple(wrt)
    bases = [np.asarray(args[at], dtype=np.float64) for at in positions]
    calls: list[tuple[Any, ...]] = []
    for at, base in zip(positions, bases, strict=True):
        for index in np.ndindex(base.shape):
            for step in (h, -h):
                moved = base.copy()
                moved[index] += step
                calls.append((*args[:at], moved, *args[at + 1 :]))
    if not calls:
        zeros = tuple(np.zeros_like(base) for base in bases)
        return zeros[0] if isinstance(wrt, int) else zeros
    upstream = np.asarray(dout, dtype=np.float64).ravel()
    outputs = [expect_array(out, name=name, shape=np.shape(dout)) for out in forward_many(calls)]
    grads = []
    start = 0
    for base in bases:
        count = 2 * base.size
        if not count:
            grads.append(np.zeros_like(base))
            continue
        mine = outputs[start : start + count]
        start += count
        stacked = np.stack(mine).astype(np.float64, copy=False).reshape(count, -1)
        grad: np.ndarray = ((stacked[0::2] - stacked[1::2]) @ upstream) / (2 * h)
        grads.append(grad.reshape(base.shape))
    return grads[0] if isinstance(wrt, int) else tuple(grads)


@dataclass(frozen=True)
class VJPCase:
    """One gradient check of :func:`expect_vjps`.

    ``analytic[i]`` must be ``dL/d args[wrt[i]]`` for ``L = sum(dout * f(args))``;
    ``names[i]`` is what messages call it, and *forward* is what they call ``f``.
    """

    args: tuple[Any, ...]
    wrt: Sequence[int]
    dout: np.ndarray
    analytic: Sequence[Any]
    names: Sequence[str]
    forward: str = "the forward function"


def expect_vjp(
    forward_many: Callable[[Sequence[tuple[Any, ...]]], Sequence[Any]],
    args: tuple[Any, ...],
    wrt: Sequence[int],
    dout: np.ndarray,
    analytic: Sequence[Any],
    *,
    names: Sequence[str],
    h: float = H,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    name: str = "the forward function",
) -> None:
    """Require ``analytic[i]`` to be ``dL/d args[wrt[i]]`` for ``L = sum(dout * f(args))``.

    The verdict is :func:`compare_gradients`'s for every gradient; ``names[i]`` is
    what its messages call gradient ``i``, which must be an array of the shape of
    ``args[wrt[i]]``. It is reached in two steps:

    1. The screen: for each of :data:`SCREEN_DIRECTIONS` random directions ``v`` (a
       normal array per argument in *wrt*, all moved together), the directional
       derivative of ``L`` from ``f(args + h v)`` and ``f(args - h v)`` must equal
       ``sum(analytic * v)`` within ``SCREEN_FRACTION * sum(|v| * (atol + rtol *
       |analytic|))``, a tenth of what the element-by-element comparison allows.
       That is four forward calls, in one batch, whatever the arguments' size. When
       all directions agree, the gradients pass: a wrong gradient ``g + e`` agrees
       only if ``sum(e * v)`` nearly vanishes for every direction, which for normal
       ``v`` has a probability of order ``(tolerance / |e|) ** 2``.
    2. Otherwise (a wrong gradient, but also a NaN, rounding in a large output, or
       a kink near the input) :func:`numerical_vjp` probes every element, and the
       first gradient that :func:`compare_gradients` rejects raises its
       :class:`CheckFailure`, with the mismatched elements.
    """
    __tracebackhide__ = True
    case = VJPCase(tuple(args), tuple(wrt), dout, tuple(analytic), tuple(names), name)
    expect_vjps(forward_many, [case], h=h, rtol=rtol, atol=atol)


def expect_vjps(
    forward_many: Callable[[Sequence[tuple[Any, ...]]], Sequence[Any]],
    cases: Sequence[VJPCase],
    *,
    h: float = H,
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> None:
    """:func:`expect_vjp` for several cases, with all their screens in one batch.

    *forward_many* gets the screens' calls of every case (four each) at once, so a
    check of five shapes costs one round trip instead of five. A case whose screen
    does not agree is then probed element by element on its own, and the first
    failing gradient, in the order of *cases*, raises.
    """
    __tracebackhide__ = True
    for case in cases:
        if not len(case.wrt) == len(case.analytic) == len(case.names):
            raise ValueError("expect_vjp needs one analytic gradient and one name per position")
    bases = [[np.asarray(case.args[at], dtype=np.float64) for at in case.wrt] for case in cases]
    directions = [_directions(mine) for mine in bases]
    calls: list[tuple[Any, ...]] = []
    for case, mine, theirs in zip(cases, bases, directions, strict=True):
        for vs in theirs:
            for step in (h, -h):
                moved = list(case.args)
                for at, base, v in zip(case.wrt, mine, vs, strict=True):
                    moved[at] = base + step * v
                calls.append(tuple(moved))
    answers = forward_many(calls) if calls else []
    if len(answers) != len(calls):
        raise CheckFailure(f"{len(answers)} results for {len(calls)} inputs")
    per_case = 2 * SCREEN_DIRECTIONS
    for k, (case, mine, theirs) in enumerate(zip(cases, bases, directions, strict=True)):
        outputs = [
            expect_array(out, name=case.forward, shape=np.shape(case.dout))
            for out in answers[k * per_case : (k + 1) * per_case]
        ]
        grads = [
            expect_array(grad, name=label, shape=base.shape).astype(np.float64)
            for grad, label, base in zip(case.analytic, case.names, mine, strict=True)
        ]
        if _screen_agrees(outputs, theirs, case.dout, grads, h, rtol, atol):
            continue
        numericals = numerical_vjp(
            forward_many, case.args, tuple(case.wrt), case.dout, h=h, name=case.forward
        )
        for numerical, grad, label in zip(numericals, grads, case.names, strict=True):
            compare_gradients(numerical, grad, name=label, rtol=rtol, atol=atol).raise_for_failure()


def _directions(bases: Sequence[np.ndarray]) -> list[list[np.ndarray]]:
    """The screen's directions for arguments shaped as *bases*: the same for the same shapes."""
    generator = np.random.default_rng(_SCREEN_SEED)
    return [
        [generator.standard_normal(base.shape) for base in bases] for _ in range(SCREEN_DIRECTIONS)
    ]


def _screen_agrees(
    outputs: Sequence[np.ndarray],
    directions: Sequence[Sequence[np.ndarray]],
    dout: np.ndarray,
    grads: Sequence[np.ndarray],
    h: float,
    rtol: float,
    atol: float,
) -> bool:
    """Whether every direction's central difference matches the projected gradients."""
    upstream = np.asarray(dout, dtype=np.float64).ravel()
    flat_grads = [g.ravel() for g in grads]
    with np.errstate(all="ignore"):
        for k, vs in enumerate(directions):
            plus, minus = (
                np.asarray(o, dtype=np.float64).ravel() for o in outputs[2 * k : 2 * k + 2]
            )
            numerical = float((plus - minus) @ upstream) / (2 * h)
            projected = 0.0
            allowed = 0.0
            for g, v in zip(flat_grads, vs, strict=True):
                flat = v.ravel()
                projected += float(g @ flat)
                allowed += float(np.abs(flat) @ (atol + rtol * np.abs(g)))
            if not abs(numerical - projected) <= SCREEN_FRACTION * allowed:
                return False
    return True


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-12) -> np.ndarray:
    """``|a - b| / max(|a|, |b|, floor)`` element by element."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    error: np.ndarray = np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    return error


@dataclass(frozen=True)
class GradCheckResult:
    """The comparison of a numerical and an analytic gradient."""

    name: str
    numerical: np.ndarray
    analytic: np.ndarray
    mismatched: np.ndarray  # boolean mask, same shape as the gradient
    max_rel_error: float
    rtol: float

    @property
    def passed(self) -> bool:
        return not bool(self.mismatched.any())

    @property
    def mismatched_indices(self) -> list[tuple[int, ...]]:
        return [tuple(int(i) for i in idx) for idx in np.argwhere(self.mismatched)]

    def raise_for_failure(self) -> None:
        """Raise a :class:`CheckFailure` describing the mismatch, if any."""
        __tracebackhide__ = True
        if self.passed:
            return
        count = int(self.mismatched.sum())
        raise CheckFailure(
            f"{self.name}: {count} of {self.mismatched.size} gradient values disagree with "
            f"central differences (max relative error {self.max_rel_error:.3g}; "
            f"allowed {self.rtol:g})",
            revealing=mismatch_table(
                self.numerical, self.analytic, self.mismatched, labels=("numerical", "yours")
            ),
            data={
                "kind": "gradcheck",
                "numerical": self.numerical.ravel()[:400].tolist(),
                "analytic": self.analytic.ravel()[:400].tolist(),
                "mismatched": self.mismatched.ravel()[:400].tolist(),
            },
        )


def compare_gradients(
    numerical: np.ndarray,
    analytic: Any,
    *,
    name: str,
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> GradCheckResult:
    """Compare gradients; an element fails when ``|num - ana| > atol + rtol * |num|``."""
    numerical = np.asarray(numerical, dtype=np.float64)
    analytic_arr = expect_array(analytic, name=name, shape=numerical.shape).astype(np.float64)
    with np.errstate(all="ignore"):
        bad = ~(np.abs(numerical - analytic_arr) <= atol + rtol * np.abs(numerical))
    rel = relative_error(numerical, analytic_arr)
    rel = np.where(np.isfinite(rel), rel, np.inf)
    return GradCheckResult(
        name=name,
        numerical=numerical,
        analytic=analytic_arr,
        mismatched=bad,
        max_rel_error=float(rel.max()) if rel.size else 0.0,
        rtol=rtol,
    )


def sample_away_from_kinks(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    *,
    kinks: Sequence[float] = (),
    margin: float = 1e-3,
    scale: float = 1.0,
) -> np.ndarray:
    """Normal samples of *scale*, none within *margin* of any point in *kinks*."""
    x = rng.normal(0.0, scale, size=shape)
    for kink in kinks:
        near = np.abs(x - kink) < margin
        x[near] = kink + np.where(x[near] >= kink, margin, -margin) * 2
    return x
