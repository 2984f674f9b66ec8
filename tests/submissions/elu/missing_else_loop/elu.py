import numpy as np


def elu(x, alpha=1.0):
    out = np.empty_like(x)
    for i, v in np.ndenumerate(x):
        if v > 0:
            out[i] = v
        out[i] = alpha * (np.exp(v) - 1)
    return out


def elu_backward(dout, x, alpha=1.0):
    dx = np.empty_like(x)
    for i, v in np.ndenumerate(x):
        if v > 0:
            dx[i] = dout[i]
        else:
            dx[i] = dout[i] * alpha * np.exp(v)
    return dx
