"""Centering the data: subtract the training mean of every feature.

Why it matters. A neuron computes f = w_1 x_1 + ... + w_D x_D + b, and the
chain rule gives dL/dw_i = (dL/df) * x_i for one example. If every input x_i
is positive (raw pixel intensities, prices, or the outputs of a sigmoid or
ReLU layer), all these weight gradients are the one number dL/df multiplied
by positive numbers: for that example they are either all positive or all
negative. With two weights, each update can then only point into the (+,+)
or the (-,-) quadrant. When the best weights lie in the (+,-) quadrant,
gradient descent gets there only by alternating between the two allowed
quadrants: a zig-zag path that takes many small steps. Subtracting the mean
of each feature gives inputs of both signs, so the gradients of different
weights can have different signs and descent can head for the target
directly.

Which mean. The mean mu is a property of the training data, learnt once like
a weight: the per-feature average over the training examples (axis 0 of the
(N, D) array). Validation and test data are shifted by the same mu, unchanged.
Computing a new mean from the test set would let information about the test
data leak into the model and would shift the test examples differently from
the examples the model was trained on, so the same input would be seen in
two different places.

All inputs are float64 numpy arrays. The function must not change its
inputs; it returns new arrays.
"""

import numpy as np


def center(x_train, x_test):
    """Centre both sets with the per-feature mean of the training set.

    Args:
        x_train: ndarray of shape (N, D), float64: N training examples, one per
            row, with D features each (N >= 1).
        x_test: ndarray of shape (K, D), float64: K examples to be transformed
            the same way (validation or test data); K may differ from N.

    Returns:
        A tuple (x_train_centred, x_test_centred) of two new float64 ndarrays of
        shapes (N, D) and (K, D): x_train - mu and x_test - mu, where mu, of
        shape (D,), is the mean of each feature over the rows of x_train only.
        Each column of x_train_centred has mean 0.
    """
    mu = np.mean(x_train, axis=0)
    return x_train - mu, x_test - mu
