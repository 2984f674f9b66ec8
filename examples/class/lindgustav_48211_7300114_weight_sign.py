import numpy as np


def affine_forward(x, w, b):
    out = np.empty((x.shape[0], w.shape[1]))
    for n, row in enumerate(x):
        out[n] = row @ w + b
    return out


def affine_backward(dout, x, w):
    # dW is the sum over examples of outer(x_n, dout_n)
    dw = sum(np.outer(x[n], dout[n]) for n in range(x.shape[0]))
    dx = np.stack([w @ dout[n] for n in range(x.shape[0])])
    db = dout.sum(axis=0)
    return dx, dw, db


def dw_sign(x, dout):
    return np.sign(np.outer(np.sign(x), np.sign(dout)))


def same_sign_fraction(dw):
    cols = dw.T
    same = [np.all(c >= 0) or np.all(c <= 0) for c in cols]
    return sum(same) / len(same)
