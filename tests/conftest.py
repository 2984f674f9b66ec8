from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import Course, SubmissionResult, grade_submission, load_course
from grader.sandbox import SPIN_SECONDS, Sandbox, SandboxConfig, SandboxLimits

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"
ADVERSARIAL = Path(__file__).resolve().parent / "adversarial"
SANDBOX = pytest.StashKey[Sandbox]()


CACHE = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    # Parsed course files are cached in a folder of this run's own, not the user's cache.
    config.stash[CACHE] = os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="grader-cache-")
    # The zygote starts now, before any test imports a solution, and warms up meanwhile.
    config.stash[SANDBOX] = Sandbox()


def pytest_unconfigure(config: pytest.Config) -> None:
    sandbox = config.stash.get(SANDBOX, None)
    if sandbox is not None:
        sandbox.close()
    cache = config.stash.get(CACHE, None)
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Every attack is graded twice: with a sandbox whose two sides sleep while they wait
    # for each other, and with one that spin-waits, as `grader check` does.
    if "sandbox" in metafunc.fixturenames and ADVERSARIAL in metafunc.definition.path.parents:
        metafunc.parametrize("sandbox", ["sleeping", "spinning"], indirect=True, scope="session")


@pytest.fixture(scope="session")
def spinning_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(spin=SPIN_SECONDS)) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def sandbox(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Sandbox:
    """The session's sandbox: every test that grades runs student code through it."""
    if getattr(request, "param", "sleeping") == "spinning":
        spinning: Sandbox = request.getfixturevalue("spinning_sandbox")
        return spinning
    return pytestconfig.stash[SANDBOX]


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course(ROOT)


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    """A copy of the course (course.yml, exercises, solutions) that a test may edit."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(ROOT / "course.yml", root / "course.yml")
    shutil.copytree(ROOT / "exercises", root / "exercises")
    shutil.copytree(ROOT / "solutions", root / "solutions")
    return root


@pytest.fixture(scope="session")
def grade(course: Course, sandbox: Sandbox):
    def run(folder: Path, exercises: list[str] | None = None, **kwargs) -> SubmissionResult:
        if "backend" not in kwargs:
            kwargs["backend"] = sandbox.backend(folder, SandboxLimits.of(course))
        return grade_submission(course, folder, exercises=exercises or (), **kwargs)

    return run


pytest_plugins = ["pytester"]
