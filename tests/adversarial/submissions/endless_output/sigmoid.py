"""Print forever."""

import sys


def sigmoid(x):
    line = "all work and no play " * 1000
    while True:
        print(line)
        sys.stderr.write(line)


def sigmoid_backward(dout, x):
    return sigmoid(x)
