"""sigma'(x) computed as x (1 - x): the formula applied to the input, not the output."""


def sigmoid_backward(dout, x):
    return dout * x * (1.0 - x)
