import numpy as np


def elu(x, alpha=1.0):
    neg = np.minimum(x, 0)          # never exponentiate positive numbers
    return np.where(x > 0, x, alpha * np.expm1(neg))


def elu_backward(dout, x, alpha=1.0):
    # for x <= 0 the slope alpha * e^x is the same as elu(x) + alpha
    out = elu(x, alpha)
    return np.where(x > 0, dout, dout * (out + alpha))
