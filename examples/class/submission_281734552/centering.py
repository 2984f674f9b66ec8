import numpy as np


def center(x_train, x_test):
    mu = x_train.mean(axis=0, keepdims=True)  # shape (1, D), broadcasts over the rows
    return (x_train - mu, x_test - mu)
