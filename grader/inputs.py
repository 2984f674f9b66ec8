"""Draw the arguments of a declarative check from its :class:`~grader.checkspec.InputSpec`.

Arrays are float64 (integers for ``dist: integers``); every draw comes from the
check's ``rng``, so the same student always gets the same inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from grader.checkspec import InputSpec
from grader.variants import ParamValue, resolve

__all__ = ["draw_input", "draw_inputs"]


def draw_inputs(
    specs: Mapping[str, InputSpec],
    rng: np.random.Generator,
    params: Mapping[str, ParamValue],
    *,
    avoid: Sequence[float] = (),
    avoid_in: Sequence[str] = (),
    margin: float = 1e-3,
) -> dict[str, Any]:
    """All arguments, in declaration order; ``like`` inputs are drawn after their model.

    *avoid* (kinks) applies to the inputs named in *avoid_in*, on top of their own.
    """
    drawn: dict[str, Any] = {}
    pending = list(specs)
    while pending:
        progressed = False
        for name in list(pending):
            spec = specs[name]
            if spec.like is not None and spec.like not in drawn:
                continue
            shape = None if spec.like is None else np.shape(drawn[spec.like])
            extra = tuple(avoid) if name in avoid_in else ()
            drawn[name] = draw_input(spec, rng, params, shape=shape, avoid=extra, margin=margin)
            pending.remove(name)
            progressed = True
        if not progressed:
            raise ValueError("inputs refer to each other in a circle through `like`")
    return {name: drawn[name] for name in specs}


def draw_input(
    spec: InputSpec,
    rng: np.random.Generator,
    params: Mapping[str, ParamValue],
    *,
    shape: tuple[int, ...] | None = None,
    avoid: Sequence[float] = (),
    margin: float = 1e-3,
) -> Any:
    """One argument: the fixed ``value``, or an array drawn as *spec* says."""
    if spec.value is not None:
        value = resolve(spec.value, params)
        return np.array(value, dtype=np.float64) if isinstance(value, list) else value
    size = tuple(spec.shape) if shape is None else tuple(shape)
    x = _sample(spec, rng, size)
    if spec.include:
        flat = x.reshape(-1)
        count = min(len(spec.include), flat.size)
        where = rng.choice(flat.size, size=count, replace=False)
        flat[where] = np.asarray(spec.include[:count], dtype=x.dtype)
    x = _away_from(x, (*spec.avoid, *avoid), max(spec.margin, margin))
    if not size:
        return float(x) if x.dtype.kind == "f" else int(x)
    return x


def _sample(spec: InputSpec, rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
    if spec.dist == "normal":
        return np.asarray(rng.normal(spec.mean, spec.std, size=size), dtype=np.float64)
    if spec.dist == "uniform":
        x = rng.uniform(spec.low, spec.high, size=size)
        if spec.symmetric:
            x = x * rng.choice(np.array([-1.0, 1.0]), size=size)
        return np.asarray(x, dtype=np.float64)
    if spec.dist == "integers":
        return np.asarray(rng.integers(int(spec.low), int(spec.high), size=size, endpoint=True))
    if spec.dist == "linspace":
        count = int(np.prod(size)) if size else 1
        return np.linspace(spec.low, spec.high, count).reshape(size)
    return np.full(size, spec.fill, dtype=np.float64)


def _away_from(x: np.ndarray, kinks: Sequence[float], margin: float) -> np.ndarray:
    """*x* with every value closer than *margin* to a kink moved to twice the margin."""
    if not kinks or x.dtype.kind != "f":
        return x
    x = x.copy()
    for kink in kinks:
        near = np.abs(x - kink) < margin
        x[near] = kink + np.where(x[near] >= kink, 2 * margin, -2 * margin)
    return x
