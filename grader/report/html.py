"""Self-contained HTML pages: one student's report and the class summary.

Templates live in ``grader/templates/*.html.j2`` and are rendered by jinja2
with autoescaping on. Styles are inline and figures are embedded as base64 PNG
data URIs, so a page opens offline and links to nothing outside itself (the
summary links only to the students' reports next to it).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from grader.report.classstats import ClassStats
from grader.report.feedback import STATUS_LABELS, ReportView, fmt_points
from grader.report.plots import Plot

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

__all__ = [
    "Figure",
    "StudentRow",
    "data_uri",
    "emphasis",
    "render_report_html",
    "render_summary_html",
]

_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")


@dataclass(frozen=True)
class Figure:
    """A figure ready for a page: caption and an embeddable ``data:`` URI."""

    caption: str
    uri: str


@dataclass(frozen=True)
class StudentRow:
    student: str
    points: float
    max_points: float
    cells: dict[str, str]


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def figure(plot: Plot) -> Figure:
    return Figure(plot.caption, data_uri(plot.png))


def render_report_html(view: ReportView, plots: Mapping[str, Sequence[Plot]]) -> str:
    """One student's report; *plots* maps ``exercise.check`` to that check's figures."""
    figures = {key: [figure(p) for p in found] for key, found in plots.items()}
    return (
        _environment()
        .get_template("report.html.j2")
        .render(view=view, plots=figures, points=fmt_points)
    )


def render_summary_html(
    stats: ClassStats,
    students: Sequence[StudentRow],
    links: Mapping[str, str],
    *,
    histogram: Plot | None,
    pass_rates: Plot | None,
) -> str:
    """The class summary; *links* maps a student to the relative URL of their report."""
    full_marks = sum(1 for s in stats.scores if stats.max_points and s >= stats.max_points)
    return (
        _environment()
        .get_template("summary.html.j2")
        .render(
            stats=stats,
            students=students,
            link=_linker(links),
            labels=STATUS_LABELS,
            points=fmt_points,
            full_marks=full_marks,
            histogram=figure(histogram) if histogram else None,
            pass_rates=figure(pass_rates) if pass_rates else None,
        )
    )


def _linker(links: Mapping[str, str]) -> Callable[[str], Markup]:
    from markupsafe import Markup

    def link(student: str) -> Markup:
        text = student or "(no name)"
        href = links.get(student)
        if href is None:
            return Markup.escape(text)
        return Markup('<a href="{}">{}</a>').format(href, text)

    return link


def emphasis(text: str) -> Markup:
    """Course-written text, escaped, with ``*word*`` shown in italics as in the YAML."""
    from markupsafe import Markup, escape

    return Markup(_EMPHASIS.sub(r"<em>\1</em>", str(escape(text))))


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """The templates' environment, made once: it caches each template it compiles."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("grader", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["emphasis"] = emphasis
    return environment
