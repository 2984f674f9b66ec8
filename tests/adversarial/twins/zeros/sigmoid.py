"""What most attacks return once their trick fails: zeros, honestly."""

import numpy as np


def sigmoid(x):
    return np.zeros_like(x)


def sigmoid_backward(dout, x):
    return np.zeros_like(x)
