import numpy as np


def center(x_train, x_test):
    # subtract the mean from every sample
    new_train = []
    for sample in x_train:
        new_train.append(sample - np.mean(sample))
    new_test = []
    for sample in x_test:
        new_test.append(sample - np.mean(sample))
    return np.array(new_train), np.array(new_test)
