"""The built-in predicates of ``kind: property`` checks, as functions that raise CheckFailure.

Each predicate looks at one call: the output, the inputs as they were before
the call and (for ``no_mutation``) as they were after it. Messages say what is
wrong in terms of the exercise and never show a reference solution's values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.checkspec import (
    Dtype,
    Equals,
    Finite,
    MixedSigns,
    NoMutation,
    Predicate,
    Range,
    Saturation,
    Shape,
    SingleSign,
    ZeroMean,
)
from grader.compare import expect_array
from grader.errors import CheckFailure
from grader.variants import ParamValue, resolve

__all__ = ["CallView", "check_predicate"]


@dataclass(frozen=True)
class CallView:
    """One call of the student's function as a predicate sees it."""

    call: str  # how the call is named in messages, e.g. "sigmoid_backward(dout, x)"
    output: Any
    inputs: Mapping[str, Any]
    after: Mapping[str, Any]
    params: Mapping[str, ParamValue]


def check_predicate(predicate: Predicate, view: CallView) -> None:
    """Raise :class:`CheckFailure` unless *predicate* holds for *view*."""
    __tracebackhide__ = True
    _CHECKS[type(predicate)](predicate, view)


def _fail(predicate: Predicate, text: str) -> None:
    raise CheckFailure(predicate.message or text)


def _number(predicate: Predicate, value: Any, view: CallView) -> float:
    return float(resolve(value, view.params))


def _array(view: CallView) -> np.ndarray:
    out = expect_array(view.output, name=view.call)
    return np.asarray(out, dtype=np.float64)


def _finite(predicate: Finite, view: CallView) -> None:
    out = _array(view)
    bad = int(np.sum(~np.isfinite(out)))
    if bad:
        _fail(
            predicate, f"{view.call}: {bad} of {out.size} values are nan or inf; all must be finite"
        )


def _range(predicate: Range, view: CallView) -> None:
    out = _array(view)
    if predicate.min is not None:
        low = _number(predicate, predicate.min, view)
        below = int(np.sum(~(out >= low - predicate.tol)))
        if below:
            _fail(predicate, f"{view.call}: {below} of {out.size} values are below {low:g}")
    if predicate.max is not None:
        high = _number(predicate, predicate.max, view)
        above = int(np.sum(~(out <= high + predicate.tol)))
        if above:
            _fail(predicate, f"{view.call}: {above} of {out.size} values are above {high:g}")


def _equals(predicate: Equals, view: CallView) -> None:
    out = _array(view)
    value = _number(predicate, predicate.value, view)
    with np.errstate(all="ignore"):
        close = np.abs(out - value) <= predicate.atol + predicate.rtol * abs(value)
    wrong = int(np.sum(~close))
    if wrong:
        _fail(predicate, f"{view.call}: {wrong} of {out.size} values are not {value:g}")


def _saturation(predicate: Saturation, view: CallView) -> None:
    out = _array(view)
    level = _number(predicate, predicate.level, view)
    with np.errstate(all="ignore"):
        off = int(np.sum(~(np.abs(out - level) <= predicate.atol)))
    if off:
        _fail(
            predicate,
            f"{view.call}: for these inputs the function is saturated and its values must be "
            f"within {predicate.atol:g} of {level:g}, but {off} of {out.size} are not",
        )


def _zero_mean(predicate: ZeroMean, view: CallView) -> None:
    out = _array(view)
    if predicate.axis is not None and not -out.ndim <= predicate.axis < out.ndim:
        _fail(
            predicate,
            f"{view.call} returned {out.ndim} dimension(s), too few for axis {predicate.axis}",
        )
    mean = np.mean(out, axis=predicate.axis)
    off = int(np.sum(~(np.abs(mean) <= predicate.atol)))
    if off:
        where = "overall" if predicate.axis is None else f"along axis {predicate.axis}"
        _fail(
            predicate,
            f"{view.call}: the mean {where} is not 0 in {off} of {np.size(mean)} places "
            f"(largest |mean| {float(np.max(np.abs(mean))):.3g})",
        )


def _signs(out: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    positive = np.any(out > 0, axis=axis)
    negative = np.any(out < 0, axis=axis)
    return positive, negative


def _single_sign(predicate: SingleSign, view: CallView) -> None:
    out = _array(view)
    if out.ndim < 2:
        _fail(predicate, f"{view.call} returned {out.ndim} dimension(s); expected a 2-d array")
    positive, negative = _signs(out, predicate.axis)
    mixed = int(np.sum(positive & negative))
    if mixed:
        unit = "columns" if predicate.axis == 0 else "rows"
        _fail(
            predicate,
            f"{view.call}: {mixed} of {positive.size} {unit} hold both positive and negative "
            "values; each should have a single sign",
        )


def _mixed_signs(predicate: MixedSigns, view: CallView) -> None:
    out = _array(view)
    if out.ndim < 2:
        _fail(predicate, f"{view.call} returned {out.ndim} dimension(s); expected a 2-d array")
    positive, negative = _signs(out, predicate.axis)
    if not bool(np.any(positive & negative)):
        unit = "column" if predicate.axis == 0 else "row"
        _fail(predicate, f"{view.call}: no {unit} holds both positive and negative values")


def _shape(predicate: Shape, view: CallView) -> None:
    if predicate.like is not None:
        want = tuple(np.shape(view.inputs[predicate.like]))
        what = f"the shape of {predicate.like}, {want}"
    else:
        want = tuple(predicate.shape or ())
        what = str(want)
    got = expect_array(view.output, name=view.call)
    if got.shape != want:
        _fail(predicate, f"{view.call} returned shape {got.shape}; expected {what}")


_KINDS = {"float": "f", "integer": "iu", "bool": "b"}


def _dtype(predicate: Dtype, view: CallView) -> None:
    got = expect_array(view.output, name=view.call, kinds="fiubc")
    if got.dtype.kind not in _KINDS[predicate.kind]:
        _fail(
            predicate, f"{view.call} returned dtype {got.dtype}; expected a {predicate.kind} array"
        )


def _no_mutation(predicate: NoMutation, view: CallView) -> None:
    for name, before in view.inputs.items():
        after = view.after.get(name, before)
        if isinstance(before, np.ndarray) and not (
            isinstance(after, np.ndarray) and np.array_equal(before, after, equal_nan=True)
        ):
            _fail(predicate, f"{view.call} changed its input {name}; work on a new array instead")


_CHECKS: dict[type, Callable[[Any, CallView], None]] = {
    Finite: _finite,
    Range: _range,
    Equals: _equals,
    Saturation: _saturation,
    ZeroMean: _zero_mean,
    SingleSign: _single_sign,
    MixedSigns: _mixed_signs,
    Shape: _shape,
    Dtype: _dtype,
    NoMutation: _no_mutation,
}
