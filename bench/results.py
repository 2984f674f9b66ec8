"""RESULTS.md: each benchmark owns one section, which a new run replaces."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(heading: str, body: str) -> None:
    """Replace the section whose heading starts with ``## <heading>`` (or add it)."""
    text = RESULTS.read_text() if RESULTS.is_file() else "# Benchmark results\n"
    marker = f"\n## {heading}"
    section = f"## {heading}{body.rstrip()}\n"
    start = text.find(marker)
    if start < 0:
        RESULTS.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    end = text.find("\n## ", start + 1)
    rest = text[end:] if end >= 0 else ""
    RESULTS.write_text(text[: start + 1] + section + rest)
