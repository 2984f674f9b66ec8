"""Rows of dw checked instead of columns."""

import numpy as np


def same_sign_fraction(dw):
    mixed = np.any(dw > 0, axis=1) & np.any(dw < 0, axis=1)
    return float(np.mean(~mixed))
