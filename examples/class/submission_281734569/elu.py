import math

import numpy as np


def elu(x, alpha=1.0):
    result = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        v = float(x[idx])
        if v > 0:
            result[idx] = v
        else:
            result[idx] = alpha * (math.exp(v) - 1)
    return result


def elu_backward(dout, x, alpha=1.0):
    dx = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        v = float(x[idx])
        if v > 0:
            dx[idx] = dout[idx]
        else:
            dx[idx] = dout[idx] * alpha * math.exp(v)
    return dx
