import numpy as np


def affine_forward(x, w, b):
    return x @ w + b


def affine_backward(dout, x, w):
    N = x.shape[0]
    dx = dout @ w.T
    # average the gradient over the batch
    dw = x.T @ dout / N
    db = np.mean(dout, axis=0)
    return dx, dw, db


def dw_sign(x, dout):
    return np.sign(np.outer(x, dout)).astype(int)


def same_sign_fraction(dw):
    signs = np.sign(dw)
    ok = (signs.max(axis=0) <= 0) | (signs.min(axis=0) >= 0)
    return float(ok.mean())
