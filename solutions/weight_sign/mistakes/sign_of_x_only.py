"""The sign of x copied into every column: dout is ignored."""

import numpy as np


def dw_sign(x, dout):
    return np.tile(np.sign(x)[:, None], (1, dout.shape[0])).astype(np.int64)
