import numpy as np


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


def elu_backward(dout, x, alpha=1.0):
    # d/dx of alpha * (exp(x) - 1) is alpha * exp(x)
    return dout * alpha * np.exp(x)
