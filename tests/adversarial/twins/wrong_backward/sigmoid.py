"""A correct forward pass with a wrong backward pass (a constant slope of 0.5)."""

import numpy as np


def sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_backward(dout, x):
    return 0.5 * dout
