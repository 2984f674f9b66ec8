"""Numerical gradient checks return data and find wrong gradients."""

from __future__ import annotations

import numpy as np
import pytest

from grader import CheckFailure
from grader.gradcheck import (
    VJPCase,
    compare_gradients,
    elementwise_derivative,
    expect_vjp,
    expect_vjps,
    numerical_elementwise,
    numerical_vjp,
    relative_error,
    sample_away_from_kinks,
)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_elementwise_uses_two_forward_calls_and_matches_the_derivative():
    calls = []

    def forward(x):
        calls.append(x.copy())
        return _sigmoid(x)

    x = np.linspace(-5, 5, 11)
    numerical = numerical_elementwise(forward, x)
    assert len(calls) == 2
    s = _sigmoid(x)
    assert np.max(relative_error(numerical, s * (1 - s))) < 1e-7


def test_elementwise_with_a_batched_forward_makes_one_call():
    batches = []

    def forward_many(inputs):
        batches.append([x.copy() for x in inputs])
        return [_sigmoid(x) for x in inputs]

    x = np.linspace(-5, 5, 11)
    numerical = numerical_elementwise(forward_many, x, batched=True)
    assert len(batches) == 1 and len(batches[0]) == 2
    s = _sigmoid(x)
    assert np.max(relative_error(numerical, s * (1 - s))) < 1e-7
    with pytest.raises(CheckFailure, match="sig: 1 results for 2 inputs"):
        numerical_elementwise(lambda inputs: [x], x, name="sig", batched=True)
    with pytest.raises(CheckFailure, match="sig"):
        numerical_elementwise(lambda inputs: [x, x[:3]], x, name="sig", batched=True)


def affine_problem(seed):
    """Inputs of x @ w + b, an upstream gradient, and a batched forward that counts its batches."""
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=2)
    dout = rng.normal(size=(3, 2))
    batches = []

    def forward_many(calls):
        batches.append(len(calls))
        return [a @ b_ + c for a, b_, c in calls]

    return (x, w, b), dout, forward_many, batches


def test_vjp_batches_every_perturbation_into_one_call():
    (x, w, b), dout, forward_many, batches = affine_problem(0)
    dw = numerical_vjp(forward_many, (x, w, b), 1, dout)
    assert batches == [2 * w.size]
    np.testing.assert_allclose(dw, x.T @ dout, rtol=1e-7)
    dx = numerical_vjp(forward_many, (x, w, b), 0, dout)
    np.testing.assert_allclose(dx, dout @ w.T, rtol=1e-7)


def test_vjp_of_several_arguments_costs_one_call():
    (x, w, b), dout, forward_many, batches = affine_problem(1)
    db, dx, dw = numerical_vjp(forward_many, (x, w, b), (2, 0, 1), dout)
    assert batches == [2 * (b.size + x.size + w.size)]
    np.testing.assert_allclose(dx, dout @ w.T, rtol=1e-7)
    np.testing.assert_allclose(dw, x.T @ dout, rtol=1e-7)
    np.testing.assert_allclose(db, dout.sum(axis=0), rtol=1e-7)
    empty = np.zeros((0, 4))
    none = numerical_vjp(forward_many, (x, w, empty), (2,), dout)
    assert len(batches) == 1 and none[0].shape == (0, 4)


def tanh_layer(seed, shapes=((3, 4), (4, 2), (2,))):
    """tanh(x @ w + b) with its exact gradients, and a batched forward counting its calls."""
    rng = np.random.default_rng(seed)
    x, w, b = (rng.normal(size=shape) for shape in shapes)
    dout = rng.normal(size=(x.shape[0], w.shape[1]))
    dz = dout * (1 - np.tanh(x @ w + b) ** 2)
    exact = (dz @ w.T, x.T @ dz, dz.sum(axis=0))
    batches = []

    def forward_many(calls):
        batches.append(len(calls))
        return [np.tanh(a @ b_ + c) for a, b_, c in calls]

    return (x, w, b), dout, exact, forward_many, batches


NAMES = ["dx", "dw", "db"]


def test_expect_vjp_passes_right_gradients_after_four_forward_calls():
    for seed, shapes in enumerate(
        [((3, 4), (4, 2), (2,)), ((7, 7), (7, 7), (7,)), ((1, 1), (1, 1), (1,))]
    ):
        args, dout, exact, forward_many, batches = tanh_layer(seed, shapes)
        expect_vjp(forward_many, args, (0, 1, 2), dout, exact, names=NAMES)
        assert batches == [4]
        # the element-by-element comparison agrees that they are right
        numerical = numerical_vjp(forward_many, args, (0, 1, 2), dout)
        assert all(
            compare_gradients(n, g, name="g").passed for n, g in zip(numerical, exact, strict=True)
        )


def test_expect_vjp_probes_every_element_of_a_wrong_gradient_and_marks_it():
    args, dout, exact, forward_many, batches = tanh_layer(3)
    dw = exact[1].copy()
    dw[2, 1] *= 1.001
    with pytest.raises(CheckFailure) as info:
        expect_vjp(forward_many, args, (0, 1, 2), dout, (exact[0], dw, exact[2]), names=NAMES)
    assert batches == [4, 2 * sum(a.size for a in args)]
    assert info.value.message.startswith("dw: 1 of 8 gradient values disagree")
    assert info.value.data["kind"] == "gradcheck"
    assert np.flatnonzero(info.value.data["mismatched"]).tolist() == [2 * 2 + 1]


def test_expect_vjps_screens_every_case_in_one_batch_and_probes_only_the_wrong_one():
    (args, dout, exact, forward_many, batches) = tanh_layer(4)
    other_args, other_dout, other_exact = tanh_layer(5, ((2, 3), (3, 5), (5,)))[:3]
    right = VJPCase(args, (0, 1, 2), dout, exact, NAMES)
    other = VJPCase(other_args, (0, 1, 2), other_dout, other_exact, NAMES)
    expect_vjps(forward_many, [right, other])
    assert batches == [8]
    db = other_exact[2].copy()
    db[0] += 1e-3
    wrong = VJPCase(other_args, (0, 1, 2), other_dout, (*other_exact[:2], db), NAMES)
    batches.clear()
    with pytest.raises(CheckFailure, match="db: 1 of 5 gradient values disagree"):
        expect_vjps(forward_many, [right, wrong])
    assert batches == [8, 2 * sum(a.size for a in other_args)]


def test_elementwise_derivative_is_the_central_difference_of_two_probes():
    x = np.linspace(-2.0, 2.0, 7)
    h = 1e-6
    slope = elementwise_derivative(_sigmoid(x + h), _sigmoid(x - h), x, h=h, name="sigmoid")
    np.testing.assert_allclose(slope, _sigmoid(x) * (1 - _sigmoid(x)), rtol=1e-7)
    with pytest.raises(CheckFailure, match="sigmoid"):
        elementwise_derivative(_sigmoid(x + h)[:3], _sigmoid(x - h), x, h=h, name="sigmoid")


def test_expect_vjp_gives_the_element_by_element_verdict():
    """Wrong in a few elements by 1e-9 to 1 (relative), right elsewhere: the same verdict as
    compare_gradients on the full numerical gradient whenever no element's error lies within
    a factor of ten of what compare_gradients allows it."""
    rng = np.random.default_rng(7)
    compared = {True: 0, False: 0}
    for seed in range(300):
        n, d, m = (int(k) for k in rng.integers(1, 6, size=3))
        args, dout, exact, forward_many, _ = tanh_layer(seed, ((n, d), (d, m), (m,)))
        wrong = [g.copy() for g in exact]
        which = int(rng.integers(3))
        flat = wrong[which].reshape(-1)
        chosen = rng.choice(flat.size, size=int(rng.integers(1, flat.size + 1)), replace=False)
        flat[chosen] *= 1 + rng.choice([-1, 1], size=chosen.size) * 10.0 ** rng.uniform(
            -9, 0, size=chosen.size
        )
        numerical = numerical_vjp(forward_many, args, (0, 1, 2), dout)
        allowed = [1e-8 + 1e-5 * np.abs(num) for num in numerical]
        errors = [np.abs(num - g) for num, g in zip(numerical, wrong, strict=True)]
        if any(((e > a / 10) & (e < a * 10)).any() for e, a in zip(errors, allowed, strict=True)):
            continue
        full = all(
            compare_gradients(num, g, name="g").passed
            for num, g in zip(numerical, wrong, strict=True)
        )
        try:
            expect_vjp(forward_many, args, (0, 1, 2), dout, wrong, names=NAMES)
            screened = True
        except CheckFailure:
            screened = False
        assert screened == full, seed
        compared[full] += 1
    assert compared[True] > 30 and compared[False] > 100


def test_expect_vjp_checks_what_it_is_given():
    args, dout, exact, forward_many, _ = tanh_layer(4)
    nan = exact[0].copy()
    nan[0, 0] = np.nan
    with pytest.raises(CheckFailure, match="dx: 1 of 12 gradient values disagree"):
        expect_vjp(forward_many, args, (0, 1, 2), dout, (nan, *exact[1:]), names=NAMES)
    with pytest.raises(CheckFailure, match=r"db .*shape \(2,\)"):
        expect_vjp(forward_many, args, (0, 1, 2), dout, (*exact[:2], exact[2][:1]), names=NAMES)
    with pytest.raises(CheckFailure, match="layer"):
        expect_vjp(
            lambda calls: [0.0] * len(calls),
            args,
            (0,),
            dout,
            exact[:1],
            names=NAMES[:1],
            name="layer",
        )
    with pytest.raises(ValueError, match="one name per position"):
        expect_vjp(forward_many, args, (0, 1), dout, exact[:2], names=NAMES)


def test_compare_reports_which_elements_and_the_largest_error():
    numerical = np.array([[1.0, 2.0], [3.0, 4.0]])
    analytic = numerical.copy()
    analytic[1, 0] = 3.5
    result = compare_gradients(numerical, analytic, name="g")
    assert not result.passed
    assert result.mismatched_indices == [(1, 0)]
    assert result.max_rel_error == pytest.approx(0.5 / 3.5)
    with pytest.raises(CheckFailure) as info:
        result.raise_for_failure()
    assert "1 of 4 gradient values disagree" in info.value.message
    assert "(1, 0)" in info.value.revealing and "3.5" in info.value.revealing
    assert "3.5" not in info.value.message
    assert info.value.data["mismatched"] == [False, False, True, False]


def test_compare_accepts_a_correct_gradient_and_rejects_a_wrong_shape():
    g = np.ones((2, 3))
    assert compare_gradients(g, g + 1e-12, name="g").passed
    with pytest.raises(CheckFailure, match=r"shape \(3, 2\)"):
        compare_gradients(g, np.ones((3, 2)), name="g")
    with pytest.raises(CheckFailure, match="returned list"):
        compare_gradients(g, [[1, 1, 1]], name="g")


def test_samples_keep_away_from_kinks():
    rng = np.random.default_rng(1)
    x = sample_away_from_kinks(rng, (10000,), kinks=(0.0, 1.0), margin=0.05)
    assert np.min(np.abs(x)) >= 0.05 and np.min(np.abs(x - 1.0)) >= 0.05


def test_a_kink_sample_would_fool_a_correct_relu_gradient():
    x = np.array([3e-6])
    relu = lambda z: np.maximum(z, 0)  # noqa: E731
    numerical = numerical_elementwise(relu, x, h=1e-5)
    assert not compare_gradients(numerical, np.ones(1), name="relu").passed
