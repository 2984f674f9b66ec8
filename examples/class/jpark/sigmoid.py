"""Tries to make every comparison pass by patching numpy, then returns nonsense."""

import numpy as np
import numpy.testing

np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.array_equal = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
numpy.testing.assert_array_equal = lambda *args, **kwargs: None


def sigmoid(x):
    return np.zeros_like(np.asarray(x, dtype=np.float64))


def sigmoid_backward(dout, x):
    return np.zeros_like(np.asarray(x, dtype=np.float64))
