import numpy as np


def elu(x, alpha=1.0):
    out = x.copy()
    neg = x < 0
    out[neg] = alpha * (np.exp(x[neg]) - 1)
    return out


def elu_backward(dout, x, alpha=1.0):
    grad = dout.copy()
    neg = x < 0                     # x == 0 counts as the positive side here
    grad[neg] = grad[neg] * alpha * np.exp(x[neg])
    return grad
