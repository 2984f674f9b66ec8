"""dw and db divided by the batch size N: the mean of the per-example gradients."""


def affine_backward(dout, x, w):
    n = x.shape[0]
    return dout @ w.T, x.T @ dout / n, dout.sum(axis=0) / n
