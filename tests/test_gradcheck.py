"""Numerical gradient checks return data and find wrong gradients."""

from __future__ import annotations

import numpy as np
import pytest

from grader import CheckFailure
from grader.gradcheck import (
    compare_gradients,
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
