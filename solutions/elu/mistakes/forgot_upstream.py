"""The local slope alone: the chain rule's dout is missing."""

import numpy as np


def elu_backward(dout, x, alpha=1.0):
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))
