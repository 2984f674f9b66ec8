import numpy as np


def center(x_train, x_test):
    all_data = np.vstack((x_train, x_test))
    mu = all_data.mean(axis=0)
    return x_train - mu, x_test - mu
