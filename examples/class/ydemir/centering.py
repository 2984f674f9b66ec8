def center(x_train, x_test):
    mean = x_train.sum() / x_train.size
    return x_train - mean, x_test - mean
