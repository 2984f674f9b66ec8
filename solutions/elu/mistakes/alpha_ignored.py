"""alpha hard-coded to 1 in both passes: the argument is accepted but never used."""

import numpy as np


def elu(x, alpha=1.0):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


def elu_backward(dout, x, alpha=1.0):
    return dout * np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0)))
