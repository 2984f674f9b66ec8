"""dx computed as dout @ w: w is not transposed (only runs when D == M)."""


def affine_backward(dout, x, w):
    return dout @ w, x.T @ dout, dout.sum(axis=0)
