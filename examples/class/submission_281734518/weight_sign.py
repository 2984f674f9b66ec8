"""Everything with explicit loops over examples, features and neurons."""
import numpy as np


def affine_forward(x, w, b):
    N, D = x.shape
    M = w.shape[1]
    out = np.zeros((N, M))
    for n in range(N):
        for k in range(M):
            total = b[k]
            for i in range(D):
                total += x[n, i] * w[i, k]
            out[n, k] = total
    return out


def affine_backward(dout, x, w):
    N, D = x.shape
    M = w.shape[1]
    dx = np.zeros((N, D))
    dw = np.zeros((D, M))
    db = np.zeros(M)
    for n in range(N):
        for k in range(M):
            g = dout[n, k]
            db[k] += g
            for i in range(D):
                dx[n, i] += g * w[i, k]
                dw[i, k] += g * x[n, i]
    return dx, dw, db


def _sign(v):
    if v > 0:
        return 1
    if v < 0:
        return -1
    return 0


def dw_sign(x, dout):
    D, M = len(x), len(dout)
    s = np.zeros((D, M), dtype=int)
    for i in range(D):
        for k in range(M):
            s[i, k] = _sign(x[i]) * _sign(dout[k])
    return s


def same_sign_fraction(dw):
    D, M = dw.shape
    count = 0
    for k in range(M):
        seen = set()
        for i in range(D):
            if dw[i, k] != 0:
                seen.add(_sign(dw[i, k]))
        if len(seen) <= 1:
            count += 1
    return count / M
