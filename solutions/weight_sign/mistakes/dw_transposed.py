"""dw computed as dout.T @ x: the transpose of the weight gradient, shape (M, D)."""


def affine_backward(dout, x, w):
    return dout @ w.T, dout.T @ x, dout.sum(axis=0)
