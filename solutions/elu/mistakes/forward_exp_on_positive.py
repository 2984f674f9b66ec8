"""The negative branch alpha * (e^x - 1) used for positive inputs too."""

import numpy as np


def elu(x, alpha=1.0):
    return alpha * (np.exp(x) - 1.0)
