import numpy as np


def affine_forward(x, w, b):
    return np.einsum("nd,dm->nm", x, w) + b[np.newaxis, :]


def affine_backward(dout, x, w):
    dx = np.einsum("nm,dm->nd", dout, w)
    dw = np.einsum("nd,nm->dm", x, dout)
    db = np.einsum("nm->m", dout)
    return dx, dw, db


def dw_sign(x, dout):
    return np.einsum("d,m->dm", np.sign(x), np.sign(dout)).astype(np.int8)


def same_sign_fraction(dw):
    s = np.sign(dw)
    # a column mixes signs exactly when its largest sign is 1 and its smallest is -1
    mixed = (s.max(axis=0) - s.min(axis=0)) == 2
    return 1.0 - float(mixed.sum()) / dw.shape[1]
