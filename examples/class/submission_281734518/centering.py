import numpy as np


def center(x_train, x_test):
    mu = np.sum(x_train, axis=0) / len(x_train)
    train = x_train.copy()
    test = np.array(x_test, dtype=float)
    train -= mu
    test -= mu
    return train, test
