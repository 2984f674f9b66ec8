import numpy as np


def center(x_train, x_test):
    # center each dataset so that both have zero mean
    train_mean = x_train.mean(axis=0)
    test_mean = x_test.mean(axis=0)
    return x_train - train_mean, x_test - test_mean
