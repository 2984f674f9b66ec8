import numpy as np


def affine_forward(x, w, b):
    return x.dot(w) + b


def affine_backward(dout, x, w):
    dx = dout.dot(w)
    dw = x.T.dot(dout)
    db = dout.sum(axis=0)
    return dx, dw, db


def dw_sign(x, dout):
    return np.sign(x[:, None] * dout[None, :])


def same_sign_fraction(dw):
    res = []
    for col in dw.T:
        res.append(not (np.any(col > 0) and np.any(col < 0)))
    return float(np.mean(res))
