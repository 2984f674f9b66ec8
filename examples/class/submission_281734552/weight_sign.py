import numpy as np


def affine_forward(x, w, b):
    out = x.dot(w) + b
    return out


def affine_backward(dout, x, w):
    dx = dout.dot(w.T)
    dw = dout.T.dot(x)  # gradient of out wrt w is x, times dout
    db = np.sum(dout, axis=0)
    return dx, dw, db


def dw_sign(x, dout):
    return np.sign(np.outer(x, dout)).astype(int)


def same_sign_fraction(dw):
    M = dw.shape[1]
    same = 0
    for k in range(M):
        col = dw[:, k]
        if np.all(col >= 0) or np.all(col <= 0):
            same += 1
    return same / M
