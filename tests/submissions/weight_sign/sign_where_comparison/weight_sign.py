import numpy as np


def affine_forward(x, w, b):
    return np.dot(x, w) + b


def affine_backward(dout, x, w):
    dx = np.dot(dout, w.T)
    dw = np.dot(x.T, dout)
    db = dout.sum(0)
    return (dx, dw, db)


def dw_sign(x, dout):
    g = x.reshape(-1, 1) * dout.reshape(1, -1)
    return np.where(g > 0, 1, -1)


def same_sign_fraction(dw):
    mixed = np.logical_and(np.max(dw, axis=0) > 0, np.min(dw, axis=0) < 0)
    return 1.0 - np.count_nonzero(mixed) / dw.shape[1]
