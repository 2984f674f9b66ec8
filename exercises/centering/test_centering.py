"""Public checks of the centering exercise: students run these with `grader check centering`."""

import numpy as np

from grader import expect, expect_array, expect_close
from grader.wire import describe


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


def test_known_values(student):
    # The training means are 3 for the first feature and 30 for the second.
    x_train = np.array([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]])
    x_test = np.array([[4.0, 0.0], [9.0, 45.0]])
    train, test = _pair(student.center(x_train, x_test), x_train, x_test)
    train_centred = np.array([[-2.0, -20.0], [0.0, -10.0], [2.0, 30.0]])
    test_centred = np.array([[1.0, -30.0], [6.0, 15.0]])
    expect_close(train, train_centred, name="center(...)[0]", rtol=1e-12)
    expect_close(test, test_centred, name="center(...)[1]", rtol=1e-12)
