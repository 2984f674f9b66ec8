"""Which calls the probe audit picks out as finite-difference probes."""

from __future__ import annotations

import numpy as np

from grader.sandbox_audit import PROBE_DISTANCE, WINDOW, ProbeAudit
from grader.student import CallRecord


def call(x, *rest, function="f", **kwargs):
    return CallRecord(function, (x, *rest), kwargs, None)


def probe_indices(calls, history=()):
    found = ProbeAudit().probes(list(history), calls)
    everything = [*history, *calls]
    return sorted(next(i for i, c in enumerate(everything) if c is f) for f in found)


def test_central_difference_probes_are_found_and_unrelated_calls_are_not():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    h = 1e-5
    probes = []
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = h
        probes += [call(x + step.reshape(x.shape)), call(x - step.reshape(x.shape))]
    unrelated = [call(rng.normal(size=(3, 4))) for _ in range(3)]
    assert probe_indices([*unrelated, *probes]) == list(range(3, 3 + len(probes)))


def test_calls_must_share_function_shape_and_non_numeric_arguments():
    x = np.linspace(-1.0, 1.0, 6)
    assert probe_indices([call(x), call(x + 1e-6, function="g")]) == []
    assert probe_indices([call(x), call(np.append(x, 0.0))]) == []
    assert probe_indices([call(x, mode="a"), call(x + 1e-6, mode="b")]) == []
    assert probe_indices([call(x, mode="a"), call(x + 1e-6, mode="a")]) == [0, 1]


def test_every_argument_must_be_near_including_numbers():
    x = np.ones(4)
    assert probe_indices([call(x, 1.0), call(x, 1.0 + PROBE_DISTANCE / 2)]) == [0, 1]
    assert probe_indices([call(x, 1.0), call(x, 1.5)]) == []
    assert probe_indices([call(x, np.zeros(2)), call(x + 1e-6, np.ones(2))]) == []


def test_one_far_element_is_enough_to_be_far():
    x = np.zeros(50)
    y = x.copy()
    y[-1] = 10 * PROBE_DISTANCE
    assert probe_indices([call(x), call(y)]) == []


def test_nan_inputs_and_calls_without_arrays_are_never_probes():
    x = np.full(3, np.nan)
    assert probe_indices([call(x), call(x.copy())]) == []
    numbers = CallRecord("f", (1.0,), {}, None)
    assert probe_indices([numbers, CallRecord("f", (1.0,), {}, None)]) == []
    boolean = np.array([True, False])
    assert probe_indices([call(boolean), call(boolean.copy())]) == []


def test_only_calls_within_the_window_are_compared():
    rng = np.random.default_rng(1)
    x = rng.normal(size=5)
    spacers = [call(rng.normal(size=5)) for _ in range(WINDOW)]
    assert probe_indices([call(x), *spacers, call(x + 1e-7)]) == []
    assert probe_indices([call(x), *spacers[:-1], call(x + 1e-7)]) == [0, WINDOW]


def test_recent_history_pairs_with_new_calls_and_each_call_is_audited_once():
    x = np.arange(4.0)
    audit = ProbeAudit()
    first = call(x)
    assert audit.probes([], [first]) == []
    second = call(x + 1e-6)
    assert audit.probes([first], [second]) == [first, second]
    third = call(x - 1e-6)
    assert audit.probes([first, second], [third]) == [third]
