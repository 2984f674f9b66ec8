"""A student report and the class summary rendered in headless Chromium.

Uses Debian's ``chromium`` through playwright's Python API (no browser is
downloaded). Each page is loaded from disk and checked as a reader sees it:
the scores are shown, every figure decoded to a non-empty image, nothing was
fetched from anywhere else, and the console stayed free of errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SUBMISSIONS
from playwright.sync_api import Browser, Page, sync_playwright

from grader.report import write_class_outputs, write_submission_reports

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.is_file(), "install Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def pages(course, grade, tmp_path_factory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("reports")
    buggy = grade(SUBMISSIONS / "sigmoid" / "derivative_from_input", ["sigmoid"], student="bug")
    solution = grade(course.root / "solutions", ["sigmoid"], student="ada")
    stub = grade(course.root / "exercises", ["sigmoid"], student="stub")
    results = [buggy, solution, stub]
    for result in results:
        write_submission_reports(result, course, out)
    (summary,) = write_class_outputs(results, course, out)
    return {
        "report": out / "students" / "bug" / "report.html",
        "summary": summary,
        "results": results,
        "out": out,
    }


class Visit:
    """A page loaded in a fresh tab, with what it logged and what it requested."""

    def __init__(self, browser: Browser, path: Path) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page: Page = browser.new_page(viewport={"width": 1100, "height": 900})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri(), wait_until="load")

    def images(self) -> list[dict[str, float]]:
        return self.page.evaluate(
            """() => Array.from(document.images).map(img => ({
                   complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
                   shown: img.getBoundingClientRect().width }))"""
        )

    def close(self) -> None:
        self.page.close()


def assert_images_drawn(visit: Visit, count: int) -> None:
    images = visit.images()
    assert len(images) == count
    for image in images:
        assert image["complete"] and image["width"] > 0 and image["height"] > 0
        assert image["shown"] > 100


def assert_offline(visit: Visit) -> None:
    foreign = [u for u in visit.requests if not u.startswith(("file:", "data:"))]
    assert foreign == []
    assert visit.errors == []


def test_student_report_in_chromium(browser, pages, tmp_path):
    visit = Visit(browser, pages["report"])
    try:
        assert visit.page.locator("#total-score").inner_text() == "5 / 10"
        assert visit.page.locator("#student").inner_text() == "bug"
        gradcheck = visit.page.locator('tr[data-check="sigmoid.backward_gradcheck"]')
        assert "failed" in gradcheck.inner_text() and "0/2" in gradcheck.inner_text()
        hint = visit.page.locator("#check-sigmoid-backward_gradcheck .hint")
        assert hint.is_visible() and "output" in hint.inner_text()
        assert_images_drawn(visit, 1)
        shot = tmp_path / "report.png"
        visit.page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        assert_offline(visit)
    finally:
        visit.close()


def test_class_summary_in_chromium(browser, pages, tmp_path):
    visit = Visit(browser, pages["summary"])
    try:
        text = visit.page.locator("#students").inner_text()
        for result in pages["results"]:
            assert result.student in text
            assert f"{result.points:g}/{result.max_points:g}" in text
        assert "derivative_from_input" in visit.page.locator("#misconceptions").inner_text()
        assert_images_drawn(visit, 2)
        shot = tmp_path / "summary.png"
        visit.page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        visit.page.locator("#students a", has_text="bug").click()
        visit.page.wait_for_load_state("load")
        assert visit.page.locator("#total-score").inner_text() == "5 / 10"
        assert_offline(visit)
    finally:
        visit.close()
