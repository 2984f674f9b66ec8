"""Comparison helpers for graders, with messages in the style of pytest's ``approx``.

Each helper returns normally or raises :class:`~grader.errors.CheckFailure`
whose message says what is wrong (how many elements, how far off, where) and
whose ``revealing`` part (the index | expected | got table) is shown only in
public checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from grader.errors import CheckFailure

__all__ = [
    "all_close",
    "expect",
    "expect_array",
    "expect_close",
    "expected_value",
    "mismatch_table",
]

MAX_ROWS = 5


def all_close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> bool:
    """``np.allclose(got, want, rtol, atol, equal_nan=True)`` for arrays of one shape.

    Written out, it costs a quarter as much: checks compare thousands of answers.
    """
    with np.errstate(all="ignore"):
        near = (np.abs(got - want) <= atol + rtol * np.abs(want)) & np.isfinite(want)
        near |= got == want
        return bool(near.all() or (near | (np.isnan(got) & np.isnan(want))).all())


def expected_value(
    function: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any]
) -> Any:
    """What a trusted *function* returns for copies of its array arguments.

    The copies keep the caller's arrays as they were; numpy's floating-point
    reports are silenced, as they are for student code.
    """
    copies = [v.copy() if isinstance(v, np.ndarray) else v for v in args]
    named = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with np.errstate(all="ignore"):
        return function(*copies, **named)


def expect(condition: bool, message: str) -> None:
    """Fail with *message* (written for the student) unless *condition* holds."""
    __tracebackhide__ = True
    if not condition:
        raise CheckFailure(message)


def expect_array(
    got: Any,
    *,
    name: str,
    shape: Sequence[int] | None = None,
    kinds: str = "fiub",
) -> np.ndarray:
    """Check that *got* is a finite-size numeric ndarray of *shape*; return it."""
    __tracebackhide__ = True
    want = f"an ndarray of shape {tuple(shape)}" if shape is not None else "an ndarray"
    if not isinstance(got, np.ndarray):
        kind = "None (did you forget to return?)" if got is None else type(got).__name__
        raise CheckFailure(f"{name} returned {kind}, expected {want}")
    if got.dtype.kind not in kinds:
        numeric = {"f": "floats", "i": "integers", "u": "integers", "b": "booleans"}
        allowed = " or ".join(sorted({numeric[k] for k in kinds if k in numeric}))
        raise CheckFailure(
            f"{name} returned an ndarray of dtype {got.dtype}; it should hold {allowed}"
        )
    if shape is not None and got.shape != tuple(shape):
        raise CheckFailure(f"{name} returned shape {got.shape}, expected {want}")
    return got


def expect_close(
    got: Any,
    expected: np.ndarray | float,
    *,
    name: str,
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> None:
    """Check that *got* equals *expected* element by element within tolerance."""
    __tracebackhide__ = True
    expected_arr = np.asarray(expected, dtype=np.float64)
    if np.ndim(expected) == 0 and not isinstance(got, np.ndarray):
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            raise CheckFailure(f"{name} returned {type(got).__name__}, expected a number")
        got_arr = np.asarray(float(got))
    else:
        got_arr = expect_array(got, name=name, shape=expected_arr.shape)
    got_arr = got_arr.astype(np.float64)
    if not np.all(np.isfinite(got_arr)):
        bad = int(np.sum(~np.isfinite(got_arr)))
        raise CheckFailure(
            f"{name}: {bad} of {got_arr.size} values are nan or inf; "
            "the result must be finite for these inputs",
            revealing=mismatch_table(expected_arr, got_arr, ~np.isfinite(got_arr)),
        )
    with np.errstate(all="ignore"):
        diff = np.abs(got_arr - expected_arr)
        close = diff <= atol + rtol * np.abs(expected_arr)
    if np.all(close):
        return
    wrong = ~close
    nonzero = wrong & (np.abs(expected_arr) > atol)
    rel = diff[nonzero] / np.abs(expected_arr[nonzero])
    worst = f"max absolute difference {float(diff[wrong].max()):.3g}"
    if rel.size:
        worst += f", max relative difference {float(rel.max()):.3g}"
    raise CheckFailure(
        f"{name}: {int(wrong.sum())} of {wrong.size} values differ from the expected ones "
        f"({worst}; allowed relative {rtol:g}, absolute {atol:g})",
        revealing=mismatch_table(expected_arr, got_arr, wrong),
    )


def mismatch_table(
    expected: np.ndarray,
    got: np.ndarray,
    wrong: np.ndarray,
    *,
    labels: tuple[str, str] = ("expected", "got"),
) -> str:
    """A short ``index | expected | got`` table of the first few wrong elements."""
    indices = np.argwhere(np.atleast_1d(wrong))[:MAX_ROWS]
    exp = np.atleast_1d(expected)
    got_ = np.atleast_1d(got)
    rows = [("index", *labels)]
    for idx in indices:
        key = tuple(int(i) for i in idx)
        shown = str(key[0]) if len(key) == 1 else str(key)
        rows.append((shown, f"{exp[key]:.6g}", f"{got_[key]:.6g}"))
    widths = [max(len(r[c]) for r in rows) for c in range(3)]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    more = int(np.sum(wrong)) - len(indices)
    if more > 0:
        lines.append(f"... and {more} more")
    return "\n".join(lines)
