import numpy as np


def elu(x, alpha=1.0):
    out = np.array(x, dtype=float)
    mask = out <= 0
    out[mask] = alpha * (np.exp(out[mask]) - 1)
    return out


def elu_backward(dout, x, alpha=1.0):
    dx = np.ones_like(x)
    dx[x < 0] = alpha
    return dout * dx
