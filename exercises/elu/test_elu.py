"""Public checks of the ELU exercise: students run these with `grader check elu`."""

import numpy as np

from grader import (
    compare_gradients,
    elementwise_derivative,
    expect,
    expect_array,
    expect_close,
    sample_away_from_kinks,
)


def _alpha_kwargs(alpha):
    """The keyword arguments that ask for *alpha*: none for the default, 1."""
    return {} if alpha == 1.0 else {"alpha": alpha}


def test_forward_known_values(student):
    x = np.array([[0.0, 0.5, 3.0], [-np.log(2.0), -np.log(4.0), -1.0]])
    known = np.array([[0.0, 0.5, 3.0], [-0.5, -0.75, -0.6321205588285577]])
    default, doubled_out = student.batch("elu", [((x,), {}), ((x,), {"alpha": 2.0})])
    expect_close(default, known, name="elu(x)", rtol=1e-9, atol=1e-12)
    doubled = np.where(x > 0, known, 2.0 * known)
    expect_close(doubled_out, doubled, name="elu(x, alpha=2.0)", rtol=1e-9, atol=1e-12)


def test_saturation(student):
    x = np.array([-1000.0, -50.0, -40.0, 40.0, 1000.0])
    negative, positive = x < 0, x > 0
    alphas = (1.0, 0.5, 2.0)
    answers = student.many(
        [("elu", (x,), _alpha_kwargs(alpha)) for alpha in alphas]
        + [("elu_backward", (np.ones_like(x), x), {"alpha": alpha}) for alpha in alphas]
    )
    outs, slopes = answers[: len(alphas)], answers[len(alphas) :]
    for alpha, got, got_slope in zip(alphas, outs, slopes, strict=True):
        call = "elu(x)" if alpha == 1.0 else f"elu(x, alpha={alpha})"
        out = expect_array(got, name=call, shape=x.shape)
        bad = ~np.isfinite(out)
        expect(
            not bad.any(),
            f"{call} is nan or inf at x = {x[bad].tolist()}; ELU must stay finite there",
        )
        expect_close(
            out[negative],
            np.full(int(negative.sum()), -alpha),
            name=f"{call} for x <= -40 (should level off at -alpha = {-alpha})",
            rtol=1e-12,
            atol=1e-12,
        )
        expect_close(out[positive], x[positive], name=f"{call} for x >= 40", rtol=1e-12)

        grad_call = f"elu_backward(ones, x, alpha={alpha})"
        slope = expect_array(got_slope, name=grad_call, shape=x.shape)
        bad = ~np.isfinite(slope)
        expect(
            not bad.any(),
            f"{grad_call} is nan or inf at x = {x[bad].tolist()}; the slope must stay finite",
        )
        expect(
            bool(np.all(np.abs(slope[negative]) < 1e-12)),
            f"{grad_call}: for x <= -40 ELU is saturated and its slope must be nearly 0",
        )
        expect_close(slope[positive], np.ones(int(positive.sum())), name=f"{grad_call} for x >= 40")


def test_backward_gradcheck(student, rng):
    # Both probes of each alpha and its backward call go to the sandbox together.
    h = 1e-6
    cases, calls = [], []
    for alpha in (None, 2.0):
        x = sample_away_from_kinks(rng, (4, 5), kinks=(0.0,), scale=2.0)
        dout = rng.normal(size=x.shape)
        kwargs = {} if alpha is None else {"alpha": alpha}
        cases.append((alpha, x, dout))
        calls += [
            ("elu", (x + h,), kwargs),
            ("elu", (x - h,), kwargs),
            ("elu_backward", (dout, x), kwargs),
        ]
    answers = student.many(calls)
    for k, (alpha, x, dout) in enumerate(cases):
        plus, minus, analytic = answers[3 * k : 3 * k + 3]
        shown = "" if alpha is None else f", alpha={alpha:g}"
        numerical = dout * elementwise_derivative(plus, minus, x, h=h, name=f"elu(x{shown})")
        name = f"elu_backward(dout, x{shown})"
        compare_gradients(numerical, analytic, name=name).raise_for_failure()
