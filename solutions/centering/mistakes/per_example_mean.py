"""The mean over the wrong axis: every example (row) minus its own average feature."""

import numpy as np


def center(x_train, x_test):
    return (
        x_train - np.mean(x_train, axis=1, keepdims=True),
        x_test - np.mean(x_test, axis=1, keepdims=True),
    )
