"""The logistic sigmoid and its backward pass.

The sigmoid squashes any real number into (0, 1):

    sigma(x) = 1 / (1 + e^-x)

Its derivative can be written with its own output, sigma'(x) = sigma(x) * (1 - sigma(x)).
That product is largest, 0.25, at x = 0 and tends to 0 as |x| grows: a unit whose
input sits far from 0 is *saturated* and sends almost no gradient back. Stacking
many sigmoid layers multiplies factors of at most 0.25, which is why early layers
of deep sigmoid networks learn slowly (vanishing gradients).

All inputs are float64 numpy arrays of any shape. Neither function may change
its inputs; both return new arrays.
"""

import numpy as np


def sigmoid(x):
    """Elementwise logistic sigmoid, finite for every finite input.

    Written naively, 1 / (1 + np.exp(-x)) overflows for x = -1000. A stable
    version only ever exponentiates numbers that are <= 0.

    Args:
        x: ndarray of any shape, float64.

    Returns:
        ndarray of the same shape as x with values in [0, 1]: sigma(x).
    """
    x = np.asarray(x, dtype=np.float64)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_backward(dout, x):
    """Backward pass: the gradient of the loss with respect to the sigmoid's input.

    Args:
        dout: ndarray, same shape as x: the upstream gradient dL/dsigma(x).
        x: ndarray of any shape: the input the forward pass received (not its output).

    Returns:
        ndarray of the same shape as x: dL/dx = dout * sigma(x) * (1 - sigma(x)).
    """
    s = sigmoid(x)
    return dout * s * (1.0 - s)
