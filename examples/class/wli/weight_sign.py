import numpy as np


def affine_forward(x, w, b):
    return x @ w + b


def affine_backward(dout, x, w):
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def dw_sign(x, dout):
    return np.sign(np.outer(x, dout)).astype(int)


def same_sign_fraction(dw):
    has_pos = np.any(dw > 0, axis=0)
    has_neg = np.any(dw < 0, axis=0)
    return int(np.sum(~(has_pos & has_neg)))
