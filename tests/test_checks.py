"""Declarative checks in exercise.yml: validated like the rest, run like pytest graders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
from authoring_helpers import add_checks, copy_course, edit

from grader import ConfigError, CourseError, grade_submission, load_course
from grader.checkspec import InputSpec
from grader.inputs import draw_inputs
from grader.student import InProcessBackend
from grader.variants import check_seed, resolve_params


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    return copy_course(tmp_path / "course")


def _yml(root: Path, exercise: str = "sigmoid") -> Path:
    return root / "exercises" / exercise / "exercise.yml"


def _error(root: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_course(root)
    return info.value


def _submission(tmp_path: Path, name: str, source: str, module: str = "sigmoid.py") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / module).write_text(source)
    return folder


SOLUTION = (Path(__file__).resolve().parent.parent / "solutions/sigmoid/sigmoid.py").read_text()


# -- schema errors ------------------------------------------------------------------------------


def test_unknown_kind_names_file_line_column_and_the_allowed_kinds(course_dir: Path):
    edit(_yml(course_dir), "    kind: gradcheck\n", "    kind: gradchek\n")
    error = _error(course_dir)
    text = _yml(course_dir).read_text().splitlines()
    assert error.path == str(_yml(course_dir))
    assert error.line == next(
        i for i, line in enumerate(text, 1) if "name: backward_gradcheck" in line
    )
    assert error.column == 5
    assert error.field == "checks[2]"
    assert "'gradchek' is not a check kind" in str(error)
    assert "gradcheck, matches_reference, property" in str(error)
    assert f":{error.line}:5:" in str(error)


def test_unknown_predicate_lists_the_predicates(course_dir: Path):
    edit(_yml(course_dir), "{predicate: shape, like: x}", "{predicate: shaped, like: x}")
    error = _error(course_dir)
    assert "'shaped' is not allowed" in str(error)
    for name in ("finite", "range", "zero_mean", "single_sign", "no_mutation", "dtype"):
        assert name in str(error)
    assert (
        error.field is not None and error.field.startswith("checks[") and "expect[0]" in error.field
    )


def test_a_missing_field_of_a_kind_is_named_with_its_line(course_dir: Path):
    edit(_yml(course_dir), "    backward: sigmoid_backward\n", "")
    error = _error(course_dir)
    assert error.field == "checks[2].backward"
    assert "is required but missing" in str(error)
    assert error.line is not None


def test_a_bad_value_inside_an_input_names_the_input_and_the_bound(course_dir: Path):
    edit(_yml(course_dir), "x: {shape: [4, 5], std: 2.0}", "x: {shape: [4, 5], std: -2.0}")
    error = _error(course_dir)
    assert error.field == "checks[2].inputs.x.std"
    assert "must be a number > 0.0 (got -2.0)" in error.problem
    lines = _yml(course_dir).read_text().splitlines()
    assert error.line == next(i for i, text in enumerate(lines, 1) if "-2.0" in text)


def test_a_misspelt_field_of_a_kind_is_rejected(course_dir: Path):
    edit(_yml(course_dir), "    elementwise: true\n", "    element_wise: true\n")
    error = _error(course_dir)
    assert error.field == "checks[2].element_wise"
    assert "not a known field" in str(error)


def test_a_check_calling_an_undeclared_function_is_rejected(course_dir: Path):
    edit(_yml(course_dir), "    forward: sigmoid\n", "    forward: sigmod\n")
    error = _error(course_dir)
    assert error.field == "checks[2]"
    assert "'sigmod'" in str(error) and "sigmoid, sigmoid_backward" in str(error)


def test_an_undeclared_parameter_is_rejected(course_dir: Path):
    add_checks(
        _yml(course_dir),
        """  - name: scaled
    points: 0
    kind: property
    function: sigmoid
    inputs: {x: {shape: [3]}}
    kwargs: {}
    expect:
      - {predicate: range, min: 0, max: $top}
""",
        0,
        course_dir,
        "sigmoid",
    )
    error = _error(course_dir)
    assert "'$top'" in str(error) and "declare it under `parameters`" in str(error)


def test_matches_reference_cannot_be_public(course_dir: Path):
    edit(
        _yml(course_dir),
        "    kind: matches_reference\n    function: sigmoid\n",
        "    public: true\n    kind: matches_reference\n    function: sigmoid\n",
    )
    error = _error(course_dir)
    assert "students do not have" in str(error)


def test_a_mistake_needs_file_or_code(course_dir: Path):
    edit(_yml(course_dir), "    file: mistakes/forgot_upstream.py\n", "")
    error = _error(course_dir)
    assert "exactly one of `file`" in str(error)


# -- running ------------------------------------------------------------------------------------


def test_declarative_checks_count_like_hand_written_ones(course_dir: Path, tmp_path: Path):
    course = load_course(course_dir)
    result = grade_submission(course, course_dir / "solutions", exercises=["sigmoid"])
    (exercise,) = result.exercises
    kinds = {c.name: getattr(c, "kind", None) for c in course.exercise("sigmoid").checks}
    assert {"gradcheck", "matches_reference", "property", None} <= set(kinds.values())
    assert [c.name for c in exercise.checks] == list(kinds)
    assert all(c.passed for c in exercise.checks)
    assert exercise.points == exercise.max_points == 10


def test_a_wrong_gradient_fails_the_declarative_gradcheck_with_a_table_and_the_hint(
    course_dir: Path, tmp_path: Path
):
    wrong = SOLUTION + "\n\ndef sigmoid_backward(dout, x):\n    return dout * x * (1.0 - x)\n"
    folder = _submission(tmp_path, "wrong", wrong)
    result = grade_submission(load_course(course_dir), folder, exercises=["sigmoid"])
    checks = {c.name: c for c in result.exercises[0].checks}
    gradcheck = checks["backward_gradcheck"]
    assert gradcheck.status == "failed" and gradcheck.points == 0
    assert "disagree with central differences" in gradcheck.message
    assert "numerical" in gradcheck.message  # the table: public check
    assert "derivative_from_input" in gradcheck.mistakes
    hidden = checks["backward_matches_reference"]
    assert hidden.status == "failed" and "index" not in hidden.message  # no table: hidden
    assert checks["forward_matches_reference"].passed


class _Counting(InProcessBackend):
    """Runs in-process and keeps the operation of every request."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[str] = []

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        self.ops.append(message["op"])
        return super().request(message, timeout)


def test_an_elementwise_gradcheck_asks_backward_and_both_probes_in_one_round_trip(
    course_dir: Path, tmp_path: Path
):
    course = load_course(course_dir)
    wrong = SOLUTION + "\n\ndef sigmoid_backward(dout, x):\n    return dout * x * (1.0 - x)\n"
    for source, passed in ((SOLUTION, True), (wrong, False)):
        backend = _Counting()
        folder = _submission(tmp_path, f"s{passed}", source)
        result = grade_submission(
            course, folder, exercises=["sigmoid"], public_only=True, backend=backend
        )
        checks = {c.name: c for c in result.exercises[0].checks}
        assert checks["backward_gradcheck"].passed is passed
        # the gradcheck's backward call and its two probes are one request; no other
        # public check of sigmoid asks for calls of different functions together
        assert backend.ops.count("many") == 1


def test_property_predicates_catch_what_they_promise(course_dir: Path, tmp_path: Path):
    forgot = SOLUTION + (
        "\n\ndef sigmoid_backward(dout, x):\n    s = sigmoid(x)\n    return s * (1.0 - s)\n"
    )
    result = grade_submission(
        load_course(course_dir), _submission(tmp_path, "forgot", forgot), exercises=["sigmoid"]
    )
    checks = {c.name: c for c in result.exercises[0].checks}
    assert checks["zero_upstream"].message == "with dout = 0 the gradient must be exactly 0"
    assert checks["saturation"].passed  # dout = 1 there: forgetting dout does not matter


@pytest.mark.parametrize(
    ("predicate", "source", "fragment"),
    [
        ("{predicate: finite}", "return x / 0.0", "nan or inf"),
        ("{predicate: range, min: 0, max: 1}", "return np.abs(x) + 2", "values are above 1"),
        ("{predicate: zero_mean, axis: 0}", "return x + 1", "mean along axis 0 is not 0"),
        ("{predicate: single_sign, axis: 0}", "return x", "hold both positive and negative"),
        ("{predicate: mixed_signs, axis: 0}", "return np.abs(x)", "no column holds both"),
        ("{predicate: shape, shape: [4, 3]}", "return x", "expected (4, 3)"),
        ("{predicate: dtype, kind: integer}", "return x", "expected a integer array"),
        ("{predicate: no_mutation}", "x *= 2\n    return x", "changed its input x"),
    ],
)
def test_each_predicate_fails_on_an_output_that_breaks_it(
    course_dir: Path, tmp_path: Path, predicate: str, source: str, fragment: str
):
    add_checks(
        _yml(course_dir),
        f"""  - name: probe
    points: 1
    public: true
    kind: property
    function: sigmoid
    inputs:
      x: {{shape: [3, 4]}}
    expect:
      - {predicate}
""",
        1,
        course_dir,
        "sigmoid",
    )
    body = "import numpy as np\n\n\ndef sigmoid(x):\n    " + source + "\n"
    folder = _submission(tmp_path, "probe", body)
    result = grade_submission(load_course(course_dir), folder, exercises=["sigmoid"])
    probe = next(c for c in result.exercises[0].checks if c.name == "probe")
    assert probe.status == "failed"
    assert fragment in probe.message


def test_a_public_check_that_uses_the_reference_is_a_course_error(course_dir: Path):
    grader_file = course_dir / "exercises" / "sigmoid" / "test_sigmoid.py"
    edit(
        grader_file,
        "def test_forward_known_values(student):",
        "def test_forward_known_values(student, reference):",
    )
    with pytest.raises(CourseError, match="is public but uses the `reference` fixture"):
        grade_submission(load_course(course_dir), course_dir / "solutions", exercises=["sigmoid"])


def test_inline_mistake_code_is_recognised(course_dir: Path, tmp_path: Path):
    edit(
        _yml(course_dir),
        "    file: mistakes/derivative_from_input.py\n",
        "    code: |\n"
        "      def sigmoid_backward(dout, x):\n"
        "          return dout * x * (1.0 - x)\n",
    )
    wrong = SOLUTION + "\n\ndef sigmoid_backward(dout, x):\n    return dout * (x - x * x)\n"
    result = grade_submission(
        load_course(course_dir), _submission(tmp_path, "wrong", wrong), exercises=["sigmoid"]
    )
    lost = [c for c in result.exercises[0].checks if not c.passed]
    assert lost and any("derivative_from_input" in c.mistakes for c in lost)


# -- variants -----------------------------------------------------------------------------------


def test_variable_parameters_are_per_student_and_stable(course_dir: Path):
    course = load_course(course_dir)
    elu = course.exercise("elu")
    assert elu.parameters["alpha"].range == (0.2, 3.0)
    values = {
        s: resolve_params(elu.parameters, course.title, "elu", s)["alpha"]
        for s in ("ada", "bob", "cyd", "dan")
    }
    assert len(set(values.values())) == 4
    assert all(0.2 <= v <= 3.0 for v in values.values())
    assert resolve_params(elu.parameters, course.title, "elu", "ada")["alpha"] == values["ada"]
    assert resolve_params(elu.parameters, course.title, "elu", "")["alpha"] == 1.0


def test_hidden_checks_use_the_students_variant_and_the_seed_is_recorded(
    course_dir: Path, tmp_path: Path
):
    course = load_course(course_dir)
    solution = course_dir / "solutions"
    result = grade_submission(course, solution, student="ada", exercises=["elu"])
    assert all(c.passed for c in result.exercises[0].checks)
    assert result.seed == check_seed(course.title, "", "", "ada")
    hardcoded = (course_dir / "solutions/elu/elu.py").read_text() + (
        "\n\ndef elu(x, alpha=1.0):\n    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))\n"
    )
    folder = _submission(tmp_path, "one", hardcoded, module="elu.py")
    graded = grade_submission(course, folder, student="ada", exercises=["elu"])
    probe = next(c for c in graded.exercises[0].checks if c.name == "saturates_at_minus_alpha")
    assert probe.status == "failed"
    again = grade_submission(course, folder, student="ada", exercises=["elu"])

    def outcomes(result):
        return [(c.name, c.status, c.message) for c in result.exercises[0].checks]

    assert outcomes(again) == outcomes(graded)
    other = grade_submission(course, folder, student="bob", exercises=["elu"])
    assert other.seed != graded.seed


def test_inputs_follow_their_spec():
    rng = np.random.default_rng(0)
    specs = {
        "dout": msgspec.convert({"like": "x", "dist": "constant", "fill": 2.0}, InputSpec),
        "x": msgspec.convert(
            {"shape": [200], "dist": "uniform", "low": 1.0, "high": 5.0, "symmetric": True},
            InputSpec,
        ),
        "y": msgspec.convert({"shape": [500], "avoid": [0.0], "margin": 0.01}, InputSpec),
        "z": msgspec.convert({"shape": [10], "include": [1000.0, -1000.0]}, InputSpec),
        "a": msgspec.convert({"value": "$alpha"}, InputSpec),
    }
    drawn = draw_inputs(specs, rng, {"alpha": 0.5})
    assert list(drawn) == ["dout", "x", "y", "z", "a"]
    assert drawn["dout"].shape == (200,) and np.all(drawn["dout"] == 2.0)
    assert np.all((np.abs(drawn["x"]) >= 1.0) & (np.abs(drawn["x"]) <= 5.0))
    assert np.any(drawn["x"] < 0) and np.any(drawn["x"] > 0)
    assert np.min(np.abs(drawn["y"])) >= 0.01
    assert {1000.0, -1000.0} <= set(drawn["z"].tolist())
    assert drawn["a"] == 0.5


class _TimeoutSpy(InProcessBackend):
    """Runs in-process and remembers the timeout of every call."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[float] = []

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        if message.get("op") != "load":
            self.timeouts.append(timeout)
        return super().request(message, timeout)


def test_a_checks_timeout_applies_to_its_calls_only(course_dir: Path):
    edit(
        _yml(course_dir),
        "    kind: gradcheck\n",
        "    timeout: 0.75\n    kind: gradcheck\n",
    )
    course = load_course(course_dir)
    spy = _TimeoutSpy()
    grade_submission(course, course_dir / "solutions", exercises=["sigmoid"], backend=spy)
    assert 0.75 in spy.timeouts
    assert course.defaults.call_timeout in spy.timeouts
    assert set(spy.timeouts) == {0.75, course.defaults.call_timeout}
