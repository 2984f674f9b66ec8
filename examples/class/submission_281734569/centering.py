import numpy as np


def center(x_train, x_test):
    mu = np.mean(x_train, axis=0)
    x_train -= mu
    x_test -= mu
    return x_train, x_test
