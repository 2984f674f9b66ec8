"""Ignore or block every catchable signal, then never return."""

import signal

for name in ("SIGTERM", "SIGINT", "SIGALRM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGXCPU"):
    try:
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    except (OSError, ValueError, RuntimeError):
        pass
try:
    signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP})
except (OSError, ValueError):
    pass


def sigmoid(x):
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass


def sigmoid_backward(dout, x):
    return sigmoid(x)
