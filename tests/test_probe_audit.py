"""Which calls the probe audit picks out as finite-difference probes, and which of them
it asks again alone."""

from __future__ import annotations

import numpy as np

from grader.grading import grade_submissions
from grader.sandbox import SandboxLimits
from grader.sandbox_audit import (
    PROBE_DISTANCE,
    WINDOW,
    _agrees,
    alone_requests,
    compare_with_reference,
    find_probes,
    verify_alone,
)
from grader.student import CallRecord, InProcessBackend, StudentModule
from grader.submission import Submission


def call(x, *rest, function="f", **kwargs):
    return CallRecord(function, (x, *rest), kwargs, None)


def probe_indices(calls, answered=None):
    found = find_probes(calls, [True] * len(calls) if answered is None else answered)
    return [next(i for i, c in enumerate(calls) if c is f) for f in found]


def test_central_difference_probes_are_found_and_unrelated_calls_are_not():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    h = 1e-5
    probes = []
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = h
        probes += [call(x + step.reshape(x.shape)), call(x - step.reshape(x.shape))]
    unrelated = [call(rng.normal(size=(3, 4))) for _ in range(3)]
    assert probe_indices([*unrelated, *probes]) == list(range(3, 3 + len(probes)))


def test_calls_must_share_function_shape_and_non_numeric_arguments():
    x = np.linspace(-1.0, 1.0, 6)
    assert probe_indices([call(x), call(x + 1e-6, function="g")]) == []
    assert probe_indices([call(x), call(np.append(x, 0.0))]) == []
    assert probe_indices([call(x, mode="a"), call(x + 1e-6, mode="b")]) == []
    assert probe_indices([call(x, mode="a"), call(x + 1e-6, mode="a")]) == [0, 1]


def test_every_argument_must_be_near_including_numbers():
    x = np.ones(4)
    assert probe_indices([call(x, 1.0), call(x, 1.0 + PROBE_DISTANCE / 2)]) == [0, 1]
    assert probe_indices([call(x, 1.0), call(x, 1.5)]) == []
    assert probe_indices([call(x, np.zeros(2)), call(x + 1e-6, np.ones(2))]) == []


def test_one_far_element_is_enough_to_be_far():
    x = np.zeros(50)
    y = x.copy()
    y[-1] = 10 * PROBE_DISTANCE
    assert probe_indices([call(x), call(y)]) == []


def test_nan_inputs_and_calls_without_arrays_are_never_probes():
    x = np.full(3, np.nan)
    assert probe_indices([call(x), call(x.copy())]) == []
    numbers = CallRecord("f", (1.0,), {}, None)
    assert probe_indices([numbers, CallRecord("f", (1.0,), {}, None)]) == []
    boolean = np.array([True, False])
    assert probe_indices([call(boolean), call(boolean.copy())]) == []


def test_only_calls_within_the_window_are_compared():
    rng = np.random.default_rng(1)
    x = rng.normal(size=5)
    spacers = [call(rng.normal(size=5)) for _ in range(WINDOW)]
    assert probe_indices([call(x), *spacers, call(x + 1e-7)]) == []
    assert probe_indices([call(x), *spacers[:-1], call(x + 1e-7)]) == [0, WINDOW]


def test_an_observation_pairs_only_with_the_calls_after_it_and_each_call_counts_once():
    x = np.arange(4.0)
    assert probe_indices([call(x), call(x + 1e-6)], answered=[True, False]) == []
    assert probe_indices([call(x), call(x + 1e-6)], answered=[False, True]) == [0, 1]
    assert probe_indices([call(x), call(x + 1e-6), call(x - 1e-6)]) == [0, 1, 2]


def test_calls_made_one_by_one_or_in_one_batch_give_the_same_probes(tmp_path):
    (tmp_path / "m.py").write_text("def f(x, scale=1.0):\n    return scale * x\n")
    rng = np.random.default_rng(7)
    base = rng.normal(size=4)
    choices = [
        lambda: ((base + rng.choice([0.0, 1e-6, -1e-6, 0.5]) * np.eye(4)[rng.integers(4)],), {}),
        lambda: ((base,), {"scale": 1.0 + rng.choice([0.0, 1e-6, 1.0])}),
        lambda: ((base.astype(int),), {}),
        lambda: ((np.array([np.nan, 0, 0, 0]),), {}),
        lambda: ((rng.normal(size=4),), {}),
    ]

    def probes(calls, together):
        module = StudentModule("m", tmp_path / "m.py", ["f"], InProcessBackend())
        module.begin_check("c")
        if together:
            module.batch("f", calls)
        else:
            for args, kwargs in calls:
                module.call("f", *args, **kwargs)
        return [(r.args, r.kwargs) for r in module.take_probes().get("c", [])]

    found = 0
    for _ in range(40):
        calls = [choices[rng.integers(len(choices))]() for _ in range(6)]
        singly, together = probes(calls, False), probes(calls, True)
        assert [id(args[0]) for args, _ in singly] == [id(args[0]) for args, _ in together]
        found += len(together)
    assert found > 0


def test_only_probes_that_the_reference_answers_otherwise_are_asked_again_alone():
    x = np.linspace(-1.0, 1.0, 5)
    good = CallRecord("double", (x,), {}, 2 * x)
    rounded = CallRecord("double", (x,), {}, 2 * x * (1 + 1e-11))
    wrong = CallRecord("double", (x + 1e-6,), {}, 3 * x)
    probes = {("m", "honest"): [good, rounded], ("m", "faked"): [good, wrong, good]}
    reference = {"double": lambda v: 2 * v}
    compared = compare_with_reference(probes, lambda key, name: reference.get(name))
    assert compared.suspects == {("m", "faked"): wrong}
    assert compared.settled == frozenset()
    (request,) = alone_requests(compared.suspects)
    assert request["op"] == "call" and request["fn"] == "double"
    assert request["args"][0] is wrong.args[0]
    assert compare_with_reference(probes, lambda key, name: None).suspects == {}
    also_wrong = CallRecord("double", (x - 1e-6,), {}, 4 * x)
    seen = []
    chosen = compare_with_reference(
        {("m", "faked"): [wrong, good, also_wrong]},
        lambda key, name: reference.get(name),
        pick=lambda records: seen.append(list(records)) or records[-1],
    )
    assert seen == [[wrong, also_wrong]]
    assert chosen.suspects == {("m", "faked"): also_wrong}


def test_checks_whose_answers_are_the_references_to_the_last_digits_are_settled():
    x = np.linspace(-1.0, 1.0, 5)
    reference = {"double": lambda v: 2 * v}
    ulps = CallRecord("double", (x,), {}, 2 * x * (1 + 4e-16))
    rounded = CallRecord("double", (x,), {}, 2 * x * (1 + 1e-11))
    unknown = CallRecord("triple", (x,), {}, 3 * x)
    raises = CallRecord("double", (None,), {}, 2 * x)
    probes = {
        ("m", "exact"): [ulps, ulps],
        ("m", "rounded"): [ulps, rounded],
        ("m", "no reference"): [ulps, unknown],
        ("m", "reference raised"): [ulps, raises],
    }
    compared = compare_with_reference(probes, lambda key, name: reference.get(name))
    assert compared.settled == frozenset({("m", "exact")})
    assert compared.suspects == {}
    assert compare_with_reference(probes, lambda key, name: None).settled == frozenset()


def test_an_input_asked_alone_must_get_the_answer_it_got_in_its_batch():
    x = np.arange(3.0)
    suspects = {
        ("m", "a"): CallRecord("f", (x,), {}, x + 1),
        ("m", "b"): CallRecord("f", (x,), {}, x),
    }
    failures = verify_alone(suspects, [{"ok": x + 1}, {"ok": x + 1}])
    assert list(failures) == [("m", "b")]
    assert "asked alone, in a fresh process" in failures[("m", "b")]
    assert list(verify_alone(suspects, [{"ok": x + 1}])) == [("m", "b")]


def test_a_wrong_forward_with_a_backward_that_matches_it_keeps_its_gradient_checks(
    course, sandbox, tmp_path
):
    # Honestly wrong, not faking: official grading gives the public gradient check the
    # verdict the student's own check gave, though every probe differs from the reference.
    (tmp_path / "weight_sign.py").write_text(CONSISTENT_BUT_WRONG)
    public, everything = (
        grade_submissions(
            course,
            [Submission("s", tmp_path)],
            exercises=["weight_sign"],
            public_only=public_only,
            backend_factory=sandbox.factory(SandboxLimits.of(course)),
        )[0]
        for public_only in (True, False)
    )
    for result in (public, everything):
        checks = {c.name: c.status for e in result.exercises for c in e.checks}
        assert checks["forward_values"] == "failed"
        assert checks["backward_gradcheck"] == "passed"


def test_official_grading_of_right_forward_functions_asks_nothing_again(course, sandbox):
    # A submission whose forward functions are the reference's has every probed check
    # settled: no fresh child. A student's own check has no reference and replays them.
    fresh = []

    def counting(submission):
        backend = sandbox.factory(SandboxLimits.of(course))(submission)
        original = backend.request

        def request(message, timeout):
            if message.get("op") == "fresh":
                fresh.append(len(message["requests"]))
            return original(message, timeout)

        backend.request = request
        return backend

    solutions = Submission("s", course.root / "solutions")
    results = {}
    for public_only in (False, True):
        fresh.clear()
        (result,) = grade_submissions(
            course, [solutions], public_only=public_only, backend_factory=counting
        )
        results[public_only] = list(fresh)
        assert all(c.status == "passed" for e in result.exercises for c in e.checks)
    assert results[False] == []
    assert len(results[True]) == 1 and results[True][0] > 0


CONSISTENT_BUT_WRONG = '''
import numpy as np


def affine_forward(x, w, b):
    return x @ w + 2 * b


def affine_backward(dout, x, w):
    return dout @ w.T, x.T @ dout, 2 * dout.sum(axis=0)


def dw_sign(x, dout):
    return (np.sign(x)[:, None] * np.sign(dout)[None, :]).astype(np.int64)


def same_sign_fraction(dw):
    return float(np.mean(~(np.any(dw > 0, axis=0) & np.any(dw < 0, axis=0))))
'''


def test_agreeing_with_the_reference_allows_rounding_nan_and_infinity_only():
    x = np.array([1.0, -2.0, np.inf, np.nan])
    assert _agrees(x * (1 + 1e-12), x)
    assert not _agrees(x * (1 + 1e-6), x)
    assert not _agrees(np.array([1.0, -2.0, np.inf, 0.0]), x)
    assert not _agrees(x[:3], x)
    assert _agrees((1.0, x), (1.0 + 1e-13, x))
    assert not _agrees((1.0, x), (x, 1.0))
    assert _agrees(float("nan"), float("nan"))
    assert not _agrees(1.0, 1.001)
    assert not _agrees(x, list(x))
    assert _agrees(2.0, np.float64(2.0)) and _agrees(3, 3.0)
    assert not _agrees(True, 1.0)
    assert not _agrees(5.0, float("inf")) and _agrees(float("inf"), float("inf"))
    assert not _agrees(np.array([1.0, 5.0]), np.array([1.0, np.inf]))
    assert not _agrees(np.array([1.0, 5.0]), np.array([1.0, np.inf]), rtol=1e-13, atol=1e-15)
    flags = np.array([True, False])
    assert _agrees(flags, flags.copy()) and not _agrees(flags, ~flags)
