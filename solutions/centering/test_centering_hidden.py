"""Hidden checks of the centering exercise."""

import importlib.util
from pathlib import Path

import numpy as np

from grader import expect, expect_array, expect_close
from grader.wire import describe


def _load_sibling(name):
    """Import solutions/centering/<name>.py (graders are imported without sys.path entries)."""
    path = Path(__file__).parent / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_centering_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


descent = _load_sibling("descent")


def _pair(result, x_train, x_test, where=""):
    """The two returned arrays, once they are known to be a tuple of arrays of the input shapes."""
    __tracebackhide__ = True
    expect(
        isinstance(result, tuple) and len(result) == 2,
        f"center returned {describe(result)}{where}; return a tuple of two arrays: "
        "return x_train_centred, x_test_centred",
    )
    train = _float_array(result[0], f"center(...)[0]{where}", x_train.shape)
    test = _float_array(result[1], f"center(...)[1]{where}", x_test.shape)
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


def _expect_as_reference(result, reference, x_train, x_test, where=""):
    __tracebackhide__ = True
    train, test = _pair(result, x_train, x_test, where)
    want_train, want_test = reference.center(x_train.copy(), x_test.copy())
    expect_close(train, want_train, name=f"center(...)[0]{where}", rtol=1e-9, atol=1e-8)
    expect_close(test, want_test, name=f"center(...)[1]{where}", rtol=1e-9, atol=1e-8)


def test_train_mean_only(student, reference, rng):
    # The test set comes from a shifted distribution, so its mean differs clearly
    # from the training mean, as it would after a drift in the data.
    x_train = rng.uniform(1.0, 5.0, size=(30, 3))
    x_test = rng.uniform(1.0, 5.0, size=(12, 3)) + rng.uniform(4.0, 8.0, size=3)
    _expect_as_reference(student.center(x_train, x_test), reference, x_train, x_test)


def test_per_feature_axis(student, reference, rng):
    # Features on very different scales and offsets, in a tall and in a square array
    # (where a mean over the wrong axis has the same length as a per-feature mean).
    cases = []
    for n, k, d in ((9, 6, 5), (4, 3, 4)):
        offsets = rng.normal(0.0, 50.0, size=d)
        scales = rng.uniform(0.1, 10.0, size=d)
        x_train = rng.normal(size=(n, d)) * scales + offsets
        x_test = rng.normal(size=(k, d)) * scales + offsets + rng.normal(0.0, 5.0, size=d)
        cases.append((x_train, x_test))
    for (x_train, x_test), result in zip(cases, student.map("center", cases), strict=True):
        where = f" for x_train of shape {x_train.shape}"
        _expect_as_reference(result, reference, x_train, x_test, where)


def test_edge_shapes(student, reference, rng):
    cases = [
        (rng.normal(2.0, 1.0, size=(n, d)), rng.normal(4.0, 1.0, size=(k, d)))
        for n, k, d in ((1, 3, 4), (12, 5, 1), (6, 1, 3), (2, 9, 5))
    ]
    for (x_train, x_test), result in zip(cases, student.map("center", cases), strict=True):
        where = f" for x_train of shape {x_train.shape} and x_test of shape {x_test.shape}"
        _expect_as_reference(result, reference, x_train, x_test, where)


def test_inputs_unchanged(student, rng):
    x_train = rng.uniform(1.0, 5.0, size=(8, 3))
    x_test = rng.uniform(1.0, 5.0, size=(5, 3)) + 2.0
    seen = student.observe("center", x_train, x_test)
    _pair(seen.result, x_train, x_test)
    expect(np.array_equal(seen.args[0], x_train), "center changed its input x_train")
    expect(np.array_equal(seen.args[1], x_test), "center changed its input x_test")


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
