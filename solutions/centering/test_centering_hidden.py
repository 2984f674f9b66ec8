"""Hidden checks of the centering exercise."""

import importlib.util
from pathlib import Path

import numpy as np

from grader import expect, expect_array
from grader.wire import describe


def _load_sibling(name):
    """Import solutions/centering/<name>.py (graders are imported without sys.path entries)."""
    path = Path(__file__).parent / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_centering_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


descent = _load_sibling("descent")


def _pair(result, x_train, x_test):
    """The two returned arrays, once they are known to be a tuple of arrays of the input shapes."""
    __tracebackhide__ = True
    expect(
        isinstance(result, tuple) and len(result) == 2,
        f"center returned {describe(result)}; return a tuple of two arrays: "
        "return x_train_centred, x_test_centred",
    )
    train = _float_array(result[0], "center(...)[0]", x_train.shape)
    test = _float_array(result[1], "center(...)[1]", x_test.shape)
    return train, test


def _float_array(value, name, shape):
    __tracebackhide__ = True
    array = expect_array(value, name=name, shape=shape)
    expect(
        array.dtype.kind == "f",
        f"{name} has dtype {array.dtype}; centred values are fractions, so return float "
        "arrays (x_train - mu already is one)",
    )
    return array


def test_descent_experiment(student, rng, record):
    problem = descent.make_problem(rng)
    train, _ = _pair(
        student.center(problem.x_train, problem.x_test), problem.x_train, problem.x_test
    )
    expect(
        bool(np.all(np.isfinite(train))),
        "center(...)[0] contains nan or inf, so no neuron can be trained on it",
    )
    lr = descent.stable_learning_rate(problem.x_train)
    raw = descent.train_neuron(problem.x_train, problem.y, lr)
    centred = descent.train_neuron(train, problem.y, lr)
    record.update(
        raw_path=raw.path,
        raw_path_steps=raw.path_steps,
        raw_steps=raw.steps,
        raw_flips=raw.flips,
        centred_path=centred.path,
        centred_path_steps=centred.path_steps,
        centred_steps=centred.steps,
        centred_flips=centred.flips,
        learning_rate=lr,
        loss_target=descent.LOSS_TARGET,
    )
    experiment = (
        "This check trains one neuron with two weights by gradient descent, once on "
        f"all-positive inputs, which reach the loss target in {raw.steps} steps, and once on "
        "the training set as your center returns it"
    )
    if centred.diverged:
        outcome = f"on your centred inputs the loss grew without bound after {centred.steps} steps"
    else:
        outcome = (
            f"on your centred inputs the loss stayed above the target for all {centred.steps} steps"
        )
    expect(
        centred.reached,
        f"{experiment}: {outcome}. Correctly centred features have mean 0 over the training "
        "examples; check which mean you subtract and over which axis.",
    )
    expect(
        centred.steps < raw.steps,
        f"{experiment}: your centred inputs needed {centred.steps} steps, no fewer. Centring "
        "with the training mean should make training clearly faster.",
    )
    expect(
        centred.flips < raw.flips,
        f"{experiment}: on your centred inputs the weight updates changed quadrant "
        f"{centred.flips} times, no fewer than the {raw.flips} zig-zag flips on the raw "
        "inputs. Centring with the training mean should remove the zig-zag.",
    )
