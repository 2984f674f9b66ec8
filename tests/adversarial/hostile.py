"""Grade a hostile submission and check that it was contained.

Every adversarial test grades, in one session through the test run's sandbox:
the attack, then a correct submission (another student graded after it), and,
when the attack has one, its *twin*: the same functions without the attack,
which shows what the attack's honest part deserves. :func:`grade_hostile`
also checks the trusted process before and after (numpy, builtins, the
environment, the exercise's files and a results folder the attack knows about),
and that no process with the sandbox uid is left below this test run.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from msgspec.structs import replace

from grader import Course, SubmissionResult
from grader.grading import grade_submissions
from grader.results import CheckResult
from grader.sandbox import Sandbox, SandboxConfig, SandboxLimits
from grader.submission import Submission

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ATTACKS = HERE / "submissions"
TWINS = HERE / "twins"
SANDBOX_UID = SandboxConfig().uid
STATUSES = {"passed", "failed", "error", "timeout", "crashed", "oom"}
# Objects an attack would love to replace in the grader's process.
WATCHED = {
    "np.allclose": np.allclose,
    "np.isclose": np.isclose,
    "np.array_equal": np.array_equal,
    "np.isfinite": np.isfinite,
    "np.abs": np.abs,
    "np.all": np.all,
    "np.exp": np.exp,
    "np.asarray": np.asarray,
    "np.ndarray": np.ndarray,
    "np.ndarray.__eq__": np.ndarray.__eq__,
}


@dataclass
class Outcome:
    """The results of one hostile session."""

    attack: SubmissionResult
    honest: SubmissionResult
    twin: SubmissionResult | None

    @property
    def checks(self) -> dict[str, CheckResult]:
        return {c.name: c for e in self.attack.exercises for c in e.checks}

    def statuses(self) -> dict[str, str]:
        return {name: check.status for name, check in self.checks.items()}

    def deserved(self) -> set[str]:
        """The checks the attack's honest twin passes (none without a twin)."""
        if self.twin is None:
            return set()
        return {c.name for e in self.twin.exercises for c in e.checks if c.passed}


def with_limits(course: Course, **defaults: float) -> Course:
    """*course* with other grading limits (short timeouts for the endless attacks)."""
    return replace(course, defaults=replace(course.defaults, **defaults))


def write_targets(folder: Path, **targets: object) -> None:
    """What the attack gets to know about the host: absolute paths, a port."""
    lines = [f"{key}={value}" for key, value in targets.items()]
    (folder / "targets.txt").write_text("\n".join(lines) + "\n")


def prepare(attack: str, tmp_path: Path, **targets: object) -> Path:
    """A copy of the attack's folder in *tmp_path*, with its targets file."""
    folder = tmp_path / attack
    shutil.copytree(ATTACKS / attack, folder, symlinks=True)
    write_targets(folder, **default_targets(tmp_path), **targets)
    return folder


def default_targets(tmp_path: Path) -> dict[str, object]:
    results = tmp_path / "results"
    if not results.exists():
        results.mkdir()
        (results / "results.json").write_text('{"score": 0}\n')
        (results / "gradebook.sqlite").write_bytes(b"SQLite format 3\x00" + bytes(64))
    return {
        "solution": ROOT / "solutions" / "sigmoid" / "sigmoid.py",
        "hidden": ROOT / "solutions" / "sigmoid" / "test_sigmoid_hidden.py",
        "public": ROOT / "exercises" / "sigmoid" / "test_sigmoid.py",
        "results": results,
        "gradebook": results / "gradebook.sqlite",
        "marker": tmp_path / "pwned",
    }


def grade_hostile(
    course: Course,
    sandbox: Sandbox,
    folder: Path,
    *,
    twin: str | None = None,
    exercise: str = "sigmoid",
) -> Outcome:
    """Grade *folder*, then a correct submission (and the twin); check what must not change."""
    results = folder.parent / "results"
    before = _trusted_state(results)
    submissions = [Submission("attacker", folder), Submission("honest", TWINS / "correct")]
    if twin is not None:
        submissions.append(Submission("twin", TWINS / twin))
    graded = grade_submissions(
        course,
        submissions,
        exercises=[exercise],
        backend_factory=sandbox.factory(SandboxLimits.of(course)),
    )
    after = _trusted_state(results)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert changed == [], f"the trusted side changed: {changed}"
    assert leftover_processes(sandbox) == []
    outcome = Outcome(graded[0], graded[1], graded[2] if twin is not None else None)
    _assert_contained(outcome)
    return outcome


def _assert_contained(outcome: Outcome) -> None:
    attack = outcome.attack
    checks = outcome.checks
    assert checks, "the attack's checks have no results"
    for check in checks.values():
        assert check.status in STATUSES
        if not check.passed:
            assert check.message.strip(), f"{check.name} ended {check.status} without a message"
            assert check.points == 0
        assert "def test_" not in check.message
    undeserved = {name for name, c in checks.items() if c.passed} - outcome.deserved()
    assert undeserved == set(), f"the attack earned points it does not deserve: {undeserved}"
    twin_points = outcome.twin.points if outcome.twin is not None else 0.0
    assert attack.points <= twin_points
    assert "def test_" not in attack.stdout, "hidden test source reached the output"
    assert len(attack.stdout) <= 64 * 1024 + 2000
    honest = outcome.honest
    assert honest.points == honest.max_points, [
        (c.name, c.status, c.message) for e in honest.exercises for c in e.checks if not c.passed
    ]


def _trusted_state(results: Path) -> dict[str, object]:
    state: dict[str, object] = {}
    for name, obj in WATCHED.items():
        current: object = np
        for part in name.split(".")[1:]:
            current = getattr(current, part)
        state[name] = current is obj
    state["np.allclose works"] = not np.allclose(np.zeros(3), np.ones(3))
    state["builtins"] = tuple(sorted((k, id(v)) for k, v in vars(builtins).items()))
    # The grading session's own pytest sets and removes PYTEST_CURRENT_TEST.
    state["environ"] = tuple(
        sorted((k, v) for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST")
    )
    state["cwd"] = os.getcwd()
    for base in (ROOT / "solutions" / "sigmoid", ROOT / "exercises" / "sigmoid"):
        for path in sorted(base.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                state[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    if results.exists():
        for path in sorted(results.rglob("*")):
            state[str(path)] = path.read_bytes() if path.is_file() else "dir"
    return state


def leftover_processes(sandbox: Sandbox) -> list[str]:
    """Processes with the sandbox uid that descend from this test run: none may remain."""
    ours = {os.getpid(), sandbox.zygote_pid}
    table: dict[int, tuple[int, int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields.get("Uid", "-1").split()[0])
        table[int(entry)] = (int(fields.get("PPid", "0")), uid, fields.get("State", "").strip())
    found = []
    for pid, (parent, uid, state) in table.items():
        if uid != SANDBOX_UID:
            continue
        ancestor, seen = parent, 0
        while ancestor not in ours and ancestor in table and seen < 64:
            ancestor, seen = table[ancestor][0], seen + 1
        if ancestor in ours:
            found.append(f"pid {pid} ({state})")
    return found
