"""Renderers: each turns results into one format and decides nothing about grading."""

from grader.report.terminal import render_terminal

__all__ = ["render_terminal"]
