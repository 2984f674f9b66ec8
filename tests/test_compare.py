"""The comparisons that decide whether two answers are the same."""

import itertools

import numpy as np
import pytest

from grader.compare import all_close

VALUES = [0.0, 1.0, -1.0, 1e-10, 1 + 1e-7, 1 + 1e-5, 1e300, -1e300, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize(("rtol", "atol"), [(1e-6, 1e-9), (1e-13, 1e-15), (0.0, 0.0)])
def test_all_close_is_numpy_allclose_with_equal_nan(rtol, atol):
    for a, b in itertools.product(VALUES, VALUES):
        got, want = np.array([a, 2.0]), np.array([b, 2.0])
        expected = np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
        assert all_close(got, want, rtol, atol) == expected, (a, b)


def test_all_close_compares_integer_and_float_arrays():
    assert all_close(np.arange(3), np.arange(3.0), 1e-6, 1e-9)
    assert not all_close(np.arange(3), np.arange(3.0) + 0.5, 1e-6, 1e-9)
