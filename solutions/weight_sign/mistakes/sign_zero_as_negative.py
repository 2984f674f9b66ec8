"""A comparison instead of np.sign: exact zeros become -1."""

import numpy as np


def dw_sign(x, dout):
    return np.where(np.outer(x, dout) > 0, 1, -1)
