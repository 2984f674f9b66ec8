"""A sigmoid that never returns: the student meant to iterate until convergence."""

import numpy as np


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros_like(x)
    change = np.inf
    while change > 0:
        new = 1.0 / (1.0 + np.exp(-x))
        change = np.max(np.abs(new - out)) if out.size else 1.0
        out = new
        change = 1.0
    return out


def sigmoid_backward(dout, x):
    s = sigmoid(x)
    return dout * s * (1.0 - s)
