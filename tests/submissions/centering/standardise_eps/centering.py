import numpy as np


def center(x_train, x_test):
    mean = np.mean(x_train, axis=0)
    std = np.std(x_train, axis=0)
    # normalize so every feature has mean 0 and variance 1
    x_train_norm = (x_train - mean) / (std + 1e-8)
    x_test_norm = (x_test - mean) / (std + 1e-8)
    return x_train_norm, x_test_norm
