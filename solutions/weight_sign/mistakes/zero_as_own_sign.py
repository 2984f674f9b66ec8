"""A column counts only when np.sign gives one value for all its entries, zeros included."""

import numpy as np


def same_sign_fraction(dw):
    signs = np.sign(dw)
    same = np.all(signs == signs[0:1, :], axis=0)
    return float(np.mean(same))
