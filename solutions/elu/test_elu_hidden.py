"""Hidden checks of the ELU exercise."""

import numpy as np

from grader import (
    VJPCase,
    expect,
    expect_array,
    expect_close,
    expect_vjps,
    sample_away_from_kinks,
)

ALPHAS = (0.5, 1.0, 2.0)


def _alphas(rng):
    """The fixed alphas plus one drawn per student."""
    return (*ALPHAS, float(rng.uniform(0.1, 3.0)))


def _extreme_inputs(rng, shape, extra=()):
    """Normal samples mixed with large negative and positive values (and *extra*), shuffled.

    Only *extra* can put a value at exactly 0.
    """
    size = int(np.prod(shape))
    fixed = np.array([-1000.0, -745.0, -50.0, 50.0, 709.0, 1000.0, *extra])
    wide = rng.uniform(-1000.0, 1000.0, size=size // 5)
    normal = sample_away_from_kinks(rng, (size - fixed.size - wide.size,), kinks=(0.0,), scale=3.0)
    return rng.permutation(np.concatenate([normal, wide, fixed])).reshape(shape)


def test_forward_matches_reference(student, reference, rng):
    x = _extreme_inputs(rng, (3, 4, 6), extra=(0.0,))
    alphas = _alphas(rng)
    default, *others = student.batch(
        "elu", [((x,), {}), *(((x,), {"alpha": alpha}) for alpha in alphas)]
    )
    expect_close(default, reference.elu(x), name="elu(x)", rtol=1e-7, atol=1e-12)
    for alpha, got in zip(alphas, others, strict=True):
        expect_close(
            got,
            reference.elu(x, alpha=alpha),
            name=f"elu(x, alpha={alpha:g})",
            rtol=1e-7,
            atol=1e-12,
        )


def test_backward_matches_reference(student, reference, rng):
    x = _extreme_inputs(rng, (6, 7))
    dout = rng.normal(size=x.shape)
    alphas = _alphas(rng)
    default, *others = student.batch(
        "elu_backward",
        [((dout, x), {}), *(((dout, x), {"alpha": alpha}) for alpha in alphas)],
    )
    expect_close(
        default,
        reference.elu_backward(dout, x),
        name="elu_backward(dout, x)",
        rtol=1e-7,
        atol=1e-12,
    )
    for alpha, got in zip(alphas, others, strict=True):
        expect_close(
            got,
            reference.elu_backward(dout, x, alpha=alpha),
            name=f"elu_backward(dout, x, alpha={alpha:g})",
            rtol=1e-7,
            atol=1e-12,
        )


def test_backward_gradcheck_alphas(student, rng):
    problems = []
    for alpha in _alphas(rng):
        x = sample_away_from_kinks(rng, (5, 6), kinks=(0.0,), scale=3.0)
        problems.append((alpha, x, rng.normal(size=x.shape)))
    answers = student.batch(
        "elu_backward", [((dout, x), {"alpha": alpha}) for alpha, x, dout in problems]
    )
    # alpha rides along as a second argument that is never moved, so that the screens of
    # every alpha go to the student's elu in one batch
    cases = [
        VJPCase(
            (x, alpha),
            (0,),
            dout,
            (analytic,),
            names=[f"elu_backward(dout, x, alpha={alpha:g})"],
            forward=f"elu(x, alpha={alpha:g})",
        )
        for (alpha, x, dout), analytic in zip(problems, answers, strict=True)
    ]
    expect_vjps(
        lambda calls: student.batch("elu", [((z,), {"alpha": a}) for z, a in calls]), cases
    )


def test_continuity_at_zero(student):
    x = np.array([-1e-9, 0.0, 1e-9])
    alphas = (1.0, 2.0, 0.5)
    answers = student.many(
        [("elu", (x,), {} if a == 1.0 else {"alpha": a}) for a in alphas]
        + [("elu_backward", (np.ones_like(x), x), {"alpha": a}) for a in alphas]
    )
    outs, slopes = answers[: len(alphas)], answers[len(alphas) :]
    for alpha, got, got_slope in zip(alphas, outs, slopes, strict=True):
        call = "elu" if alpha == 1.0 else f"elu with alpha = {alpha:g}"
        out = expect_array(got, name=call, shape=x.shape)
        expect(
            bool(np.all(np.abs(out) <= 1e-8)),
            f"{call} jumps at 0: its values at x = -1e-9, 0 and 1e-9 must all be within "
            "1e-8 of 0, because both branches give 0 at x = 0",
        )
        slope = expect_array(got_slope, name=f"elu_backward with alpha = {alpha:g}", shape=x.shape)
        expect(
            bool(np.isclose(slope[0], alpha, rtol=1e-6, atol=0.0)),
            f"with alpha = {alpha:g} the slope just left of 0 (x = -1e-9) must be close to "
            f"alpha * e^0 = {alpha:g}",
        )
        expect(
            bool(np.isclose(slope[2], 1.0, rtol=1e-6, atol=0.0)),
            f"with alpha = {alpha:g} the slope just right of 0 (x = 1e-9) must be close to 1",
        )
        expect(
            bool(np.isclose(slope[1], 1.0, rtol=1e-9) or np.isclose(slope[1], alpha, rtol=1e-9)),
            f"with alpha = {alpha:g} the slope at exactly x = 0 was {float(slope[1]):.6g}; "
            f"either one-sided slope is accepted there, 1 or alpha = {alpha:g}",
        )


def test_mean_closer_to_zero(student, rng, record):
    x = rng.normal(size=4_000)
    relu_mean = float(np.maximum(x, 0.0).mean())
    out = expect_array(student.elu(x), name="elu(x)", shape=x.shape).astype(np.float64)
    expect(bool(np.all(np.isfinite(out))), "elu(x) returned nan or inf on standard normal inputs")
    elu_mean = float(out.mean())
    record.update(elu_mean=elu_mean, relu_mean=relu_mean)
    expect(
        bool(np.any(out < 0)),
        "elu(x) gave no negative value on standard normal inputs; negative inputs must "
        "give negative outputs",
    )
    expect(
        abs(elu_mean) < relu_mean,
        f"on standard normal inputs the mean of your elu(x) is {elu_mean:.3g}, which is not "
        f"closer to 0 than ReLU's mean of {relu_mean:.3g}",
    )


def test_zero_upstream(student, rng):
    x = sample_away_from_kinks(rng, (3, 4), kinks=(0.0,), scale=3.0)
    x[0, :2] = (-50.0, 50.0)
    default, doubled = student.batch(
        "elu_backward", [((np.zeros_like(x), x), {}), ((np.zeros_like(x), x), {"alpha": 2.0})]
    )
    grad = expect_array(default, name="elu_backward", shape=x.shape)
    expect(bool(np.all(grad == 0)), "with dout = 0 the gradient must be exactly 0")
    grad = expect_array(doubled, name="elu_backward with alpha = 2", shape=x.shape)
    expect(bool(np.all(grad == 0)), "with dout = 0 and alpha = 2 the gradient must be exactly 0")


def test_inputs_unchanged(student, rng):
    x = rng.normal(0.0, 3.0, size=(5, 3))
    dout = rng.normal(size=x.shape)
    kwargs_sets = ({}, {"alpha": 2.0})
    seen = student.observe_many(
        [
            call
            for kwargs in kwargs_sets
            for call in (("elu", (x,), kwargs), ("elu_backward", (dout, x), kwargs))
        ]
    )
    for forward, backward in zip(seen[0::2], seen[1::2], strict=True):
        expect(np.array_equal(forward.args[0], x), "elu changed its input x")
        expect(np.array_equal(backward.args[0], dout), "elu_backward changed its input dout")
        expect(np.array_equal(backward.args[1], x), "elu_backward changed its input x")
