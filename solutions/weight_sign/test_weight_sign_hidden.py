"""Hidden checks of the weight_sign exercise."""

import numpy as np

from grader import VJPCase, expect, expect_array, expect_close, expect_vjps
from grader.wire import describe


def _checked_gradients(got, x, w):
    __tracebackhide__ = True
    (n, d), m = x.shape, w.shape[1]
    call = f"affine_backward(dout, x, w) with N={n}, D={d}, M={m}"
    expect(
        isinstance(got, tuple) and len(got) == 3,
        f"{call} returned {describe(got)}; return the tuple (dx, dw, db)",
    )
    shapes = {"dx": x.shape, "dw": w.shape, "db": (m,)}
    return tuple(
        expect_array(grad, name=f"{name} from {call}", shape=shape)
        for grad, (name, shape) in zip(got, shapes.items(), strict=True)
    )


def _fraction(student, dw, name):
    """same_sign_fraction(dw), checked to be a Python number in [0, 1]."""
    __tracebackhide__ = True
    got = student.same_sign_fraction(dw)
    expect(
        isinstance(got, (int, float)) and not isinstance(got, bool),
        f"{name} returned {describe(got)}; return a Python float, e.g. float(...)",
    )
    expect(
        0.0 <= got <= 1.0,
        f"{name} returned {got!r}, which is outside [0, 1]; it is a fraction of the columns",
    )
    return float(got)


def _mixed_columns(dw):
    """Which columns of dw hold both a positive and a negative entry."""
    return np.any(dw > 0, axis=0) & np.any(dw < 0, axis=0)


def _sizes(rng, low=2, high=8):
    return tuple(int(k) for k in rng.integers(low, high, size=3))


def test_backward_gradcheck_shapes(student, rng):
    problems = []
    for n, d, m in ((1, 4, 3), (6, 1, 2), (3, 5, 1), (1, 1, 1), _sizes(rng)):
        x = rng.normal(size=(n, d))
        w = rng.normal(size=(d, m))
        b = rng.normal(size=m)
        problems.append((x, w, b, rng.normal(size=(n, m))))
    answers = student.map("affine_backward", [(dout, x, w) for x, w, _, dout in problems])
    cases = []
    for (x, w, b, dout), got in zip(problems, answers, strict=True):
        (n, d), m = x.shape, w.shape[1]
        cases.append(
            VJPCase(
                (x, w, b),
                (0, 1, 2),
                dout,
                _checked_gradients(got, x, w),
                names=[
                    f"{name} from affine_backward(dout, x, w) with N={n}, D={d}, M={m}"
                    for name in ("dx", "dw", "db")
                ],
                forward="affine_forward(x, w, b)",
            )
        )
    expect_vjps(lambda calls: student.map("affine_forward", calls), cases)


def test_batch_can_mix_signs(student, reference, rng):
    n, d, m = 8, 4, 5
    x = rng.uniform(0.05, 2.0, size=(n, d))
    w = rng.normal(size=(d, m))
    dout = rng.normal(size=(n, m))
    while not _mixed_columns(reference.affine_backward(dout, x, w)[1]).any():
        dout = rng.normal(size=(n, m))
    *single, whole = student.map(
        "affine_backward", [*((dout[i : i + 1], x[i : i + 1], w) for i in range(n)), (dout, x, w)]
    )
    per_example = [_checked_gradients(got, x[i : i + 1], w) for i, got in enumerate(single)]
    mixed_single = [i for i, grads in enumerate(per_example) if _mixed_columns(grads[1]).any()]
    expect(
        not mixed_single,
        "with every x[i] > 0, each single example's dw must have one sign per column; "
        f"the dw of examples {mixed_single} mixes signs within a column",
    )
    _, dw, db = _checked_gradients(whole, x, w)
    expect_close(
        dw,
        sum(grads[1] for grads in per_example),
        name="dw of the whole batch, compared with the sum of the single-example dw",
        rtol=1e-9,
        atol=1e-12,
    )
    expect_close(
        db,
        sum(grads[2] for grads in per_example),
        name="db of the whole batch, compared with the sum of the single-example db",
        rtol=1e-9,
        atol=1e-12,
    )
    expect(
        bool(_mixed_columns(dw).any()),
        "in this batch the examples disagree in the sign of dout[k], so some columns of "
        "the batch dw must mix signs; yours has none",
    )
    name = "same_sign_fraction(dw) for the dw of a batch"
    expect_close(
        _fraction(student, dw, name), reference.same_sign_fraction(dw), name=name, rtol=1e-12
    )
