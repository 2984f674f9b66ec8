"""Never return."""


def sigmoid(x):
    while True:
        pass


def sigmoid_backward(dout, x):
    n = 0
    while n >= 0:
        n += 1
