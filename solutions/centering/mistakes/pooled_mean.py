"""The mean taken over the training and the test examples together."""

import numpy as np


def center(x_train, x_test):
    mu = np.mean(np.concatenate([x_train, x_test], axis=0), axis=0)
    return x_train - mu, x_test - mu
