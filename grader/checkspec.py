"""The checks of ``exercise.yml``: hand-written ones and the declarative kinds.

A check without ``kind`` is hand-written: a pytest function ``test_<name>`` in
``exercises/<id>/`` (public) or ``solutions/<id>/`` (hidden). A check with a
``kind`` is declarative; the grader turns it into a pytest item itself:

* ``gradcheck``          an analytic backward function against central differences;
* ``matches_reference``  a function against the reference solution (hidden only);
* ``property``           built-in predicates on a function's output (range, sign, ...).

Inputs are declared per argument (:class:`InputSpec`) and drawn from the check's
``rng``; keyword arguments may name an exercise parameter as ``$name``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, field
from msgspec.structs import force_setattr

__all__ = [
    "CHECK_KINDS",
    "PREDICATES",
    "Check",
    "CheckEntry",
    "DeclarativeCheck",
    "GradcheckCheck",
    "InputSpec",
    "LocatedError",
    "MatchesReferenceCheck",
    "Predicate",
    "PropertyCheck",
    "SpecModel",
    "param_refs",
]

ParamRef = Annotated[str, Meta(pattern=r"^-?\$[A-Za-z_][A-Za-z0-9_]*$")]
Scalar = float | ParamRef


def doc(text: str, **constraints: Any) -> Meta:
    """A field's description (shown in the JSON Schema) and its constraints."""
    return Meta(description=text, **constraints)


class SpecModel(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of every course-file model: unknown fields are errors, objects are frozen.

    Every subclass passes ``kw_only=True`` too (msgspec applies it per class), so
    that fields with and without defaults may come in any order, and ``frozen=True``
    (so that type checkers see it).
    """


class LocatedError(ValueError):
    """A validation error about a part of the value: *loc* is the path below the object."""

    def __init__(self, loc: tuple[int | str, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


class Check(SpecModel, tag_field="kind", tag="pytest", frozen=True, kw_only=True):
    """One graded check. Without ``kind`` it is a pytest function ``test_<name>``."""

    name: Annotated[str, doc("the check's id", pattern=r"^[a-z][a-z0-9_]*$")]
    points: Annotated[float, doc("points a passing submission earns", ge=0)]
    public: Annotated[bool, doc("students can run it with `grader check`")] = False
    title: Annotated[str, doc("one line shown next to the check's name")] = ""
    hint: Annotated[str, doc("shown to the student when this check fails")] = ""
    timeout: Annotated[
        float, doc("seconds per call into student code (default: the course's)", gt=0)
    ] | None = None

    def __post_init__(self) -> None:
        force_setattr(self, "title", " ".join(self.title.split()))
        force_setattr(self, "hint", " ".join(self.hint.split()))

    @property
    def kind(self) -> str | None:
        """The declarative kind (``gradcheck``, ...); None for a pytest check."""
        tag = type(self).__struct_config__.tag
        return None if tag == "pytest" else str(tag)

    @property
    def declarative(self) -> bool:
        return False


class InputSpec(SpecModel, frozen=True, kw_only=True):
    """How one argument is made: a fixed value, or an array drawn from the check's rng."""

    value: Annotated[Any, doc("a fixed value (number, nested list, or '$param'); no drawing")] = (
        None
    )
    shape: Annotated[
        list[Annotated[int, Meta(ge=1)]],
        doc("array shape; [] with `value` unset means a scalar"),
    ] = field(default_factory=list)
    like: Annotated[str, doc("take the shape of this other input")] | None = None
    dist: Annotated[
        Literal["normal", "uniform", "integers", "linspace", "constant"],
        doc("how values are drawn"),
    ] = "normal"
    mean: Annotated[float, doc("normal: the mean")] = 0.0
    std: Annotated[float, doc("normal: the standard deviation", gt=0)] = 1.0
    low: Annotated[float, doc("uniform, integers, linspace: the lower end")] = -1.0
    high: Annotated[float, doc("uniform, integers, linspace: the upper end")] = 1.0
    symmetric: Annotated[bool, doc("uniform: also give each value a random sign")] = False
    fill: Annotated[float, doc("constant: the value of every element")] = 0.0
    avoid: Annotated[
        list[float], doc("kinks: no value lands within `margin` of these")
    ] = field(default_factory=list)
    margin: Annotated[float, doc("distance kept from each point in `avoid`", gt=0)] = 1e-3
    include: Annotated[
        list[float], doc("values placed at random positions (extremes, 0)")
    ] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.dist in ("uniform", "integers", "linspace") and self.low >= self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")


class DeclarativeCheck(Check, frozen=True, kw_only=True):
    """Fields every declarative check has: how to call the function and how often."""

    inputs: Annotated[
        dict[str, InputSpec], doc("the positional arguments, in order, by name", min_length=1)
    ]
    kwargs: Annotated[
        dict[str, Any] | list[dict[str, Any]],
        doc(
            "keyword arguments; a list runs the check once per mapping; "
            "a value '$name' is the exercise parameter name"
        ),
    ] = field(default_factory=dict)
    cases: Annotated[int, doc("independent draws of the inputs", ge=1, le=100)] = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        for arg, spec in self.inputs.items():
            if spec.like is not None and spec.like not in self.inputs:
                known = ", ".join(self.inputs)
                raise ValueError(
                    f"input '{arg}' is like '{spec.like}', which is not an input; use one of: "
                    f"{known}"
                )

    @property
    def declarative(self) -> bool:
        return True

    @property
    def kwargs_sets(self) -> list[dict[str, Any]]:
        """The keyword arguments of each run of the check."""
        return self.kwargs if isinstance(self.kwargs, list) else [self.kwargs]

    def functions(self) -> list[str]:
        """The exercise functions this check calls."""
        return []


class GradcheckCheck(DeclarativeCheck, tag="gradcheck", frozen=True, kw_only=True):
    """The analytic gradient of *backward* against central differences of *forward*."""

    forward: Annotated[str, doc("the function whose gradient is checked")]
    backward: Annotated[
        str, doc("called as backward(dout, *inputs, **kwargs); returns the gradient(s)")
    ]
    wrt: Annotated[list[str], doc("inputs to differentiate (default: the first)")] = field(
        default_factory=list
    )
    outputs: Annotated[
        list[int],
        doc(
            "position of each `wrt` gradient in backward's returned tuple; "
            "leave out when backward returns one array"
        ),
    ] | None = None
    kinks: Annotated[
        list[float], doc("points where forward is not smooth; kept away from")
    ] = field(default_factory=list)
    margin: Annotated[float, doc("distance kept from every kink", gt=0)] = 1e-3
    dout: Annotated[InputSpec, doc("upstream gradient (default: normal)")] | None = None
    elementwise: Annotated[
        bool,
        doc(
            "forward acts element by element: two forward calls give every "
            "derivative (else one call per perturbed element)"
        ),
    ] = False
    eps: Annotated[float, doc("central-difference step", gt=0)] = 1e-6
    rtol: Annotated[float, doc("relative tolerance", gt=0)] = 1e-5
    atol: Annotated[float, doc("absolute tolerance", ge=0)] = 1e-8
    numerical: Annotated[
        Literal["student", "reference"], doc("whose forward the numerical gradient comes from")
    ] = "student"

    def __post_init__(self) -> None:
        super().__post_init__()
        unknown = [w for w in self.wrt if w not in self.inputs]
        if unknown:
            raise ValueError(
                f"wrt names {unknown[0]!r}, which is not an input; use one of: "
                + ", ".join(self.inputs)
            )
        if self.outputs is not None and len(self.outputs) != len(self.gradients):
            raise ValueError("`outputs` needs one position per entry of `wrt`")
        if self.outputs is None and len(self.gradients) > 1:
            raise ValueError(
                "several `wrt` inputs need `outputs`: where each gradient is in backward's tuple"
            )
        if self.numerical == "reference" and self.public:
            raise ValueError(
                "a public check cannot use the reference solution (students do not have it); "
                "use numerical: student or make the check hidden (public: false)"
            )

    @property
    def gradients(self) -> list[str]:
        return self.wrt or [next(iter(self.inputs))]

    def functions(self) -> list[str]:
        return [self.forward, self.backward]


class MatchesReferenceCheck(DeclarativeCheck, tag="matches_reference", frozen=True, kw_only=True):
    """A function's output against the reference solution's on the same inputs."""

    function: Annotated[str, doc("the function to compare")]
    rtol: Annotated[float, doc("relative tolerance", ge=0)] = 1e-7
    atol: Annotated[float, doc("absolute tolerance", ge=0)] = 1e-12

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.public:
            raise ValueError(
                "matches_reference compares with the solution, which students do not have; "
                "make it hidden (public: false) or use a property check"
            )

    def functions(self) -> list[str]:
        return [self.function]


class _Predicate(SpecModel, tag_field="predicate", frozen=True, kw_only=True):
    message: Annotated[str, doc("what the student reads when it fails (optional)")] = ""


class Finite(_Predicate, tag="finite", frozen=True, kw_only=True):
    """Every element is finite (no nan, no inf)."""


class Range(_Predicate, tag="range", frozen=True, kw_only=True):
    """Every element lies in [min, max]."""

    min: Annotated[Scalar, doc("smallest allowed value")] | None = None
    max: Annotated[Scalar, doc("largest allowed value")] | None = None
    tol: Annotated[float, doc("slack at both ends", ge=0)] = 1e-12


class Equals(_Predicate, tag="equals", frozen=True, kw_only=True):
    """Every element equals a value."""

    value: Annotated[Scalar, doc("every element must equal this")]
    rtol: Annotated[float, Meta(ge=0)] = 0.0
    atol: Annotated[float, Meta(ge=0)] = 0.0


class Saturation(_Predicate, tag="saturation", frozen=True, kw_only=True):
    """The output levels off at a value."""

    level: Annotated[Scalar, doc("the value the output levels off at")] = 0.0
    atol: Annotated[float, doc("how close to the level counts as saturated", gt=0)] = 1e-4


class ZeroMean(_Predicate, tag="zero_mean", frozen=True, kw_only=True):
    """The mean along an axis is zero."""

    axis: Annotated[int, doc("axis the mean is taken over (null: all)")] | None = 0
    atol: Annotated[float, Meta(gt=0)] = 1e-9


class SingleSign(_Predicate, tag="single_sign", frozen=True, kw_only=True):
    """Each column (or row) has one sign."""

    axis: Annotated[int, doc("0: each column has one sign; 1: each row")] = 0


class MixedSigns(_Predicate, tag="mixed_signs", frozen=True, kw_only=True):
    """Some column (or row) has both signs."""

    axis: Annotated[int, doc("0: some column has both signs; 1: some row")] = 0


class Shape(_Predicate, tag="shape", frozen=True, kw_only=True):
    """The output has an input's shape, or a given one."""

    like: Annotated[str, doc("the output has this input's shape")] | None = None
    shape: Annotated[list[int], doc("the output has this shape")] | None = None

    def __post_init__(self) -> None:
        if (self.like is None) == (self.shape is None):
            raise ValueError("give exactly one of `like` (an input's name) or `shape`")


class Dtype(_Predicate, tag="dtype", frozen=True, kw_only=True):
    """The output's dtype is of a kind."""

    kind: Literal["float", "integer", "bool"] = "float"


class NoMutation(_Predicate, tag="no_mutation", frozen=True, kw_only=True):
    """The function leaves its inputs as they were."""


Predicate = (
    Finite
    | Range
    | Equals
    | Saturation
    | ZeroMean
    | SingleSign
    | MixedSigns
    | Shape
    | Dtype
    | NoMutation
)
PREDICATES = (
    "finite",
    "range",
    "equals",
    "saturation",
    "zero_mean",
    "single_sign",
    "mixed_signs",
    "shape",
    "dtype",
    "no_mutation",
)


class PropertyCheck(DeclarativeCheck, tag="property", frozen=True, kw_only=True):
    """Built-in predicates that a function's output must satisfy."""

    function: Annotated[str, doc("the function to call")]
    output: Annotated[int, doc("which element of a returned tuple to test")] | None = None
    expect: Annotated[list[Predicate], doc("predicates, all must hold", min_length=1)]

    def __post_init__(self) -> None:
        super().__post_init__()
        for predicate in self.expect:
            like = predicate.like if isinstance(predicate, Shape) else None
            if like is not None and like not in self.inputs:
                raise ValueError(
                    f"shape predicate is like '{like}', which is not an input; "
                    "use one of: " + ", ".join(self.inputs)
                )

    def functions(self) -> list[str]:
        return [self.function]


CHECK_KINDS = ("gradcheck", "matches_reference", "property")
CheckEntry = Check | GradcheckCheck | MatchesReferenceCheck | PropertyCheck


def param_refs(model: msgspec.Struct) -> list[str]:
    """Every ``'$name'`` / ``'-$name'`` string in *model*'s fields, in order."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str) and value.lstrip("-").startswith("$"):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk(msgspec.to_builtins(model))
    return found
