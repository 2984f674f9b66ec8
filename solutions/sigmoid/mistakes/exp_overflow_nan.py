"""e^x / (1 + e^x): inf / inf = nan for large x."""

import numpy as np


def sigmoid(x):
    e = np.exp(x)
    return e / (1.0 + e)
