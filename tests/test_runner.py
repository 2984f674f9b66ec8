"""How the student side answers calls in the sandbox: warnings, floating-point state,
results that repeat an array."""

from __future__ import annotations

import numpy as np
import pytest

from grader.errors import StudentRaised, StudentTimeout
from grader.sandbox import SandboxLimits
from grader.student import TIMEOUTS_PER_FUNCTION, StudentModule

MODULE = """\
import warnings

import numpy as np


def strict():
    np.seterr(all="raise")
    warnings.simplefilter("error")
    return 0


def numpy_strict():
    np.seterr(over="raise")
    return 0


def warnings_strict():
    warnings.filters.insert(0, ("error", None, Warning, None, 0))
    return 0


def warns():
    warnings.warn("careful", RuntimeWarning, stacklevel=1)
    return 1


def naive(x, scale=1.0):
    return scale / (1.0 + np.exp(-x))


def twice(x):
    y = x * 2
    return y, y
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
        scaled = module.map("naive", [(x,), (-x,)], {"scale": 2.0})
        np.testing.assert_array_equal(scaled[0], [0.0, 1.0, 2.0])
        np.testing.assert_array_equal(scaled[1], [2.0, 1.0, 0.0])
    finally:
        backend.close()


def test_numpy_and_warnings_are_each_silenced_again_when_only_one_was_changed(sandbox, tmp_path):
    (tmp_path / "mod.py").write_text(MODULE)
    backend = sandbox.backend(tmp_path, SandboxLimits())
    functions = ("numpy_strict", "warnings_strict", "warns", "naive")
    try:
        module = StudentModule("mod", tmp_path / "mod.py", functions, backend)
        x = np.array([-1000.0, 0.0, 1000.0])
        assert module.call("numpy_strict") == 0
        np.testing.assert_array_equal(module.call("naive", x), [0.0, 0.5, 1.0])
        assert module.call("warns") == 1
        assert module.call("warnings_strict") == 0
        assert module.call("warns") == 1
        np.testing.assert_array_equal(module.call("naive", x), [0.0, 0.5, 1.0])
    finally:
        backend.close()


def test_a_result_holding_one_array_twice_arrives_as_two_arrays(sandbox, tmp_path):
    (tmp_path / "mod.py").write_text(MODULE)
    backend = sandbox.backend(tmp_path, SandboxLimits())
    try:
        module = StudentModule("mod", tmp_path / "mod.py", ("twice",), backend)
        first, second = module.call("twice", np.arange(3.0))
        np.testing.assert_array_equal(first, [0.0, 2.0, 4.0])
        np.testing.assert_array_equal(second, [0.0, 2.0, 4.0])
        assert first is not second
    finally:
        backend.close()


def test_numpy_functions_that_import_more_of_numpy_work_in_the_sandbox(sandbox, tmp_path):
    (tmp_path / "stats.py").write_text(
        "import numpy as np\n\n\n"
        "def summary(x):\n"
        "    fit = np.polynomial.Polynomial.fit(x, x, 1)\n"
        "    return (np.median(x), np.percentile(x, 90), np.quantile(x, 0.25),\n"
        "            np.nanmedian(x), float(fit(1.0)), np.linalg.norm(x))\n"
    )
    backend = sandbox.backend(tmp_path, SandboxLimits())
    try:
        module = StudentModule("stats", tmp_path / "stats.py", ("summary",), backend)
        x = np.arange(11.0)
        got = module.call("summary", x)
        want = (5.0, 9.0, 2.5, 5.0, 1.0, float(np.linalg.norm(x)))
        np.testing.assert_allclose(np.array(got, dtype=float), want)
    finally:
        backend.close()


class CountingBackend:
    """Forwards to a real backend and counts the round trips."""

    def __init__(self, backend):
        self.backend = backend
        self.requests = []

    def request(self, message, timeout):
        self.requests.append(message["op"])
        return self.backend.request(message, timeout)

    def close(self):
        self.backend.close()


def test_a_batch_gives_each_call_its_own_keywords_in_one_round_trip(sandbox, tmp_path):
    (tmp_path / "mod.py").write_text(
        MODULE + "\n\ndef fails_on_negative(x):\n"
        "    if x.min() < 0:\n        raise ValueError('negative')\n"
        "    return x\n"
    )
    counting = CountingBackend(sandbox.backend(tmp_path, SandboxLimits()))
    try:
        module = StudentModule("mod", tmp_path / "mod.py", ("naive", "fails_on_negative"), counting)
        x = np.array([-1000.0, 0.0, 1000.0])
        module.ensure_loaded()
        plain, scaled = module.batch("naive", [((x,), {}), ((x,), {"scale": 3.0})])
        np.testing.assert_array_equal(plain, [0.0, 0.5, 1.0])
        np.testing.assert_array_equal(scaled, [0.0, 1.5, 3.0])
        assert counting.requests == ["load", "map"]
        assert [r.kwargs for r in module.records] == [{}, {"scale": 3.0}]
        with pytest.raises(StudentRaised, match="ValueError: negative"):
            module.batch("fails_on_negative", [((np.ones(2),), {}), ((x,), {})])
    finally:
        counting.close()


def test_many_calls_of_different_functions_share_one_round_trip(sandbox, tmp_path):
    (tmp_path / "mod.py").write_text(
        MODULE + "\n\ndef scale_in_place(x):\n    x *= 2\n    return x.sum()\n"
    )
    counting = CountingBackend(sandbox.backend(tmp_path, SandboxLimits()))
    try:
        functions = ("naive", "twice", "scale_in_place", "warns")
        module = StudentModule("mod", tmp_path / "mod.py", functions, counting)
        x = np.array([-1000.0, 0.0, 1000.0])
        module.ensure_loaded()
        plain, scaled, pair = module.many(
            [("naive", (x,), {}), ("naive", (x,), {"scale": 3.0}), ("twice", (x,), {})]
        )
        np.testing.assert_array_equal(plain, [0.0, 0.5, 1.0])
        np.testing.assert_array_equal(scaled, [0.0, 1.5, 3.0])
        np.testing.assert_array_equal(pair[1], 2 * x)
        # each call gets its own copy of x: the one changed in place is not the next one's
        changed, kept = module.observe_many(
            [("scale_in_place", (x,), {}), ("naive", (x,), {})]
        )
        assert changed.result == 0.0
        np.testing.assert_array_equal(changed.args[0], 2 * x)
        np.testing.assert_array_equal(kept.args[0], x)
        assert counting.requests == ["load", "many", "many"]
        assert [r.function for r in module.records] == [
            "naive", "naive", "twice", "scale_in_place", "naive"
        ]
        with pytest.raises(StudentRaised, match="has no function missing"):
            module.many([("warns", (), {}), ("missing", (), {})])
    finally:
        counting.close()


class HangingBackend:
    """Times out every request that calls *hanging*, and counts those it makes."""

    def __init__(self, hanging):
        self.hanging = hanging
        self.made = []

    def request(self, message, timeout):
        if message["op"] == "load":
            return {"ok": None}
        names = [c[0] for c in message["calls"]] if message["op"] == "many" else [message["fn"]]
        self.made.append(names)
        if self.hanging in names:
            raise StudentTimeout("too slow")
        return {"ok": tuple(None for _ in names) if message["op"] == "many" else None}


def test_a_batch_that_timed_out_is_counted_for_its_functions_together(tmp_path):
    backend = HangingBackend("slow")
    module = StudentModule("mod", tmp_path / "mod.py", ("slow", "fast"), backend)
    both = [("slow", (), {}), ("fast", (), {})]
    for _ in range(TIMEOUTS_PER_FUNCTION):
        with pytest.raises(StudentTimeout, match="too slow"):
            module.many(both)
    with pytest.raises(StudentTimeout, match="slow or fast did not finish in time"):
        module.many(both)
    assert module.fast() is None
    for _ in range(TIMEOUTS_PER_FUNCTION):
        with pytest.raises(StudentTimeout, match="too slow"):
            module.slow()
    with pytest.raises(StudentTimeout, match="slow did not finish in time"):
        module.slow()
    assert backend.made == [["slow", "fast"]] * 2 + [["fast"]] + [["slow"]] * 2
