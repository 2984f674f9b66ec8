"""Hidden checks of the weight_sign exercise."""

import numpy as np

from grader import compare_gradients, expect, expect_array, expect_close, numerical_vjp
from grader.wire import describe


def _gradients(student, dout, x, w):
    """affine_backward(dout, x, w), checked to be a tuple (dx, dw, db) of the right shapes."""
    __tracebackhide__ = True
    return _checked_gradients(student.affine_backward(dout, x, w), x, w)


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


def _signs(student, x, dout):
    """dw_sign(x, dout), checked to be a (D, M) array of -1, 0 and 1."""
    __tracebackhide__ = True
    name = f"dw_sign(x, dout) with D={x.size}, M={dout.size}"
    got = expect_array(student.dw_sign(x, dout), name=name, shape=(x.size, dout.size), kinds="fiu")
    bad = ~np.isin(got, (-1, 0, 1))
    expect(
        not bad.any(),
        f"{name} must contain only -1, 0 and 1; it also returned {got[bad].ravel()[:3].tolist()}",
    )
    return got


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


def _with_zeros(rng, size, count):
    """Normal values of mixed magnitudes with *count* exact zeros (one of them -0.0)."""
    values = rng.normal(size=size) * 10.0 ** rng.uniform(-3.0, 3.0, size=size)
    where = rng.choice(size, size=min(count, size), replace=False)
    values[where] = 0.0
    values[where[:1]] = -0.0
    return values


def test_forward_matches_reference(student, reference, rng):
    for n, d, m in ((8, 5, 6), (1, 7, 3), _sizes(rng, 2, 10)):
        x = rng.normal(0.0, 3.0, size=(n, d))
        w = rng.normal(size=(d, m))
        b = rng.normal(size=m)
        expect_close(
            student.affine_forward(x, w, b),
            reference.affine_forward(x, w, b),
            name=f"affine_forward(x, w, b) with N={n}, D={d}, M={m}",
            rtol=1e-9,
            atol=1e-12,
        )


def test_backward_gradcheck_shapes(student, rng):
    for n, d, m in ((1, 4, 3), (6, 1, 2), (3, 5, 1), (1, 1, 1), _sizes(rng)):
        x = rng.normal(size=(n, d))
        w = rng.normal(size=(d, m))
        b = rng.normal(size=m)
        dout = rng.normal(size=(n, m))
        analytic = _gradients(student, dout, x, w)
        for position, name in enumerate(("dx", "dw", "db")):
            numerical = numerical_vjp(
                lambda calls: student.map("affine_forward", calls),
                (x, w, b),
                position,
                dout,
                name="affine_forward(x, w, b)",
            )
            compare_gradients(
                numerical,
                analytic[position],
                name=f"{name} from affine_backward(dout, x, w) with N={n}, D={d}, M={m}",
            ).raise_for_failure()


def test_edge_shapes(student, rng):
    for n, d, m in ((1, 4, 3), (5, 1, 2), (3, 2, 1), (1, 1, 1)):
        x = rng.normal(size=(n, d))
        w = rng.normal(size=(d, m))
        b = rng.normal(size=m)
        dout = rng.normal(size=(n, m))
        expect_array(
            student.affine_forward(x, w, b),
            name=f"affine_forward(x, w, b) with N={n}, D={d}, M={m}",
            shape=(n, m),
        )
        _, dw, _ = _gradients(student, dout, x, w)
        _signs(student, x[0], dout[0])
        _fraction(student, dw, f"same_sign_fraction(dw) for dw of shape {dw.shape}")


def test_dw_sign_matches_gradient(student, reference, rng):
    for _ in range(4):
        d, m = (int(k) for k in rng.integers(2, 9, size=2))
        x = _with_zeros(rng, d, 2)
        dout = _with_zeros(rng, m, 1)
        w = rng.normal(size=(d, m))
        true_dw = reference.affine_backward(dout[None, :], x[None, :], w)[1]
        expect_close(
            _signs(student, x, dout),
            np.sign(true_dw),
            name=f"dw_sign(x, dout) for one example with D={d}, M={m}, zeros included",
            rtol=0.0,
            atol=0.0,
        )


def test_positive_input_one_sign(student, rng):
    d, m = 6, 5
    relu_like = np.maximum(rng.normal(size=d), 0.0)
    relu_like[:2] = (0.0, 0.4)
    inputs = [rng.uniform(0.05, 3.0, size=d), rng.uniform(0.05, 3.0, size=d), relu_like]
    for x in inputs:
        dout = rng.normal(size=m)
        dout[rng.integers(m)] = 0.0
        w = rng.normal(size=(d, m))
        signs_wanted = np.sign(x)[:, None] * np.sign(dout)[None, :]
        _, dw, _ = _gradients(student, dout[None, :], x[None, :], w)
        off = [k for k in range(m) if not np.array_equal(np.sign(dw[:, k]), signs_wanted[:, k])]
        expect(
            not off,
            "for one example with every x[i] >= 0, column k of dw (the weights into neuron k) "
            f"must have the sign of dout[k] wherever x[i] > 0, and 0 where x[i] = 0; "
            f"columns {off} do not",
        )
        signs = _signs(student, x, dout)
        off = [k for k in range(m) if not np.array_equal(signs[:, k], signs_wanted[:, k])]
        expect(
            not off,
            "dw_sign(x, dout) with every x[i] >= 0 must give column k the sign of dout[k] "
            f"wherever x[i] > 0, and 0 where x[i] = 0; columns {off} do not",
        )
        fraction = _fraction(student, dw, "same_sign_fraction(dw)")
        expect(
            fraction == 1.0,
            "every column of this dw (one example, every x[i] >= 0) has a single sign among "
            f"its nonzero entries, but same_sign_fraction(dw) returned {fraction!r}; it must "
            "count all of them",
        )


def test_centred_input_mixes_signs(student, reference, rng):
    d, m = 7, 6
    activations = rng.uniform(0.05, 1.0, size=(40, d))
    centred = activations - activations.mean(axis=0)
    both_signs = centred[np.any(centred > 0, axis=1) & np.any(centred < 0, axis=1)]
    for index, x in enumerate(both_signs[:3]):
        dout = rng.normal(size=m)
        if index == 0:
            dout = np.abs(dout)
        dout[rng.integers(m)] = 0.0
        w = rng.normal(size=(d, m))
        _, dw, _ = _gradients(student, dout[None, :], x[None, :], w)
        wrong = [k for k in range(m) if _mixed_columns(dw)[k] != (dout[k] != 0)]
        expect(
            not wrong,
            "for one example with zero-centred x (entries of both signs), column k of dw "
            f"must mix signs exactly when dout[k] is not 0; columns {wrong} do not",
        )
        name = "same_sign_fraction(dw) for one example with zero-centred x"
        expect_close(
            _fraction(student, dw, name), reference.same_sign_fraction(dw), name=name, rtol=1e-12
        )


def test_batch_can_mix_signs(student, reference, rng):
    n, d, m = 8, 4, 5
    x = rng.uniform(0.05, 2.0, size=(n, d))
    w = rng.normal(size=(d, m))
    dout = rng.normal(size=(n, m))
    while not _mixed_columns(reference.affine_backward(dout, x, w)[1]).any():
        dout = rng.normal(size=(n, m))
    single = student.map("affine_backward", [(dout[i : i + 1], x[i : i + 1], w) for i in range(n)])
    per_example = [_checked_gradients(got, x[i : i + 1], w) for i, got in enumerate(single)]
    mixed_single = [i for i, grads in enumerate(per_example) if _mixed_columns(grads[1]).any()]
    expect(
        not mixed_single,
        "with every x[i] > 0, each single example's dw must have one sign per column; "
        f"the dw of examples {mixed_single} mixes signs within a column",
    )
    _, dw, db = _gradients(student, dout, x, w)
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


def test_inputs_unchanged(student, rng):
    n, d, m = 4, 3, 5
    x = rng.normal(size=(n, d))
    w = rng.normal(size=(d, m))
    b = rng.normal(size=m)
    dout = rng.normal(size=(n, m))
    single_x = _with_zeros(rng, d, 1)
    single_dout = _with_zeros(rng, m, 1)
    dw = rng.normal(size=(d, m))
    dw[0, 0] = 0.0
    calls = [
        ("affine_forward", ("x", "w", "b"), (x, w, b)),
        ("affine_backward", ("dout", "x", "w"), (dout, x, w)),
        ("dw_sign", ("x", "dout"), (single_x, single_dout)),
        ("same_sign_fraction", ("dw",), (dw,)),
    ]
    for function, names, args in calls:
        seen = student.observe(function, *args)
        for name, before, after in zip(names, args, seen.args, strict=True):
            expect(
                isinstance(after, np.ndarray) and np.array_equal(after, before),
                f"{function} changed its input {name}",
            )
