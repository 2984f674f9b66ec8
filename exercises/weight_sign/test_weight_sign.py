"""Public checks of the weight_sign exercise: students run these with `grader check weight_sign`."""

import numpy as np

from grader import expect, expect_array, expect_close, expect_vjp
from grader.wire import describe


def _gradients(student, dout, x, w):
    """affine_backward(dout, x, w), checked to be a tuple (dx, dw, db) of the right shapes."""
    __tracebackhide__ = True
    (n, d), m = x.shape, w.shape[1]
    call = f"affine_backward(dout, x, w) with N={n}, D={d}, M={m}"
    got = student.affine_backward(dout, x, w)
    expect(
        isinstance(got, tuple) and len(got) == 3,
        f"{call} returned {describe(got)}; return the tuple (dx, dw, db)",
    )
    shapes = {"dx": x.shape, "dw": w.shape, "db": (m,)}
    return tuple(
        expect_array(grad, name=f"{name} from {call}", shape=shape)
        for grad, (name, shape) in zip(got, shapes.items(), strict=True)
    )


def _checked_signs(got, x, dout):
    """What dw_sign(x, dout) returned, checked to be a (D, M) array of -1, 0 and 1."""
    __tracebackhide__ = True
    name = f"dw_sign(x, dout) with D={x.size}, M={dout.size}"
    got = expect_array(got, name=name, shape=(x.size, dout.size), kinds="fiu")
    bad = ~np.isin(got, (-1, 0, 1))
    expect(
        not bad.any(),
        f"{name} must contain only -1, 0 and 1; it also returned {got[bad].ravel()[:3].tolist()}",
    )
    return got


def _checked_fraction(got, name):
    """What same_sign_fraction(dw) returned, checked to be a Python number in [0, 1]."""
    __tracebackhide__ = True
    expect(
        isinstance(got, (int, float)) and not isinstance(got, bool),
        f"{name} returned {describe(got)}; return a Python float, e.g. float(...)",
    )
    expect(
        0.0 <= got <= 1.0,
        f"{name} returned {got!r}, which is outside [0, 1]; it is a fraction of the columns",
    )
    return float(got)


def test_forward_values(student):
    cases = [
        (
            "two examples",
            np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]]),
            np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]]),
            np.array([0.5, -0.5]),
            np.array([[1.5, 1.5], [6.5, -4.5]]),
        ),
        (
            "zero weights, so every row is b",
            np.array([[3.0, -2.0], [0.5, 7.0], [-1.0, -1.0]]),
            np.zeros((2, 4)),
            np.array([1.0, -2.0, 0.5, 3.0]),
            np.array([[1.0, -2.0, 0.5, 3.0]] * 3),
        ),
        (
            "one example and one neuron with all weights 1",
            np.array([[0.25, -1.5, 2.0, 4.0]]),
            np.ones((4, 1)),
            np.array([-0.75]),
            np.array([[4.0]]),
        ),
    ]
    outs = student.map("affine_forward", [(x, w, b) for _, x, w, b, _ in cases])
    for (label, *_, known), out in zip(cases, outs, strict=True):
        expect_close(
            out,
            known,
            name=f"affine_forward(x, w, b) for {label}",
            rtol=1e-12,
            atol=1e-12,
        )


def test_backward_gradcheck(student, rng):
    for n, d, m in ((4, 3, 3), (5, 4, 2)):
        x = rng.normal(size=(n, d))
        w = rng.normal(size=(d, m))
        b = rng.normal(size=m)
        dout = rng.normal(size=(n, m))
        analytic = _gradients(student, dout, x, w)
        expect_vjp(
            lambda calls: student.map("affine_forward", calls),
            (x, w, b),
            (0, 1, 2),
            dout,
            analytic,
            names=[
                f"{name} from affine_backward(dout, x, w) with N={n}, D={d}, M={m}"
                for name in ("dx", "dw", "db")
            ],
            name="affine_forward(x, w, b)",
        )


def test_dw_sign_with_zeros(student):
    cases = [
        (
            "x and dout with zeros and both signs",
            np.array([2.0, 0.0, -1.5, 3.0, -0.25]),
            np.array([0.5, -2.0, 0.0]),
            np.array([[1, -1, 0], [0, 0, 0], [-1, 1, 0], [1, -1, 0], [-1, 1, 0]]),
        ),
        (
            "all-positive x",
            np.array([0.3, 1.0, 2.5]),
            np.array([-1.0, 0.7, 0.0, 4.0]),
            np.array([[-1, 1, 0, 1]] * 3),
        ),
        ("one input and one neuron", np.array([-3.0]), np.array([-0.1]), np.array([[1]])),
    ]
    signs = student.map("dw_sign", [(x, dout) for _, x, dout, _ in cases])
    for (label, x, dout, known), got in zip(cases, signs, strict=True):
        expect_close(
            _checked_signs(got, x, dout),
            known,
            name=f"dw_sign(x, dout) for {label}",
            rtol=0.0,
            atol=0.0,
        )


def test_same_sign_fraction_crafted(student):
    cases = [
        ("a matrix with every entry positive", np.array([[0.5, 2.0, 1e-3], [3.0, 0.1, 7.0]]), 1.0),
        ("a matrix whose columns all mix signs", np.array([[1.0, -1.0], [-2.0, 3.0]]), 0.0),
        (
            "a 2 x 3 matrix whose rows mix signs",
            np.array([[1.0, 2.0, -3.0], [4.0, -5.0, -6.0]]),
            2.0 / 3.0,
        ),
        (
            "a matrix with an all-zero column and zeros among one sign",
            np.array([[0.0, 2.0, 0.0, -1.0], [0.0, 0.0, 3.0, -4.0], [0.0, 5.0, -1.0, 0.0]]),
            0.75,
        ),
        ("a single row", np.array([[1.5, -2.0, 0.0, 0.3, -0.1]]), 1.0),
    ]
    fractions = student.map("same_sign_fraction", [(dw,) for _, dw, _ in cases])
    for (label, _, known), got in zip(cases, fractions, strict=True):
        name = f"same_sign_fraction(dw) for {label}"
        expect_close(_checked_fraction(got, name), known, name=name, rtol=1e-12)
