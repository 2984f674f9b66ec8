"""Hidden checks of the sigmoid exercise that exercise.yml cannot declare."""

import numpy as np

from grader import expect


def test_inputs_unchanged(student, rng):
    x = rng.normal(0.0, 3.0, size=(5, 3))
    dout = rng.normal(size=x.shape)
    forward, backward = student.observe_many(
        [("sigmoid", (x,), {}), ("sigmoid_backward", (dout, x), {})]
    )
    expect(np.array_equal(forward.args[0], x), "sigmoid changed its input x")
    expect(np.array_equal(backward.args[0], dout), "sigmoid_backward changed its input dout")
    expect(np.array_equal(backward.args[1], x), "sigmoid_backward changed its input x")
