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

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

__all__ = [
    "CHECK_KINDS",
    "PREDICATES",
    "UNION_TAGS",
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

ParamRef = Annotated[str, Field(pattern=r"^-?\$[A-Za-z_][A-Za-z0-9_]*$")]
Scalar = float | ParamRef


class SpecModel(BaseModel):
    """Base of every course-file model: unknown fields are errors, objects are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Check(SpecModel):
    """One graded check. Without ``kind`` it is a pytest function ``test_<name>``."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="the check's id")
    points: float = Field(ge=0, description="points a passing submission earns")
    public: bool = Field(False, description="students can run it with `grader check`")
    title: str = Field("", description="one line shown next to the check's name")
    hint: str = Field("", description="shown to the student when this check fails")
    timeout: float | None = Field(
        None, gt=0, description="seconds per call into student code (default: the course's)"
    )

    @field_validator("title", "hint")
    @classmethod
    def _strip(cls, text: str) -> str:
        return " ".join(text.split())

    @property
    def declarative(self) -> bool:
        return False


class InputSpec(SpecModel):
    """How one argument is made: a fixed value, or an array drawn from the check's rng."""

    value: Any = Field(
        None, description="a fixed value (number, nested list, or '$param'); no drawing"
    )
    shape: list[int] = Field(
        default_factory=list, description="array shape; [] with `value` unset means a scalar"
    )
    like: str | None = Field(None, description="take the shape of this other input")
    dist: Literal["normal", "uniform", "integers", "linspace", "constant"] = Field(
        "normal", description="how values are drawn"
    )
    mean: float = Field(0.0, description="normal: the mean")
    std: float = Field(1.0, gt=0, description="normal: the standard deviation")
    low: float = Field(-1.0, description="uniform, integers, linspace: the lower end")
    high: float = Field(1.0, description="uniform, integers, linspace: the upper end")
    symmetric: bool = Field(False, description="uniform: also give each value a random sign")
    fill: float = Field(0.0, description="constant: the value of every element")
    avoid: list[float] = Field(
        default_factory=list, description="kinks: no value lands within `margin` of these"
    )
    margin: float = Field(1e-3, gt=0, description="distance kept from each point in `avoid`")
    include: list[float] = Field(
        default_factory=list, description="values placed at random positions (extremes, 0)"
    )

    @field_validator("shape")
    @classmethod
    def _positive(cls, shape: list[int]) -> list[int]:
        if any(n < 1 for n in shape):
            raise ValueError("every dimension must be at least 1")
        return shape

    @model_validator(mode="after")
    def _ends(self) -> InputSpec:
        if self.dist in ("uniform", "integers", "linspace") and self.low >= self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        return self


class DeclarativeCheck(Check):
    """Fields every declarative check has: how to call the function and how often."""

    inputs: dict[str, InputSpec] = Field(
        min_length=1, description="the positional arguments, in order, by name"
    )
    kwargs: dict[str, Any] | list[dict[str, Any]] = Field(
        default_factory=dict,
        description="keyword arguments; a list runs the check once per mapping; "
        "a value '$name' is the exercise parameter name",
    )
    cases: int = Field(1, ge=1, le=100, description="independent draws of the inputs")

    @model_validator(mode="after")
    def _likes_exist(self) -> DeclarativeCheck:
        for arg, spec in self.inputs.items():
            if spec.like is not None and spec.like not in self.inputs:
                known = ", ".join(self.inputs)
                raise ValueError(
                    f"input '{arg}' is like '{spec.like}', which is not an input; use one of: "
                    f"{known}"
                )
        return self

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


class GradcheckCheck(DeclarativeCheck):
    """The analytic gradient of *backward* against central differences of *forward*."""

    kind: Literal["gradcheck"]
    forward: str = Field(description="the function whose gradient is checked")
    backward: str = Field(
        description="called as backward(dout, *inputs, **kwargs); returns the gradient(s)"
    )
    wrt: list[str] = Field(
        default_factory=list, description="inputs to differentiate (default: the first)"
    )
    outputs: list[int] | None = Field(
        None,
        description="position of each `wrt` gradient in backward's returned tuple; "
        "leave out when backward returns one array",
    )
    kinks: list[float] = Field(
        default_factory=list, description="points where forward is not smooth; kept away from"
    )
    margin: float = Field(1e-3, gt=0, description="distance kept from every kink")
    dout: InputSpec | None = Field(None, description="upstream gradient (default: normal)")
    elementwise: bool = Field(
        False,
        description="forward acts element by element: two forward calls give every "
        "derivative (else one call per perturbed element)",
    )
    eps: float = Field(1e-6, gt=0, description="central-difference step")
    rtol: float = Field(1e-5, gt=0, description="relative tolerance")
    atol: float = Field(1e-8, ge=0, description="absolute tolerance")
    numerical: Literal["student", "reference"] = Field(
        "student", description="whose forward the numerical gradient comes from"
    )

    @model_validator(mode="after")
    def _consistent(self) -> GradcheckCheck:
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
        return self

    @property
    def gradients(self) -> list[str]:
        return self.wrt or [next(iter(self.inputs))]

    def functions(self) -> list[str]:
        return [self.forward, self.backward]


class MatchesReferenceCheck(DeclarativeCheck):
    """A function's output against the reference solution's on the same inputs."""

    kind: Literal["matches_reference"]
    function: str = Field(description="the function to compare")
    rtol: float = Field(1e-7, ge=0, description="relative tolerance")
    atol: float = Field(1e-12, ge=0, description="absolute tolerance")

    @model_validator(mode="after")
    def _hidden(self) -> MatchesReferenceCheck:
        if self.public:
            raise ValueError(
                "matches_reference compares with the solution, which students do not have; "
                "make it hidden (public: false) or use a property check"
            )
        return self

    def functions(self) -> list[str]:
        return [self.function]


class _Predicate(SpecModel):
    message: str = Field("", description="what the student reads when it fails (optional)")


class Finite(_Predicate):
    predicate: Literal["finite"]


class Range(_Predicate):
    predicate: Literal["range"]
    min: Scalar | None = Field(None, description="smallest allowed value")
    max: Scalar | None = Field(None, description="largest allowed value")
    tol: float = Field(1e-12, ge=0, description="slack at both ends")


class Equals(_Predicate):
    predicate: Literal["equals"]
    value: Scalar = Field(description="every element must equal this")
    rtol: float = Field(0.0, ge=0)
    atol: float = Field(0.0, ge=0)


class Saturation(_Predicate):
    predicate: Literal["saturation"]
    level: Scalar = Field(0.0, description="the value the output levels off at")
    atol: float = Field(1e-4, gt=0, description="how close to the level counts as saturated")


class ZeroMean(_Predicate):
    predicate: Literal["zero_mean"]
    axis: int | None = Field(0, description="axis the mean is taken over (null: all)")
    atol: float = Field(1e-9, gt=0)


class SingleSign(_Predicate):
    predicate: Literal["single_sign"]
    axis: int = Field(0, description="0: each column has one sign; 1: each row")


class MixedSigns(_Predicate):
    predicate: Literal["mixed_signs"]
    axis: int = Field(0, description="0: some column has both signs; 1: some row")


class Shape(_Predicate):
    predicate: Literal["shape"]
    like: str | None = Field(None, description="the output has this input's shape")
    shape: list[int] | None = Field(None, description="the output has this shape")

    @model_validator(mode="after")
    def _one(self) -> Shape:
        if (self.like is None) == (self.shape is None):
            raise ValueError("give exactly one of `like` (an input's name) or `shape`")
        return self


class Dtype(_Predicate):
    predicate: Literal["dtype"]
    kind: Literal["float", "integer", "bool"] = Field("float")


class NoMutation(_Predicate):
    predicate: Literal["no_mutation"]


Predicate = Annotated[
    Finite
    | Range
    | Equals
    | Saturation
    | ZeroMean
    | SingleSign
    | MixedSigns
    | Shape
    | Dtype
    | NoMutation,
    Field(discriminator="predicate"),
]
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


class PropertyCheck(DeclarativeCheck):
    """Built-in predicates that a function's output must satisfy."""

    kind: Literal["property"]
    function: str = Field(description="the function to call")
    output: int | None = Field(None, description="which element of a returned tuple to test")
    expect: list[Predicate] = Field(min_length=1, description="predicates, all must hold")

    @model_validator(mode="after")
    def _likes(self) -> PropertyCheck:
        for predicate in self.expect:
            like = predicate.like if isinstance(predicate, Shape) else None
            if like is not None and like not in self.inputs:
                raise ValueError(
                    f"shape predicate is like '{like}', which is not an input; "
                    "use one of: " + ", ".join(self.inputs)
                )
        return self

    def functions(self) -> list[str]:
        return [self.function]


CHECK_KINDS = ("gradcheck", "matches_reference", "property")
UNION_TAGS = frozenset({"pytest", *CHECK_KINDS, *PREDICATES})


class LocatedError(ValueError):
    """A validation error about a part of the value: *loc* is the path below the field."""

    def __init__(self, loc: tuple[int | str, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


def _check_tag(value: Any) -> str:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return "pytest" if kind is None else str(kind)


CheckEntry = Annotated[
    Annotated[Check, Tag("pytest")]
    | Annotated[GradcheckCheck, Tag("gradcheck")]
    | Annotated[MatchesReferenceCheck, Tag("matches_reference")]
    | Annotated[PropertyCheck, Tag("property")],
    Discriminator(
        _check_tag,
        custom_error_type="check_kind",
        custom_error_message="unknown check kind",
        custom_error_context={"allowed": ", ".join(CHECK_KINDS)},
    ),
]


def param_refs(model: BaseModel) -> list[str]:
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

    walk(model.model_dump())
    return found
