"""Write a gibibyte to stdout and stderr each time it is imported, then answer correctly."""

import os

import numpy as np

_block = b"spam\n" * (1 << 18)
for fd in (1, 2):
    for _ in range(1 << 29 >> 20):
        os.write(fd, _block[: 1 << 20])


def sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_backward(dout, x):
    s = sigmoid(x)
    return dout * s * (1.0 - s)
