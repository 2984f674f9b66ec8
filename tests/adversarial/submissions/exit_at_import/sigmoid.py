"""End the process while being imported."""

import os

os._exit(3)


def sigmoid(x):
    return x


def sigmoid_backward(dout, x):
    return dout
