"""Feedback reports written from real graded results: HTML, Markdown, results.json, summary.

The results come from grading the reference solution, the untouched stub and a
buggy submission of the sigmoid exercise. Hidden checks must never show their
code or the values they compare against, whatever the course's feedback rules.
"""

from __future__ import annotations

import base64
import copy
import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from conftest import SUBMISSIONS
from msgspec.structs import replace
from PIL import Image

from grader import ConfigError, load_course
from grader.course import Course, Feedback
from grader.mistakes import import_trusted
from grader.plugin import check_seed
from grader.report import (
    student_folder,
    write_class_outputs,
    write_gradebook_csv,
    write_submission_reports,
)
from grader.report.gradescope import load_schema
from grader.report.markdown import code_span, fence
from grader.report.plots import (
    gradcheck_figure,
    pass_rate_figure,
    score_histogram_figure,
    training_paths_figure,
)
from grader.results import SubmissionResult

BUG = SUBMISSIONS / "sigmoid" / "derivative_from_input"
DATA_PNG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(scope="module")
def solution(course, grade) -> SubmissionResult:
    return grade(course.root / "solutions", ["sigmoid"], student="ada")


@pytest.fixture(scope="module")
def stub(course, grade) -> SubmissionResult:
    return grade(course.root / "exercises", ["sigmoid"], student="stub")


@pytest.fixture(scope="module")
def buggy(grade) -> SubmissionResult:
    return grade(BUG, ["sigmoid"], student="bug")


@pytest.fixture(scope="module")
def mutates(grade) -> SubmissionResult:
    return grade(SUBMISSIONS / "sigmoid" / "mutates_input", ["sigmoid"], student="mut")


def with_feedback(course: Course, **rules) -> Course:
    return replace(course, feedback=Feedback(**rules))


def with_visibility(course: Course, visibility: str) -> Course:
    defaults = replace(course.defaults, hidden_visibility=visibility)
    return replace(course, defaults=defaults)


def write(result, course, out: Path, **kwargs) -> dict[str, str]:
    paths = write_submission_reports(result, course, out, **kwargs)
    texts = {p.name: p.read_text() for p in paths if p.suffix in {".html", ".md", ".json"}}
    return texts


def hidden_checks(result: SubmissionResult) -> list:
    return [c for e in result.exercises for c in e.checks if not c.public]


def png_images(html: str) -> list[Image.Image]:
    return [Image.open(io.BytesIO(base64.b64decode(data))) for data in DATA_PNG.findall(html)]


def assert_drawn(image: Image.Image) -> None:
    assert image.width > 200 and image.height > 200
    low, high = image.convert("L").getextrema()
    assert low < high, "the picture is one flat colour"


# -- files and layout --------------------------------------------------------------------------


def test_each_student_gets_html_markdown_and_results_json_in_their_folder(course, buggy, tmp_path):
    paths = write_submission_reports(buggy, course, tmp_path)
    folder = tmp_path / "students" / "bug"
    names = {p.relative_to(folder).as_posix() for p in paths}
    assert {"report.html", "report.md", "results.json"} <= names
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    assert [p for p in paths if p.suffix == ".png"], "a failed public gradcheck draws a figure"


def test_student_ids_become_distinct_safe_folders(tmp_path):
    ids = ["../../etc", "a b", "a_b", "", "ünï", "x/y", "x_y"]
    folders = [student_folder(tmp_path, i) for i in ids]
    assert len(set(folders)) == len(ids)
    for folder in folders:
        assert folder.parent == tmp_path / "students"
        assert re.fullmatch(r"[A-Za-z0-9._-]+", folder.name)
        assert folder.name not in {".", ".."}


def test_html_report_is_self_contained(course, buggy, tmp_path):
    html = write(buggy, course, tmp_path)["report.html"]
    assert "http://" not in html and "https://" not in html
    assert "<link" not in html and "<script" not in html
    sources = re.findall(r'src="([^"]*)"', html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)


# -- content of each format ------------------------------------------------------------------


def test_solution_report_shows_full_marks(course, solution, tmp_path):
    texts = write(solution, course, tmp_path)
    assert ">10 / 10<" in texts["report.html"]
    assert texts["report.html"].count('data-state="passed"') == 9
    assert "failed" not in re.findall(r'data-state="(\w+)"', texts["report.html"])
    assert "**Score:** 10/10 points" in texts["report.md"]
    document = json.loads(texts["results.json"])
    assert document["score"] == 10
    assert {t["status"] for t in document["tests"]} == {"passed"}


def test_stub_report_says_not_implemented_without_pictures(course, stub, tmp_path):
    texts = write(stub, course, tmp_path)
    html = texts["report.html"]
    assert ">0 / 10<" in html
    assert "not implemented yet" in html
    assert "sigmoid is not implemented yet" in html
    assert not DATA_PNG.findall(html)
    assert "not implemented yet" in texts["report.md"]
    assert json.loads(texts["results.json"])["score"] == 0


def test_buggy_submission_gets_its_mistake_hint_and_the_gradcheck_table(course, buggy, tmp_path):
    hint = next(
        m.hint for m in course.exercise("sigmoid").mistakes if m.id == "derivative_from_input"
    )
    texts = write(buggy, course, tmp_path)
    html, md = texts["report.html"], texts["report.md"]
    assert ">5 / 10<" in html
    assert "sigmoid&#39;s <em>output</em> sigma(x)" in html
    assert hint in md
    assert "20 of 20 gradient values disagree" in html and "20 of 20 gradient values" in md
    document = json.loads(texts["results.json"])
    gradcheck = next(t for t in document["tests"] if "backward_gradcheck" in t["name"])
    assert hint in gradcheck["output"] and gradcheck["status"] == "failed"


def test_failed_public_gradcheck_is_drawn_in_html_and_markdown(course, buggy, tmp_path):
    texts = write(buggy, course, tmp_path)
    images = png_images(texts["report.html"])
    assert len(images) == 1
    assert_drawn(images[0])
    links = re.findall(r"!\[[^\]]+\]\((plots/[^)]+\.png)\)", texts["report.md"])
    assert len(links) == 1
    assert_drawn(Image.open(tmp_path / "students" / "bug" / links[0]))


def test_markdown_report_structure(course, buggy, tmp_path):
    md = write(buggy, course, tmp_path)["report.md"]
    assert md.startswith("# Feedback: Activation functions and gradient dynamics")
    assert "## 1. Sigmoid, its gradient, and saturation: 5/10" in md
    rows = [line for line in md.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) >= 1 + 9
    assert "| failed | `backward_gradcheck` | 0/2 |" in md
    assert "| passed | `zero_upstream` (hidden) | 1/1 |" in md
    assert md.count("```text") == md.count("```") / 2


def test_markdown_cannot_be_broken_by_backticks_in_messages():
    text = "a ``` b\n```` c"
    block = fence(text)
    opening = block.splitlines()[0]
    assert opening == "`````text" and block.endswith("\n`````")
    assert code_span("x`y") == "``x`y``"


def test_a_student_id_cannot_inject_html(course, buggy, tmp_path):
    evil = replace(buggy, student="<script>alert(1)</script>")
    html = write(evil, course, tmp_path)["report.html"]
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- hidden checks -----------------------------------------------------------------------------


def reference_values(course: Course, student: str) -> list[float]:
    """The values the hidden sigmoid checks compare a student's answers with."""
    reference = import_trusted(course.exercise("sigmoid").solution_path, "_report_test_reference")

    def rng(check: str) -> np.random.Generator:
        return np.random.default_rng(check_seed(course.title, "sigmoid", check, student))

    r = rng("forward_matches_reference")
    x = np.concatenate([r.normal(0.0, 5.0, 50), r.uniform(-1000.0, 1000.0, 20), [0.0]])
    forward = reference.sigmoid(x)
    r = rng("backward_matches_reference")
    x = r.normal(0.0, 3.0, size=(6, 7))
    backward = reference.sigmoid_backward(r.normal(size=x.shape), x)
    return [float(v) for v in np.concatenate([forward.ravel(), backward.ravel()])]


def hidden_source_lines(course: Course) -> list[str]:
    lines = []
    for path in course.exercise("sigmoid").hidden_grader_files():
        for line in path.read_text().splitlines():
            line = line.strip()
            if len(line) >= 20 and not line.startswith(("#", '"""', "def ")):
                lines.append(line)
    return lines


@pytest.mark.parametrize("released", [False, True])
def test_hidden_checks_never_show_their_code_or_expected_values(course, buggy, tmp_path, released):
    talkative = with_feedback(
        course,
        before_release=["outcome", "hint", "message"],
        after_release=["outcome", "hint", "message"],
    )
    assert any(c.status == "failed" for c in hidden_checks(buggy))
    texts = write(buggy, talkative, tmp_path, released=released)
    everything = "\n".join(texts.values())
    for line in hidden_source_lines(course):
        assert line not in everything
    values = reference_values(course, "bug")
    shown = [s for v in values for s in (f"{v:.6g}", repr(v)) if len(s) >= 6]
    assert len(shown) > 100
    leaked = [s for s in shown if s in everything]
    assert leaked == []
    for check in hidden_checks(buggy):
        if check.message:
            assert check.message.split(" (")[0] in everything  # the safe message is shown


def test_hidden_check_details_reach_no_file(course, buggy, tmp_path):
    secret = [123.456789, -987.654321]
    leaky = copy.deepcopy(buggy)
    for check in hidden_checks(leaky):
        check.details.update({"expected": secret, "kind": "gradcheck", "numerical": secret})
    texts = write(
        leaky, with_feedback(course, after_release=["outcome", "hint", "message"]), tmp_path
    )
    everything = "\n".join(texts.values())
    assert "123.457" not in everything and "987.654" not in everything
    assert len(png_images(texts["report.html"])) == 1  # only the public gradcheck


def test_before_release_hidden_outcomes_are_withheld(course, mutates, tmp_path):
    hint = course.exercise("sigmoid").check("inputs_unchanged").hint
    lost = next(c for c in hidden_checks(mutates) if c.name == "inputs_unchanged")
    assert lost.status == "failed" and lost.hint == hint
    public_points = sum(c.points for e in mutates.exercises for c in e.checks if c.public)
    public_max = sum(c.max_points for e in mutates.exercises for c in e.checks if c.public)

    before = write(mutates, course, tmp_path / "before", released=False)
    html = before["report.html"]
    states = re.findall(r'data-check="sigmoid\.(\w+)" data-state="(\w+)"', html)
    assert {name for name, state in states if state == "pending"} == {
        c.name for c in hidden_checks(mutates)
    }
    assert f">{public_points:g} / {public_max:g}<" in html
    assert 'id="pending"' in html
    assert hint not in html and hint not in before["report.md"]
    assert "| result after release | `inputs_unchanged` (hidden) | ?/1 |" in before["report.md"]

    after = write(mutates, course, tmp_path / "after", released=True)
    assert 'data-check="sigmoid.inputs_unchanged" data-state="failed"' in after["report.html"]
    assert f">{mutates.points:g} / {mutates.max_points:g}<" in after["report.html"]
    assert 'id="pending"' not in after["report.html"]
    assert hint in after["report.md"]


def test_after_release_rules_can_hide_hints(course, mutates, tmp_path):
    hint = course.exercise("sigmoid").check("inputs_unchanged").hint
    terse = with_feedback(course, before_release=[], after_release=["outcome"])
    texts = write(mutates, terse, tmp_path, released=True)
    assert 'data-check="sigmoid.inputs_unchanged" data-state="failed"' in texts["report.html"]
    assert all(hint not in text for text in texts.values())


def test_feedback_rules_are_validated(tmp_path, course):
    with pytest.raises(ValueError, match="without the outcome"):
        Feedback(after_release=["hint"])
    with pytest.raises(ValueError, match="twice"):
        Feedback(before_release=["outcome", "outcome"])
    root = tmp_path / "course"
    (root / "exercises").mkdir(parents=True)
    for entry in course.exercises:
        src = course.root / "exercises" / entry.id / "exercise.yml"
        (root / "exercises" / entry.id).mkdir()
        (root / "exercises" / entry.id / "exercise.yml").write_text(src.read_text())
    text = (course.root / "course.yml").read_text()
    bad = re.sub(r"after_release: \[[^\]]*\]", "after_release: [outcome, score]", text)
    assert bad != text
    (root / "course.yml").write_text(bad)
    with pytest.raises(ConfigError) as error:
        load_course(root)
    assert "feedback.after_release" in str(error.value) and "score" in str(error.value)


# -- results.json ------------------------------------------------------------------------------


def test_results_json_validates_against_gradescope_schema(course, solution, stub, buggy, tmp_path):
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for result in (solution, stub, buggy):
        for released in (False, True):
            out = tmp_path / f"{result.student}-{released}"
            document = json.loads(write(result, course, out, released=released)["results.json"])
            errors = [e.message for e in validator.iter_errors(document)]
            assert errors == []


def test_schema_rejects_what_gradescope_does_not_accept(course, buggy, tmp_path):
    validator = jsonschema.Draft202012Validator(load_schema())
    good = json.loads(write(buggy, course, tmp_path)["results.json"])
    assert validator.is_valid(good)
    for path, value in [
        (("tests", 0, "status"), "skipped"),
        (("tests", 0, "visibility"), "public"),
        (("tests", 0, "output_format"), "markdown"),
        (("visibility",), "sometimes"),
        (("stdout_visibility",), "never"),
        (("execution_time",), -1),
        (("score",), "5"),
        (("tests", 0, "tags"), "sigmoid"),
    ]:
        bad = json.loads(json.dumps(good))
        target = bad
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert not validator.is_valid(bad), path
    bad = json.loads(json.dumps(good))
    bad["leaderboard"] = [{"name": "speed", "value": 1.0, "order": "fastest"}]
    assert not validator.is_valid(bad)
    bad["leaderboard"] = [{"name": "speed", "value": 1.0, "order": "asc"}]
    assert validator.is_valid(bad)


def test_results_json_has_one_entry_per_check(course, buggy, tmp_path):
    document = json.loads(write(buggy, course, tmp_path)["results.json"])
    checks = [c for e in buggy.exercises for c in e.checks]
    assert len(document["tests"]) == len(checks)
    assert sum(t["score"] for t in document["tests"]) == document["score"] == buggy.points
    assert len({t["number"] for t in document["tests"]}) == len(checks)
    assert document["stdout_visibility"] == "hidden" and document["output_format"] == "md"
    for test, check in zip(document["tests"], checks, strict=True):
        assert test["tags"] == ["sigmoid"] and test["output_format"] == "md"
        assert test["max_score"] == check.max_points and test["score"] == check.points
        assert check.name in test["name"]
        expected = "visible" if check.public else course.defaults.hidden_visibility
        assert test["visibility"] == expected


def test_visible_hidden_checks_are_published_later_when_their_outcome_is_withheld(
    course, buggy, tmp_path
):
    visible = with_visibility(course, "visible")
    before = json.loads(write(buggy, visible, tmp_path / "a", released=False)["results.json"])
    hidden = [
        t for t, c in zip(before["tests"], buggy.exercises[0].checks, strict=True) if not c.public
    ]
    assert {t["visibility"] for t in hidden} == {"after_published"}
    shown = with_feedback(visible, before_release=["outcome"])
    now = json.loads(write(buggy, shown, tmp_path / "b", released=False)["results.json"])
    assert all(t["visibility"] == "visible" for t in now["tests"])


# -- plots -------------------------------------------------------------------------------------


def training_run(x: np.ndarray, target: np.ndarray, steps: int = 60) -> dict:
    """Per-example gradient descent of a linear neuron's two weights."""
    w = np.zeros(2)
    path, flips, previous = [w.tolist()], 0, None
    for step in range(steps):
        i = step % len(x)
        update = -0.3 * x[i] * (x[i] @ w - target[i])
        quadrant = tuple(np.sign(update))
        flips += previous is not None and quadrant != previous
        previous = quadrant
        w = w + update
        path.append(w.tolist())
    return {"path": path, "steps": steps, "flips": int(flips)}


def centering_details() -> dict:
    rng = np.random.default_rng(7)
    x = rng.uniform(0.2, 1.5, size=(40, 2))
    centred = x - x.mean(axis=0)
    best = np.array([1.0, -1.0])
    raw, cen = training_run(x, x @ best), training_run(centred, centred @ best)
    return {
        "raw_path": raw["path"],
        "centred_path": cen["path"],
        "raw_steps": raw["steps"],
        "centred_steps": cen["steps"],
        "raw_flips": raw["flips"],
        "centred_flips": cen["flips"],
    }


def with_paths(result: SubmissionResult) -> SubmissionResult:
    changed = copy.deepcopy(result)
    check = hidden_checks(changed)[-1]
    check.details.update(centering_details())
    return changed


def test_training_paths_of_a_hidden_experiment_are_drawn_after_release(course, solution, tmp_path):
    result = with_paths(solution)
    texts = write(result, course, tmp_path / "after", released=True)
    images = png_images(texts["report.html"])
    assert len(images) == 1
    assert_drawn(images[0])
    assert "raw and with centred inputs" in texts["report.md"]
    before = write(result, course, tmp_path / "before", released=False)
    assert png_images(before["report.html"]) == []


def test_every_figure_has_title_axis_labels_and_legend(buggy):
    details = centering_details()
    check = next(c for c in buggy.exercises[0].checks if c.details.get("kind") == "gradcheck")
    figures = [
        gradcheck_figure(
            check.details["numerical"],
            check.details["analytic"],
            check.details["mismatched"],
            "sigmoid_backward",
        ),
        training_paths_figure(details),
        score_histogram_figure([0.0, 5.0, 9.0, 10.0], 10.0),
        pass_rate_figure([("sigmoid.a", {"passed": 3, "failed": 1}), ("sigmoid.b", {"todo": 4})]),
    ]
    for fig in figures:
        assert fig is not None
        (ax,) = fig.axes
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
        legend = ax.get_legend() or (fig.legends[0] if fig.legends else None)
        assert legend is not None and [t.get_text() for t in legend.get_texts()]


def test_gradcheck_figure_marks_the_mismatched_elements():
    fig = gradcheck_figure([0.1, 0.2, 0.3], [0.1, 0.5, float("nan")], [False, True, True], "f")
    assert fig is not None
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "agrees" in labels
    assert "mismatched (2 of 3)" in labels
    assert "1 nan/inf values not drawn" in labels


def test_malformed_plot_data_costs_the_picture_not_the_report():
    assert gradcheck_figure("nope", [1.0], [True]) is None
    assert gradcheck_figure([1.0, 2.0], [1.0], [True]) is None
    assert training_paths_figure({"raw_path": [[1.0]], "centred_path": "x"}) is None
    assert score_histogram_figure([], 10.0) is None
    assert pass_rate_figure([]) is None


# -- class outputs -----------------------------------------------------------------------------


def stopped(result: SubmissionResult, student: str, status: str) -> SubmissionResult:
    changed = replace(copy.deepcopy(result), student=student, duration=30.0)
    for exercise in changed.exercises:
        exercise.points = 0.0
        for check in exercise.checks:
            check.status, check.points, check.message = status, 0.0, f"the call {status}"
    return changed


@pytest.fixture(scope="module")
def klass(course, grade, solution, stub, buggy, mutates) -> list[SubmissionResult]:
    more = [
        grade(SUBMISSIONS / "sigmoid" / case, ["sigmoid"], student=case)
        for case in ("forgot_upstream", "exp_overflow_nan")
    ]
    return [
        solution,
        stub,
        buggy,
        mutates,
        *more,
        stopped(solution, "slowpoke", "timeout"),
        stopped(solution, "bomber", "crashed"),
    ]


def test_class_summary(course, klass, tmp_path):
    for result in klass[:-1]:
        write_submission_reports(result, course, tmp_path)
    (path,) = write_class_outputs(klass, course, tmp_path)
    assert path == tmp_path / "summary.html"
    html = path.read_text()
    assert "http://" not in html and "https://" not in html and "<script" not in html
    images = png_images(html)
    assert len(images) == 2
    for image in images:
        assert_drawn(image)
    total = len(klass)
    for check in klass[0].exercises[0].checks:
        passed = sum(
            1 for r in klass for c in r.exercises[0].checks if c.name == check.name and c.passed
        )
        row = re.search(rf'data-check="sigmoid\.{check.name}">.*?</tr>', html, re.S)
        assert row is not None
        assert f"{100 * passed / total:.0f}% ({passed})" in row.group(0)
    for mistake in course.exercise("sigmoid").mistakes:
        who = sorted(
            r.student for r in klass if any(mistake.id in c.mistakes for c in r.exercises[0].checks)
        )
        if not who:
            continue
        row = re.search(rf'data-mistake="{mistake.id}">.*?</tr>', html, re.S)
        assert row is not None
        assert f'<td class="num">{len(who)}</td>' in row.group(0)
        assert all(name in row.group(0) for name in who)
    incidents = html.split('id="incidents"')[1].split("</section>")[0]
    assert "slowpoke" in incidents and "timed out" in incidents
    assert "bomber" in incidents and "crashed" in incidents
    slowest = html.split('id="slowest"')[1].split("</section>")[0]
    assert slowest.index("slowpoke") < slowest.index("ada")
    links = re.findall(r'<a href="(students/[^"]+)">([^<]+)</a>', html)
    linked = {name for _, name in links}
    assert {r.student for r in klass[:-1]} <= linked and "bomber" not in linked
    assert all((tmp_path / href).is_file() for href, _ in links)


def test_gradebook_csv_has_a_row_per_student_and_a_column_per_exercise(course, klass, tmp_path):
    path = write_gradebook_csv(klass, course, tmp_path / "gradebook.csv")
    rows = list(csv.reader(path.read_text().splitlines()))
    ids = [entry.id for entry in course.exercises]
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *ids, "Total"]
    assert rows[1][0] == "Points Possible"
    assert rows[1][5:] == [f"{e.points:g}" for e in course.exercises] + [
        f"{sum(e.points for e in course.exercises):g}"
    ]
    by_student = {row[0]: row for row in rows[2:]}
    assert set(by_student) == {r.student for r in klass}
    for result in klass:
        row = by_student[result.student]
        assert row[5 + ids.index("sigmoid")] == f"{result.exercises[0].points:g}"
        assert row[-1] == f"{result.points:g}"
        assert row[5 + ids.index("elu")] == ""


def test_grader_check_does_not_import_the_heavy_renderers():
    code = (
        "import sys, grader.cli, grader.report, grader.report.terminal; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'jinja2', 'matplotlib'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
