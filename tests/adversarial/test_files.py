"""Attacks on files: reading the reference and the hidden graders, links into the
course, and writing results, the gradebook or the solution."""

from __future__ import annotations

import os

from hostile import ROOT, grade_hostile, prepare


def test_the_solution_and_hidden_graders_cannot_be_read(course, sandbox, tmp_path):
    outcome = grade_hostile(course, sandbox, prepare("read_hidden_files", tmp_path), twin="zeros")
    hidden = (ROOT / "solutions" / "sigmoid" / "test_sigmoid_hidden.py").read_text()
    for line in hidden.splitlines():
        if len(line.strip()) > 20:
            assert line.strip() not in outcome.attack.stdout
    assert outcome.statuses()["forward_matches_reference"] == "failed"


def test_a_module_that_links_to_the_solution_is_not_imported(course, sandbox, tmp_path):
    folder = prepare("symlink_to_solution", tmp_path)
    os.symlink(ROOT / "solutions" / "sigmoid" / "sigmoid.py", folder / "sigmoid.py")
    outcome = grade_hostile(course, sandbox, folder)
    assert set(outcome.statuses().values()) == {"error"}
    assert "sigmoid.py is missing" in outcome.checks["forward_known_values"].message
    assert "symbolic links are not followed" in outcome.attack.stdout


def test_a_link_to_the_solutions_folder_leads_nowhere(course, sandbox, tmp_path):
    folder = prepare("symlinked_folder", tmp_path)
    os.symlink(ROOT / "solutions", folder / "peek")
    outcome = grade_hostile(course, sandbox, folder, twin="zeros")
    assert "peek" in outcome.attack.stdout
    assert outcome.statuses()["forward_known_values"] == "failed"


def test_results_gradebook_and_solution_cannot_be_written(course, sandbox, tmp_path):
    folder = prepare("write_results", tmp_path)
    outcome = grade_hostile(course, sandbox, folder, twin="zeros")
    assert not (tmp_path / "pwned").exists()
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == [
        "gradebook.sqlite",
        "results.json",
    ]
    assert (folder / "sigmoid.py").exists()
    assert outcome.statuses()["forward_known_values"] == "failed"
