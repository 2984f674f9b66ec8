"""Hidden checks of the sigmoid exercise."""

import numpy as np

from grader import expect, expect_array, expect_close


def test_forward_matches_reference(student, reference, rng):
    x = np.concatenate([rng.normal(0.0, 5.0, 50), rng.uniform(-1000.0, 1000.0, 20), [0.0]])
    expect_close(student.sigmoid(x), reference.sigmoid(x), name="sigmoid(x)", rtol=1e-9)


def test_backward_matches_reference(student, reference, rng):
    x = rng.normal(0.0, 3.0, size=(6, 7))
    dout = rng.normal(size=x.shape)
    expect_close(
        student.sigmoid_backward(dout, x),
        reference.sigmoid_backward(dout, x),
        name="sigmoid_backward(dout, x)",
        rtol=1e-7,
    )


def test_saturation(student, rng):
    x = np.concatenate([rng.uniform(10.5, 60.0, 20), -rng.uniform(10.5, 60.0, 20)])
    slope = expect_array(
        student.sigmoid_backward(np.ones_like(x), x), name="sigmoid_backward", shape=x.shape
    )
    expect(
        bool(np.all(np.abs(slope) < 5e-5)),
        "for |x| > 10 the sigmoid is saturated and sigma'(x) must be nearly 0",
    )


def test_zero_upstream(student, rng):
    x = rng.normal(0.0, 3.0, size=(3, 4))
    grad = expect_array(
        student.sigmoid_backward(np.zeros_like(x), x), name="sigmoid_backward", shape=x.shape
    )
    expect(bool(np.all(grad == 0)), "with dout = 0 the gradient must be exactly 0")


def test_inputs_unchanged(student, rng):
    x = rng.normal(0.0, 3.0, size=(5, 3))
    dout = rng.normal(size=x.shape)
    forward = student.observe("sigmoid", x)
    expect(np.array_equal(forward.args[0], x), "sigmoid changed its input x")
    backward = student.observe("sigmoid_backward", dout, x)
    expect(np.array_equal(backward.args[0], dout), "sigmoid_backward changed its input dout")
    expect(np.array_equal(backward.args[1], x), "sigmoid_backward changed its input x")
