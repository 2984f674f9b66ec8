"""How the student side answers calls in the sandbox: warnings, floating-point state."""

from __future__ import annotations

import numpy as np

from grader.sandbox import SandboxLimits
from grader.student import StudentModule

MODULE = """\
import warnings

import numpy as np


def strict():
    np.seterr(all="raise")
    warnings.simplefilter("error")
    return 0


def naive(x):
    return 1.0 / (1.0 + np.exp(-x))
"""


def test_an_overflow_warning_is_never_an_error_even_after_a_function_asked_for_one(
    sandbox, tmp_path
):
    (tmp_path / "mod.py").write_text(MODULE)
    backend = sandbox.backend(tmp_path, SandboxLimits())
    try:
        module = StudentModule("mod", tmp_path / "mod.py", ("strict", "naive"), backend)
        x = np.array([-1000.0, 0.0, 1000.0])
        np.testing.assert_array_equal(module.call("naive", x), [0.0, 0.5, 1.0])
        assert module.call("strict") == 0
        np.testing.assert_array_equal(module.call("naive", x), [0.0, 0.5, 1.0])
        (again,) = module.map("naive", [(x,)])
        np.testing.assert_array_equal(again, [0.0, 0.5, 1.0])
    finally:
        backend.close()
