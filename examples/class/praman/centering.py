import numpy as np


def center(x_train, x_test):
    n, d = x_train.shape
    train_out = np.zeros(x_train.shape)
    test_out = np.zeros(x_test.shape)
    for j in range(d):
        total = 0.0
        for i in range(n):
            total += x_train[i, j]
        mean_j = total / n
        train_out[:, j] = x_train[:, j] - mean_j
        test_out[:, j] = x_test[:, j] - mean_j
    return train_out, test_out
