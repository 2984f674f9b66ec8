"""db summed over every entry of dout: one number instead of one per neuron."""

import numpy as np


def affine_backward(dout, x, w):
    return dout @ w.T, x.T @ dout, float(np.sum(dout))
