import numpy as np


def affine_forward(x, w, b):
    return x @ w + b


def affine_backward(dout, x, w):
    dx = dout @ w.T
    dw = x.T @ dout
    db = np.sum(dout, axis=0)
    return dx, dw, db


def dw_sign(x, dout):
    return np.sign(np.outer(x, dout)).astype(np.int64)


def same_sign_fraction(dw):
    D, M = dw.shape
    n_same = 0
    for k in range(M):
        col = dw[:, k]
        all_pos = all(v > 0 for v in col)
        all_neg = all(v < 0 for v in col)
        if all_pos or all_neg:
            n_same += 1
    return n_same / M
