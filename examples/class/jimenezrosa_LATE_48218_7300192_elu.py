import numpy as np


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.exp(x))


def elu_backward(dout, x, alpha=1.0):
    return dout * np.where(x > 0, 1.0, alpha * np.exp(x))
