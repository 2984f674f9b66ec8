"""Renderers: each turns results into one format and decides nothing about grading.

* :func:`render_terminal` prints one result for ``grader check``;
* :func:`write_submission_reports` writes one student's ``report.html``,
  ``report.md`` and Gradescope ``results.json``;
* :func:`write_class_outputs` writes the class's ``summary.html``;
* :func:`write_gradebook_csv` writes a Canvas-importable gradebook.

What a student may see of hidden checks is decided in one place,
:mod:`grader.report.feedback`. jinja2 and matplotlib are imported only when a
page or a figure is drawn, and the file writers only when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from grader.report.terminal import render_terminal

if TYPE_CHECKING:
    from grader.report.files import (
        student_folder,
        write_class_outputs,
        write_gradebook_csv,
        write_submission_reports,
    )

__all__ = [
    "render_terminal",
    "student_folder",
    "write_class_outputs",
    "write_gradebook_csv",
    "write_submission_reports",
]

_FILE_WRITERS = frozenset(
    {"student_folder", "write_class_outputs", "write_gradebook_csv", "write_submission_reports"}
)


def __getattr__(name: str) -> Any:
    """Import the file writers on first use, so ``grader check`` does not pay for them."""
    if name in _FILE_WRITERS:
        return getattr(importlib.import_module("grader.report.files"), name)
    raise AttributeError(f"module 'grader.report' has no attribute {name!r}")
