"""A column counts only when every entry is > 0 or every entry is < 0: any zero breaks it."""

import numpy as np


def same_sign_fraction(dw):
    same = np.all(dw > 0, axis=0) | np.all(dw < 0, axis=0)
    return float(np.mean(same))
