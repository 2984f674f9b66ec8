import numpy as np


def sigmoid(x):
    neg = x < 0
    x[neg] = -x[neg]          # flips the caller's array in place
    z = np.exp(-x)
    out = 1 / (1 + z)
    out[neg] = 1 - out[neg]
    return out


def sigmoid_backward(dout, x):
    s = sigmoid(x.copy())
    return dout * s * (1 - s)
