"""Read and write through a null pointer with ctypes."""

import ctypes


def sigmoid(x):
    return ctypes.c_int.from_address(8).value


def sigmoid_backward(dout, x):
    ctypes.memmove(8, b"boom", 4)
    return dout
