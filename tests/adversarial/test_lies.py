"""Attacks that lie: patched numpy, builtins and pytest, objects whose comparisons lie,
and searches of the stack and the heap for expected values."""

from __future__ import annotations

from hostile import grade_hostile, prepare


def test_patching_numpy_in_the_child_does_not_reach_the_grader(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("patch_numpy", tmp_path), twin="zeros")
    assert outcome.statuses()["forward_known_values"] == "failed"
    assert outcome.statuses()["forward_matches_reference"] == "failed"


def test_patching_builtins_in_the_child_earns_nothing(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("patch_builtins", tmp_path), twin="zeros")
    assert outcome.attack.points <= outcome.twin.points


def test_pytest_and_the_grader_helpers_are_out_of_reach(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("patch_pytest", tmp_path), twin="zeros")
    assert "patched: []" in outcome.attack.stdout
    assert outcome.statuses()["forward_known_values"] == "failed"


def test_an_ndarray_subclass_arrives_as_its_plain_values(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("ndarray_subclass", tmp_path), twin="zeros")
    assert outcome.statuses()["forward_matches_reference"] == "failed"
    assert "differ from the expected" in outcome.checks["forward_matches_reference"].message


def test_objects_with_a_lying_eq_are_refused_as_not_plain_data(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("lying_eq", tmp_path))
    assert set(outcome.statuses().values()) == {"failed"}
    assert "returned" in outcome.checks["forward_known_values"].message
    assert "Equal" in outcome.checks["forward_known_values"].message


def test_objects_with_lying_array_protocols_are_refused(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("lying_array_protocols", tmp_path))
    assert set(outcome.statuses().values()) == {"failed"}
    assert "Protocols" in outcome.checks["backward_gradcheck"].message


def test_the_stack_of_the_child_holds_no_expected_values(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("stack_frames", tmp_path), twin="zeros")
    assert outcome.statuses()["forward_matches_reference"] == "failed"


def test_the_heap_of_the_child_holds_no_expected_values_or_reference(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("gc_objects", tmp_path), twin="zeros")
    assert outcome.statuses()["forward_matches_reference"] == "failed"
    assert outcome.statuses()["backward_matches_reference"] == "failed"


def test_a_forward_pass_that_detects_probes_fails_the_gradient_check(course, sandbox, tmp_path):
    outcome = grade_hostile(
        course, sandbox, prepare("probe_detector", tmp_path), twin="wrong_backward"
    )
    gradcheck = outcome.checks["backward_gradcheck"]
    assert gradcheck.status == "failed"
    assert "fresh process" in gradcheck.message
    assert outcome.statuses()["forward_matches_reference"] == "passed"


def test_a_forward_pass_that_reads_its_batch_of_probes_fails_the_gradient_checks(
    course, sandbox, tmp_path
):
    outcome = grade_hostile(
        course,
        sandbox,
        prepare("batch_probe_detector", tmp_path),
        twin="wrong_dw",
        exercise="weight_sign",
    )
    gradchecks = {n: c for n, c in outcome.checks.items() if "gradcheck" in n}
    assert gradchecks
    for check in gradchecks.values():
        assert check.status == "failed", check.name
    assert outcome.statuses()["forward_values"] == "passed"
