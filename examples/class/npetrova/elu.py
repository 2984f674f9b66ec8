"""The exponential linear unit (ELU) and its backward pass.

ELU keeps positive inputs as they are and bends negative ones along an exponential:

    ELU(x) = x                  for x > 0
    ELU(x) = alpha * (e^x - 1)  for x <= 0        (alpha > 0, usually 1)

What this shape buys, compared with ReLU = max(0, x):

* One-sided saturation. As x goes to -infinity, e^x goes to 0 and ELU levels off
  at -alpha, with a slope that fades to 0. On the positive side there is no
  saturation at all: the slope stays 1.
* Negative outputs. ReLU never outputs a negative number, so the next layer sees
  only non-negative inputs, and all the weight gradients dL/dw_i = dL/df * x_i of
  one of its neurons share the sign of dL/df for a given example (gradient descent
  then zig-zags). ELU's negative outputs pull the mean activation towards zero,
  which eases that problem.
* Continuity. Both branches give 0 at x = 0, so ELU is continuous there. Its slope
  is 1 just right of 0 and alpha just left of it, so the derivative is continuous
  only when alpha = 1.
* A cheap derivative. For x <= 0 the slope alpha * e^x equals ELU(x) + alpha, so a
  network can reuse the forward output in the backward pass.
* A price. Every negative input costs an exponential, which makes ELU slower to
  evaluate than ReLU's single comparison.

All inputs are float64 numpy arrays of any shape. Neither function may change its
inputs; both return new arrays.
"""

import numpy as np


def elu(x, alpha=1.0):
    """Elementwise ELU, finite for every finite input.

    Exponentiate only numbers that are <= 0 (for instance np.minimum(x, 0)):
    e^x overflows to inf once x is larger than about 709.

    Args:
        x: ndarray of any shape, float64: the pre-activations.
        alpha: positive float (default 1.0): the level -alpha that ELU approaches
            for very negative x.

    Returns:
        ndarray of the same shape as x, float64: x where x > 0 and
        alpha * (e^x - 1) where x <= 0. No value is below -alpha.
    """
    x = np.asarray(x, dtype=np.float64)
    negative_part = alpha * np.expm1(np.minimum(x, 0.0))
    return np.where(x > 0, x, negative_part)


def elu_backward(dout, x, alpha=1.0):
    """Backward pass: the gradient of the loss with respect to ELU's input.

    At exactly x = 0 the two one-sided slopes (1 and alpha) differ unless
    alpha = 1; either one is accepted there.

    Args:
        dout: ndarray of the same shape as x, float64: the upstream gradient
            dL/dELU(x).
        x: ndarray of any shape, float64: the input the forward pass received
            (not its output).
        alpha: positive float (default 1.0): the same alpha as in the forward pass.

    Returns:
        ndarray of the same shape as x, float64: dL/dx = dout * ELU'(x), where
        ELU'(x) = 1 for x > 0 and alpha * e^x (= ELU(x) + alpha) for x <= 0.
    """
    x = np.asarray(x, dtype=np.float64)
    dout = np.asarray(dout, dtype=np.float64)
    slope = np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))
    return dout * slope
