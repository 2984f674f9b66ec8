"""dx computed as w @ dout.T: the transpose of the input gradient, shape (D, N)."""


def affine_backward(dout, x, w):
    return w @ dout.T, x.T @ dout, dout.sum(axis=0)
