"""A correct weight_sign module: graded after the attacks on that exercise."""

import numpy as np


def affine_forward(x, w, b):
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return x @ w + b


def affine_backward(dout, x, w):
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def dw_sign(x, dout):
    return (np.sign(x)[:, None] * np.sign(dout)[None, :]).astype(np.int64)


def same_sign_fraction(dw):
    has_positive = np.any(dw > 0, axis=0)
    has_negative = np.any(dw < 0, axis=0)
    return float(np.mean(~(has_positive & has_negative)))
