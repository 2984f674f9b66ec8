import numpy as np


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def elu_backward(dout, x, alpha=1.0):
    grad = np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))
    return grad
