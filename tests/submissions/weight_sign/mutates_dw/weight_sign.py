import numpy as np


def affine_forward(x, w, b):
    return x @ w + b


def affine_backward(dout, x, w):
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def dw_sign(x, dout):
    return np.sign(np.outer(x, dout)).astype(int)


def same_sign_fraction(dw):
    # turn dw into signs, then a column is same-sign if |sum| == number of nonzeros
    dw[dw > 0] = 1
    dw[dw < 0] = -1
    nonzero = np.count_nonzero(dw, axis=0)
    same = np.abs(dw.sum(axis=0)) == nonzero
    return float(np.mean(same))
