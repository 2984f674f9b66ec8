"""The sign of dout copied into every row: x is ignored."""

import numpy as np


def dw_sign(x, dout):
    return np.tile(np.sign(dout)[None, :], (x.shape[0], 1)).astype(np.int64)
