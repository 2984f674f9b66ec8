"""An affine layer, its backward pass, and the sign of dL/dw.

One neuron computes f = sum_i w_i x_i + b. By the chain rule the gradient of
the loss L with respect to one of its weights is

    dL/dw_i = dL/df * x_i.

For one example the factor dL/df is a single number shared by all weights of
the neuron. If every input x_i is positive, as it is after a sigmoid or a ReLU
layer, each dL/dw_i therefore has the sign of that one number: the weight
gradients of the neuron are all positive or all negative. (The same reasoning
holds for f = sum_i w_i (x_i + b_i), whose gradient is dL/dw_i = dL/df * (x_i + b_i):
what matters is the sign of the factor that multiplies w_i.)

A layer with M neurons has a weight matrix w of shape (D, M): column k holds
the D weights into neuron k. For one example x of shape (D,) and upstream
gradient dout of shape (M,), with dout[k] = dL/df_k,

    dW = outer(x, dout),    dW[i, k] = x[i] * dout[k].

Column k is x scaled by dout[k], so with x > 0 it has the single sign of
dout[k]. Different columns can have different signs, because the entries of
dout can: the restriction holds per neuron, not for the whole layer.

Why it matters: take a neuron with two weights. A gradient step from one
all-positive example moves both weights up or both down, so the update points
into the (+, +) or the (-, -) quadrant. If the weights need to go one up and
one down, gradient descent can only get there by alternating between those
two quadrants: a zig-zag path that needs many more steps than a straight one.

Over a batch the gradient is the sum of the per-example outer products,
dW = x.T @ dout, and examples with different signs of dL/df can cancel, so a
column of the batch gradient may mix signs. That softens the zig-zag but does
not remove it; zero-centred inputs (some x_i negative) do, because then each
column of a single example's dW already mixes signs.

All array inputs are float64 numpy arrays. No function may change its inputs;
each returns new arrays.
"""

import numpy as np


def affine_forward(x, w, b):
    """Forward pass of a fully connected (affine) layer.

    Args:
        x: ndarray of shape (N, D), float64: N examples with D features each.
        w: ndarray of shape (D, M), float64: column k holds the weights into neuron k.
        b: ndarray of shape (M,), float64: one bias per neuron.

    Returns:
        ndarray of shape (N, M), float64: out[n, k] = sum_i x[n, i] * w[i, k] + b[k],
        that is x @ w + b.
    """
    return x @ w + b


def affine_backward(dout, x, w):
    """Backward pass of the affine layer: the gradients of the loss L.

    Each gradient has the shape of the array it differentiates. The weight
    gradient is the sum over the N examples of outer(x[n], dout[n]), and the
    bias is added to every example, so its gradient also sums over them.

    Args:
        dout: ndarray of shape (N, M), float64: the upstream gradient dL/dout.
        x: ndarray of shape (N, D), float64: the input the forward pass received.
        w: ndarray of shape (D, M), float64: the weights the forward pass used.

    Returns:
        A tuple (dx, dw, db) of float64 ndarrays:
        dx of shape (N, D): dL/dx,
        dw of shape (D, M): dL/dw,
        db of shape (M,): dL/db.
    """
    dx = dout @ w.T
    dw = x.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def dw_sign(x, dout):
    """The sign of every weight gradient dL/dw[i, k] for ONE example.

    For one example dL/dw[i, k] = x[i] * dout[k], so its sign is the sign of
    x[i] times the sign of dout[k]; it is 0 where x[i] or dout[k] is 0.

    Args:
        x: ndarray of shape (D,), float64: the input of one example.
        dout: ndarray of shape (M,), float64: the upstream gradient for that example.

    Returns:
        ndarray of shape (D, M) with values in {-1, 0, 1} (an integer dtype is
        preferred; any numeric dtype is accepted): the sign of dL/dw.
    """
    return (np.sign(x)[:, None] * np.sign(dout)[None, :]).astype(np.int64)


def same_sign_fraction(dw):
    """The fraction of neurons whose weight gradients all share one sign.

    Column k of dw holds the gradients of the weights into neuron k. A column
    counts as same-sign when its nonzero entries are all positive or all
    negative; zeros have no sign and are ignored, so an all-zero column counts
    too.

    Args:
        dw: ndarray of shape (D, M), float64, with D >= 1 and M >= 1.

    Returns:
        A Python float in [0, 1]: the number of same-sign columns divided by M.
    """
    has_positive = np.any(dw > 0, axis=0)
    has_negative = np.any(dw < 0, axis=0)
    return float(np.mean(~(has_positive & has_negative)))
