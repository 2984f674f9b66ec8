"""The number of same-sign columns instead of their fraction."""

import numpy as np


def same_sign_fraction(dw):
    mixed = np.any(dw > 0, axis=0) & np.any(dw < 0, axis=0)
    return int(np.sum(~mixed))
