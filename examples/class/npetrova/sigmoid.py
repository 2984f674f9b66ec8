import numpy as np


def sigmoid(x):
    ex = np.exp(x)
    return ex / (1 + ex)


def sigmoid_backward(dout, x):
    s = sigmoid(x)
    return dout * s * (1 - s)
