"""Public checks of the sigmoid exercise: students run these with `grader check sigmoid`."""

import numpy as np

from grader import expect, expect_array, expect_close


def test_forward_known_values(student):
    x = np.array([[0.0, np.log(3.0), -np.log(3.0)], [np.log(9.0), 2.0, -2.0]])
    known = np.array([[0.5, 0.75, 0.25], [0.9, 0.8807970779778823, 0.11920292202211755]])
    expect_close(student.sigmoid(x), known, name="sigmoid(x)", rtol=1e-9)


def test_forward_extreme_inputs(student):
    x = np.array([-1000.0, -750.0, -40.0, 40.0, 750.0, 1000.0])
    out = expect_array(student.sigmoid(x), name="sigmoid(x)", shape=x.shape)
    bad = ~np.isfinite(out)
    expect(not bad.any(), f"sigmoid(x) is nan or inf at x = {x[bad].tolist()}; it must stay finite")
    expect(bool(np.all((out >= 0) & (out <= 1))), "sigmoid(x) left the interval [0, 1]")
    expect_close(out[3:], np.ones(3), name="sigmoid(x) for large positive x", rtol=1e-12)
    expect_close(out[:3], np.zeros(3), name="sigmoid(x) for large negative x", atol=1e-15)


def test_derivative_bounded(student):
    x = np.linspace(-12.0, 12.0, 241)
    slope = expect_array(
        student.sigmoid_backward(np.ones_like(x), x), name="sigmoid_backward", shape=x.shape
    )
    expect(bool(np.all(slope <= 0.25 + 1e-12)), "sigma'(x) went above 0.25, its true maximum")
    expect(bool(np.all(slope >= 0)), "sigma'(x) went below 0; the sigmoid never decreases")
    expect_close(slope[120], 0.25, name="sigma'(0)", rtol=1e-9)
    expect(int(np.argmax(slope)) == 120, "sigma'(x) should peak at x = 0")
