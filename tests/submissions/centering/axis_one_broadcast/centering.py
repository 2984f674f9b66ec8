import numpy as np


def center(x_train, x_test):
    mean = np.mean(x_train, axis=1)
    return x_train - mean, x_test - mean
