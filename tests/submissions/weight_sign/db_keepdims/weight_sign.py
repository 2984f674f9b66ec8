import numpy as np


def affine_forward(x, w, b):
    return np.matmul(x, w) + b


def affine_backward(dout, x, w):
    dx = np.matmul(dout, w.T)
    dw = np.matmul(x.T, dout)
    db = np.sum(dout, axis=0, keepdims=True)
    return dx, dw, db


def dw_sign(x, dout):
    return np.sign(x)[:, None] * np.sign(dout)[None, :]


def same_sign_fraction(dw):
    pos = (dw > 0).any(axis=0)
    neg = (dw < 0).any(axis=0)
    return float(np.mean(~(pos & neg)))
