"""A correct sigmoid through tanh: sigma(x) = (1 + tanh(x / 2)) / 2."""
import numpy as np


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def sigmoid_backward(dout, x):
    t = np.tanh(0.5 * x)
    return dout * 0.25 * (1.0 - t * t)
