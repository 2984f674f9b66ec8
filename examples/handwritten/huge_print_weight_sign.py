"""Correct functions that print about 100 MB of debugging output the first time they run."""

import numpy as np

_LINE = "debug " * 100_000
_PRINTED = []


def _chatter():
    if not _PRINTED:
        _PRINTED.append(True)
        for _ in range(170):
            print(_LINE)


def affine_forward(x, w, b):
    _chatter()
    return x @ w + b


def affine_backward(dout, x, w):
    _chatter()
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def dw_sign(x, dout):
    return (np.sign(x)[:, None] * np.sign(dout)[None, :]).astype(np.int64)


def same_sign_fraction(dw):
    mixed = np.any(dw > 0, axis=0) & np.any(dw < 0, axis=0)
    return float(np.mean(~mixed))
