"""Raise exceptions that are not Exceptions: SystemExit, KeyboardInterrupt and a home-made one."""

import sys


class Escape(BaseException):
    def __str__(self):
        raise Escape()


def sigmoid(x):
    if x.ndim == 2:
        sys.exit(0)
    raise KeyboardInterrupt


def sigmoid_backward(dout, x):
    if x.size % 2:
        raise GeneratorExit
    raise Escape()
