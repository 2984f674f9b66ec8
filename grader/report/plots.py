"""Figures for the reports, drawn with matplotlib's Agg canvas and returned as PNG bytes.

Each ``*_figure`` function takes plain data (lists of numbers from a check's
details or from the class's results) and returns a matplotlib Figure, or
``None`` when the data cannot be drawn, so a malformed detail costs a picture,
never a report. :func:`png` turns a figure into bytes. Nothing here touches pyplot's
global state; matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "Plot",
    "check_plots",
    "gradcheck_figure",
    "pass_rate_figure",
    "png",
    "score_histogram_figure",
    "training_paths_figure",
]

_MAX_PATH_POINTS = 4000
_COLOURS = {
    "ok": "#2b6cb0",
    "bad": "#c53030",
    "raw": "#dd6b20",
    "centred": "#2f855a",
    "passed": "#38a169",
    "failed": "#e53e3e",
    "error": "#d69e2e",
    "todo": "#a0aec0",
    "limits": "#805ad5",
}


@dataclass(frozen=True)
class Plot:
    """A drawn figure: its caption (also the image's alt text) and PNG bytes."""

    key: str
    caption: str
    png: bytes


def check_plots(exercise: str, name: str, details: Mapping[str, Any]) -> list[Plot]:
    """The figures a check's (already filtered) details call for."""
    plots: list[Plot] = []
    if details.get("kind") == "gradcheck":
        fig = gradcheck_figure(
            details.get("numerical"), details.get("analytic"), details.get("mismatched"), name
        )
        if fig is not None:
            caption = "Your gradient against central differences; on the dashed line they agree"
            plots.append(Plot(f"{exercise}-{name}-gradcheck", caption, png(fig)))
    if "raw_path" in details or "centred_path" in details:
        fig = training_paths_figure(details)
        if fig is not None:
            caption = "The two weights under gradient descent, with raw and with centred inputs"
            plots.append(Plot(f"{exercise}-{name}-paths", caption, png(fig)))
    return plots


def png(fig: Figure) -> bytes:
    """*fig* as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def gradcheck_figure(
    numerical: Any, analytic: Any, mismatched: Any, name: str = ""
) -> Figure | None:
    """Scatter of the student's gradient against the numerical one, with y = x."""
    num = _numbers(numerical)
    ana = _numbers(analytic)
    if num is None or ana is None or len(num) != len(ana) or not num:
        return None
    bad = [bool(b) for b in mismatched] if isinstance(mismatched, list) else []
    if len(bad) != len(num):
        bad = [False] * len(num)
    pairs = [(n, a, b) for n, a, b in zip(num, ana, bad, strict=True) if _finite(n, a)]
    if not pairs:
        return None
    dropped = len(num) - len(pairs)
    fig, ax = _figure(5.6, 4.6, fixed=True)
    good = [(n, a) for n, a, b in pairs if not b]
    wrong = [(n, a) for n, a, b in pairs if b]
    xs = [n for n, _, _ in pairs]
    low, high = min(xs), max(xs)
    pad = (high - low) * 0.08 or max(abs(low), 1e-3) * 0.5
    ax.plot(
        [low - pad, high + pad],
        [low - pad, high + pad],
        "--",
        color="#718096",
        label="y = x (agreement)",
    )
    if good:
        ax.scatter(
            [n for n, _ in good], [a for _, a in good], s=28, color=_COLOURS["ok"], label="agrees"
        )
    if wrong:
        ax.scatter(
            [n for n, _ in wrong],
            [a for _, a in wrong],
            s=44,
            marker="x",
            color=_COLOURS["bad"],
            label=f"mismatched ({sum(bad)} of {len(num)})",
        )
    if dropped:
        ax.plot([], [], linestyle="none", label=f"{dropped} nan/inf values not drawn")
    ax.set_xlim(low - pad, high + pad)
    ax.set_title(
        f"{name}: your gradient vs central differences" if name else "Gradient check",
        fontsize=10,
        y=1.0,
    )
    ax.set_xlabel("numerical gradient (central differences)")
    ax.set_ylabel("your gradient")
    ax.legend(loc="best", fontsize=8)
    ax.grid(True, alpha=0.3)
    return fig


def training_paths_figure(details: Mapping[str, Any]) -> Figure | None:
    """The path of (w1, w2) under gradient descent with raw and with centred inputs."""
    raw = _path(details.get("raw_path"))
    centred = _path(details.get("centred_path"))
    if raw is None and centred is None:
        return None
    fig, ax = _figure(6.0, 4.8, fixed=True)
    ends = "end"
    for key, path, label in (("raw", raw, "raw inputs"), ("centred", centred, "centred inputs")):
        if path is None:
            continue
        xs, ys = zip(*path, strict=True)
        ax.plot(
            xs,
            ys,
            "-o",
            color=_COLOURS[key],
            markersize=2.5,
            linewidth=1.2,
            label=label + _run_summary(details, key),
        )
        ax.plot(
            xs[-1],
            ys[-1],
            marker="*",
            markersize=12,
            color=_COLOURS[key],
            linestyle="none",
            label=ends,
        )
        ends = "_end"
    start = (raw or centred or [(0.0, 0.0)])[0]
    ax.plot(*start, marker="s", markersize=7, color="#1a202c", linestyle="none", label="start")
    ax.set_title("Gradient descent on two weights: raw vs centred inputs", y=1.0)
    ax.set_xlabel("w1")
    ax.set_ylabel("w2")
    ax.legend(loc="best", fontsize=8)
    ax.grid(True, alpha=0.3)
    return fig


def score_histogram_figure(scores: Sequence[float], max_points: float) -> Figure | None:
    """How many students reached each total score."""
    values = [s for s in scores if math.isfinite(s)]
    if not values:
        return None
    from matplotlib.ticker import MaxNLocator

    top = max(max_points, max(values), 1.0)
    if top <= 40:
        edges = [k - 0.5 for k in range(math.ceil(top) + 2)]
    else:
        edges = [top * k / 20 for k in range(21)]
    fig, ax = _figure(6.4, 3.9)
    counts, _, _ = ax.hist(
        values,
        bins=edges,
        color=_COLOURS["ok"],
        edgecolor="white",
        label=f"submissions (n = {len(values)})",
    )
    mean = sum(values) / len(values)
    ax.axvline(mean, color=_COLOURS["bad"], linestyle="--", label=f"mean {mean:.1f}")
    ax.set_title("Total scores")
    ax.set_xlabel(f"points (of {max_points:g})")
    ax.set_ylabel("students")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(0, float(max(counts)) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.legend(loc="outside lower center", ncols=2, fontsize=8)
    return fig


def pass_rate_figure(rows: Sequence[tuple[str, Mapping[str, int]]]) -> Figure | None:
    """Stacked bars per check: the share of submissions passed, failed, errored, stopped.

    *rows* holds ``(check label, {kind: count})`` with the kinds passed, failed, todo,
    error and limits.
    """
    if not rows:
        return None
    kinds = [
        ("passed", "passed"),
        ("failed", "failed"),
        ("todo", "not implemented"),
        ("error", "error"),
        ("limits", "timeout / crash / memory"),
    ]
    height = max(2.8, 0.32 * len(rows) + 1.8)
    fig, ax = _figure(7.2, height)
    labels = [label for label, _ in rows]
    positions = list(range(len(rows)))
    left = [0.0] * len(rows)
    for kind, text in kinds:
        shares = []
        for _, counts in rows:
            total = sum(counts.values()) or 1
            shares.append(100.0 * counts.get(kind, 0) / total)
        if any(shares):
            ax.barh(positions, shares, left=left, color=_COLOURS[kind], label=text, height=0.7)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    ax.set_yticks(positions, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_title("Outcome of each check across submissions")
    ax.set_xlabel("share of submissions (%)")
    ax.set_ylabel("check")
    fig.legend(loc="outside lower center", ncols=3, fontsize=8)
    return fig


# -- helpers ----------------------------------------------------------------------------------


def _figure(width: float, height: float, *, fixed: bool = False) -> tuple[Figure, Axes]:
    """A figure with one axes; *fixed* margins instead of a constrained layout.

    A constrained layout draws the figure once more to measure it, which more than
    doubles the cost of a figure. Each student's report has figures of its own, so
    they use fixed margins, wide enough for tick labels such as ``-0.0015``, and give
    their titles a fixed height (``y=1.0``: matplotlib then does not measure the axes
    to place it) and about six ticks per axis (tick labels are most of the drawing);
    the class summary's few figures keep the constrained layout their outside legends
    need.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout=None if fixed else "constrained")
    FigureCanvasAgg(fig)
    axes = fig.add_subplot()
    if fixed:
        fig.subplots_adjust(left=0.17, right=0.97, bottom=0.11, top=0.92)
        axes.locator_params(nbins=6)
    return fig, axes


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def _numbers(values: Any) -> list[float] | None:
    if not isinstance(values, list):
        return None
    out: list[float] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        out.append(float(value))
    return out


def _path(values: Any) -> list[tuple[float, float]] | None:
    if not isinstance(values, list):
        return None
    points: list[tuple[float, float]] = []
    for point in values[:_MAX_PATH_POINTS]:
        pair = _numbers(point)
        if pair is None or len(pair) != 2:
            return None
        if _finite(*pair):
            points.append((pair[0], pair[1]))
    return points or None


def _run_summary(details: Mapping[str, Any], key: str) -> str:
    parts = []
    steps = details.get(f"{key}_steps")
    flips = details.get(f"{key}_flips")
    if isinstance(steps, int) and not isinstance(steps, bool):
        parts.append(f"{steps} steps")
    if isinstance(flips, int) and not isinstance(flips, bool):
        parts.append(f"{flips} quadrant flips")
    return f" ({', '.join(parts)})" if parts else ""
