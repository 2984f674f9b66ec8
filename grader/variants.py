"""Per-student variants: seeds and the exercise parameters a TA marks as variable.

Everything random in grading derives from strings that identify it: the
course title, the exercise, the check (or ``"params"``) and the student id.
The same student therefore always gets the same inputs and parameters, other
students get others, and a regrade with the same id is exact. Public checks
use an empty student id, so every student sees the same public checks, and
they use each parameter's ``default``.

In ``exercise.yml``::

    parameters:
      alpha:
        default: 1.0          # used by public checks
        range: [0.5, 2.0]     # hidden checks: drawn per student (or `choices: [...]`)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Annotated, Any

import numpy as np

from grader.checkspec import SpecModel, doc

__all__ = ["Parameter", "check_seed", "params_seed", "resolve", "resolve_params"]

ParamValue = bool | int | float | str


def check_seed(course: str, exercise: str, check: str, student: str = "") -> int:
    """The seed of one check's random inputs (``student`` is empty for public checks)."""
    digest = hashlib.sha256(f"{course}\0{exercise}\0{check}\0{student}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def params_seed(course: str, exercise: str, student: str) -> int:
    """The seed that picks *student*'s values of an exercise's variable parameters."""
    return check_seed(course, exercise, "params", student)


class Parameter(SpecModel, frozen=True, kw_only=True):
    """An exercise parameter; variable when it has ``choices`` or a ``range``."""

    default: Annotated[ParamValue, doc("the value public checks (and students) use")]
    choices: Annotated[
        list[ParamValue], doc("hidden checks: one of these, picked per student", min_length=1)
    ] | None = None
    range: Annotated[
        tuple[float, float], doc("hidden checks: a number in [low, high], drawn per student")
    ] | None = None
    digits: Annotated[int, doc("decimals kept of a value drawn from range", ge=0, le=12)] = 3
    description: str = ""

    def __post_init__(self) -> None:
        if self.choices is not None and self.range is not None:
            raise ValueError("give `choices` or `range`, not both")
        if self.range is not None:
            low, high = self.range
            if not low < high:
                raise ValueError(f"range [{low:g}, {high:g}] must have low < high")
            if isinstance(self.default, bool) or not isinstance(self.default, (int, float)):
                raise ValueError("a parameter with a range needs a numeric default")

    @property
    def variable(self) -> bool:
        return self.choices is not None or self.range is not None

    def draw(self, rng: np.random.Generator) -> ParamValue:
        if self.choices is not None:
            return self.choices[int(rng.integers(len(self.choices)))]
        if self.range is not None:
            return round(float(rng.uniform(*self.range)), self.digits)
        return self.default


def resolve_params(
    parameters: Mapping[str, Parameter], course: str, exercise: str, student: str
) -> dict[str, ParamValue]:
    """The parameter values for *student* (the defaults when *student* is empty)."""
    if not student:
        return {name: p.default for name, p in parameters.items()}
    rng = np.random.default_rng(params_seed(course, exercise, student))
    return {name: p.draw(rng) for name, p in parameters.items()}


def resolve(value: Any, params: Mapping[str, ParamValue]) -> Any:
    """*value* with every ``'$name'`` (or ``'-$name'``) replaced by that parameter's value."""
    if isinstance(value, str) and value.lstrip("-").startswith("$"):
        negative = value.startswith("-")
        name = value.lstrip("-")[1:]
        if name not in params:
            known = ", ".join(params) or "none declared"
            raise KeyError(f"'{value}' names no parameter (parameters: {known})")
        found = params[name]
        if negative:
            if isinstance(found, bool) or not isinstance(found, (int, float)):
                raise KeyError(f"'{value}' negates a parameter that is not a number")
            return -found
        return found
    if isinstance(value, list):
        return [resolve(v, params) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, params) for k, v in value.items()}
    return value
