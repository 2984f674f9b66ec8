"""The local derivatives alone: every upstream gradient taken as 1 (dout ignored)."""

import numpy as np


def affine_backward(dout, x, w):
    ones = np.ones((x.shape[0], w.shape[1]))
    return ones @ w.T, x.T @ ones, ones.sum(axis=0)
