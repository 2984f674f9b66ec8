"""The centering experiment's gradient descent, computed in closed form, against a plain loop."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

PATH = Path(__file__).resolve().parent.parent / "solutions" / "centering" / "descent.py"
_spec = importlib.util.spec_from_file_location("_descent_under_test", PATH)
descent = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(descent)


def step_by_step(x, y, lr, max_steps=descent.MAX_STEPS):
    """Gradient descent one step at a time: steps, reached, diverged, flips, weights."""
    n = len(x)
    w, b = np.zeros(x.shape[1]), 0.0
    weights, updates = [w.copy()], []
    reached = diverged = False
    with np.errstate(all="ignore"):
        for step in range(max_steps + 1):
            r = x @ w + b - y
            loss = 0.5 * float(r @ r) / n
            if not math.isfinite(loss):
                diverged = True
                break
            if loss <= descent.LOSS_TARGET:
                reached = True
                break
            if step == max_steps:
                break
            update = -lr * (x.T @ r) / n
            b -= lr * float(r.sum()) / n
            w = w + update
            updates.append(update)
            weights.append(w.copy())
    flips = descent.quadrant_flips(np.array(updates).reshape(-1, x.shape[1]))
    return len(updates), reached, diverged, flips, np.array(weights)


def inputs(problem, kind):
    x, x_test = problem.x_train, problem.x_test
    return {
        "raw": x,
        "centred": x - x.mean(axis=0),
        "scalar mean": x - x.mean(),
        "standardised": (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-8),
        "zeros": np.zeros_like(x),
        "test mean": x - x_test.mean(axis=0),
    }[kind]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(
    "kind", ["raw", "centred", "scalar mean", "standardised", "zeros"]
)
def test_closed_form_takes_the_steps_of_the_loop(seed, kind):
    problem = descent.make_problem(np.random.default_rng(seed))
    lr = descent.stable_learning_rate(problem.x_train)
    x = inputs(problem, kind)
    steps, reached, diverged, flips, weights = step_by_step(x, problem.y, lr)
    run = descent.train_neuron(x, problem.y, lr)
    assert (run.steps, run.reached, run.diverged, run.flips) == (steps, reached, diverged, flips)
    assert run.path_steps[-1] == steps
    np.testing.assert_allclose(run.path, weights[run.path_steps], rtol=1e-7, atol=1e-9)


def test_the_raw_run_zig_zags_and_the_centred_one_reaches_the_target_sooner():
    problem = descent.make_problem(np.random.default_rng(0))
    lr = descent.stable_learning_rate(problem.x_train)
    raw = descent.train_neuron(problem.x_train, problem.y, lr)
    centred = descent.train_neuron(inputs(problem, "centred"), problem.y, lr)
    assert centred.reached and centred.steps < raw.steps
    assert raw.flips > 10 * max(centred.flips, 1)


def test_a_run_that_diverges_stops_where_the_loss_overflows():
    problem = descent.make_problem(np.random.default_rng(3))
    lr = descent.stable_learning_rate(problem.x_train)
    x = inputs(problem, "test mean")
    steps, _, diverged, _, _ = step_by_step(x, problem.y, lr)
    run = descent.train_neuron(x, problem.y, lr)
    assert diverged and run.diverged and not run.reached
    # Where float64 overflows depends on the order of the sums: a step or two either way.
    assert abs(run.steps - steps) <= 3
    assert np.all(np.isfinite(run.path)) and run.path_steps[-1] <= run.steps
