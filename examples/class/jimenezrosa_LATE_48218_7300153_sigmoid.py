import math

import numpy as np


def sigmoid(x):
    out = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        v = float(x[idx])
        if v >= 0:
            out[idx] = 1.0 / (1.0 + math.exp(-v))
        else:
            e = math.exp(v)
            out[idx] = e / (1.0 + e)
    return out


def sigmoid_backward(dout, x):
    grad = np.zeros(x.shape)
    s = sigmoid(x)
    for idx in np.ndindex(x.shape):
        grad[idx] = dout[idx] * s[idx] * (1.0 - s[idx])
    return grad
