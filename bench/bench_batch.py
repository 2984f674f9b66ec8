"""Throughput, per-submission time and peak memory of `grader grade`, against baselines.

Run: python bench/bench_batch.py [--sizes 200 1000] [--jobs N] [--sample 20]
     [--against REV [--rounds 3]] [--write]

For each size a class is generated (every student submits all four modules, each the
reference solution or a correct style from tests/submissions; one student in three has a
known mistake in one of them), and `grader grade CLASS -o OUT --no-reports -j JOBS` runs
as a subprocess. Reported:

* submissions per second over the whole command (intake, grading, gradebook, CSV);
* the median time one submission took inside its worker (the results' `duration`);
* the peak of the summed RSS of the whole process tree (command, workers, sandboxes),
  sampled every 20 ms;
* the time ratio of the largest class to the smallest, against the ratio of their sizes.

Baselines, measured in the same run on the same submissions:

* a fresh process per submission: `python -m grader.cli check --all --dir SUBMISSION`
  (one interpreter and one pytest session per student, as a naive loop would do), run on
  a sample, then extrapolated to the class with JOBS processes at a time;
* `otter run` per submission, when the `otter` command is installed: otter grades one .py
  file per run, so `grader export otter` builds one autograder per exercise and a
  submission costs the sum of one `otter run` per exercise (or, with --otter-autograder
  ZIP, one run of that zip on each submission's first module);
* with --against REV, the same grading of the smallest class by the code of git revision
  REV (a temporary worktree), in turns with this tree's, --rounds times each.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import yaml
from results import write_section

ROOT = Path(__file__).resolve().parent.parent


def modules() -> dict[str, str]:
    course = yaml.safe_load((ROOT / "course.yml").read_text())
    found = {}
    for entry in course["exercises"]:
        spec = yaml.safe_load((ROOT / "exercises" / entry["id"] / "exercise.yml").read_text())
        found[entry["id"]] = spec["module"]
    return found


def variants(exercise: str, module: str) -> tuple[list[str], list[str]]:
    """The correct styles and the known mistakes of one exercise, as source text."""
    text = (ROOT / "solutions" / exercise / module).read_text()
    reference = "".join(
        line for line in text.splitlines(keepends=True)
        if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
    )
    good, bad = [reference], []
    for folder in sorted((ROOT / "tests" / "submissions" / exercise).glob("*/")):
        if not (folder / module).is_file():
            continue
        expect = yaml.safe_load((folder / "expect.yml").read_text()) or {}
        (good if expect.get("full_marks") else bad).append((folder / module).read_text())
    return good, bad


def make_class(folder: Path, size: int) -> list[Path]:
    found = modules()
    pools = {e: variants(e, m) for e, m in found.items()}
    students = []
    for index in range(size):
        student = folder / f"s{index:05d}"
        student.mkdir(parents=True)
        for position, (exercise, module) in enumerate(found.items()):
            good, bad = pools[exercise]
            if bad and index % 3 == 0 and position == (index // 3) % len(found):
                text = bad[(index // 4) % len(bad)]
            else:
                text = good[(index + position) % len(good)]
            (student / module).write_text(text)
        students.append(student)
    return students


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += member.memory_info().rss
    return total


def run_measured(command: list[str]) -> tuple[float, int, subprocess.CompletedProcess[str]]:
    """Wall time and peak summed RSS of *command* and all its descendants."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(child.pid)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                peak = max(peak, tree_rss(watched))
            except psutil.NoSuchProcess:
                return
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    return wall, peak, subprocess.CompletedProcess(command, child.returncode, stdout, stderr)


def grader_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "grader.cli", "--course", str(ROOT), *args]


def measure_batch(size: int, jobs: int, work: Path) -> dict[str, object]:
    source = work / f"class-{size}"
    make_class(source, size)
    out = work / f"out-{size}"
    wall, peak, done = run_measured(
        grader_command("grade", str(source), "-o", str(out), "--no-reports", "-j", str(jobs))
    )
    if done.returncode != 0:
        sys.exit(f"grader grade failed ({done.returncode}):\n{done.stderr[-3000:]}")
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        rows = db.execute("SELECT result FROM gradings").fetchall()
        exercises = db.execute(
            "SELECT COUNT(DISTINCT exercise) FROM results WHERE student = "
            "(SELECT MIN(student) FROM results)"
        ).fetchone()[0]
    results = [json.loads(row[0]) for row in rows]
    if len(results) != size:
        sys.exit(f"expected {size} results in the gradebook, found {len(results)}")
    durations = [r["duration"] for r in results]
    return {
        "size": size,
        "wall": wall,
        "rate": size / wall,
        "median": statistics.median(durations),
        "peak_mb": peak / 2**20,
        "isolation": results[0]["isolation"],
        "exercises": exercises,
        "source": source,
        "out": out,
    }


@dataclass
class Against:
    """Wall times of this tree's and of an earlier commit's `grader grade`, by name."""

    commit: str
    size: int
    rounds: int
    walls: dict[str, list[float]]


def measure_against(
    revision: str, source: Path, size: int, jobs: int, rounds: int, work: Path
) -> Against:
    """`grader grade` of this tree and of *revision*'s, in turns, on the same class.

    *revision*'s tree is a git worktree whose package comes first on PYTHONPATH, so its
    workers, zygotes and sandboxes run its code on its own course files.
    """
    tree = work / "against"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), revision],
        check=True, capture_output=True,
    )
    commit = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    walls: dict[str, list[float]] = {"this tree": [], commit: []}
    trees = (("this tree", ROOT), (commit, tree))
    try:
        for name, root in trees:
            # run from the tree itself: `python -m` puts the working directory first
            found = subprocess.run(
                [sys.executable, "-c", "import grader; print(grader.__file__)"],
                env={**os.environ, "PYTHONPATH": str(root)}, cwd=root,
                check=True, capture_output=True, text=True,
            ).stdout.strip()
            if not Path(found).resolve().is_relative_to(root.resolve()):
                sys.exit(f"{name} would import grader from {found}, not from {root}")
        for turn in range(rounds):
            for name, root in trees:
                out = work / f"against-out-{turn}-{name.replace(' ', '-')}"
                env = {**os.environ, "PYTHONPATH": str(root)}
                command = [
                    sys.executable, "-m", "grader.cli", "--course", str(root), "grade",
                    str(source), "-o", str(out), "--no-reports", "-j", str(jobs),
                ]
                started = time.perf_counter()
                done = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True)
                if done.returncode != 0:
                    sys.exit(f"grader grade of {name} failed:\n{done.stderr[-3000:]}")
                walls[name].append(time.perf_counter() - started)
                shutil.rmtree(out)
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
            check=False, capture_output=True,
        )
    return Against(commit, size, rounds, walls)


def against_text(measured: Against, jobs: int) -> str:
    size = measured.size
    lines = [
        f"`grader grade` of the same {size}-submission class with -j {jobs}, this tree and "
        f"commit {measured.commit} in turns, {measured.rounds} rounds:",
        "",
        "| code | median wall (s) | submissions/s | every run (s) |",
        "|---|---|---|---|",
    ]
    medians = {name: statistics.median(times) for name, times in measured.walls.items()}
    for name, times in measured.walls.items():
        lines.append(
            f"| {name} | {medians[name]:.1f} | {size / medians[name]:.1f} "
            f"| {', '.join(f'{t:.1f}' for t in times)} |"
        )
    this, other = medians["this tree"], medians[measured.commit]
    lines += ["", f"- Throughput of this tree: {other / this:.2f}x commit {measured.commit}'s."]
    return "\n".join(lines) + "\n"


def measure_reports(out: Path, jobs: int) -> tuple[float, int]:
    """Wall time and report count of `grader report OUT`: every report drawn again."""
    wall, _peak, done = run_measured(grader_command("report", str(out), "-j", str(jobs)))
    if done.returncode != 0:
        sys.exit(f"grader report failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall, len(list(out.glob("students/*/report.html")))


def measure_fresh_process(students: list[Path], sample: int) -> float:
    """Median wall time of one `grader check --all` process per submission."""
    times = []
    for folder in students[:sample]:
        started = time.perf_counter()
        subprocess.run(
            grader_command("check", "--all", "--dir", str(folder)),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure_otter(
    students: list[Path], sample: int, autograder: Path | None, work: Path
) -> tuple[str, float | None]:
    """What the otter baseline measured, and its median seconds per submission (None if not)."""
    beside = Path(sys.executable).parent / "otter"
    otter = str(beside) if beside.is_file() else shutil.which("otter")
    if otter is None:
        return "not measured: otter-grader is not installed (pip install -e '.[otter]')", None
    if autograder is not None and not autograder.is_file():
        return f"not measured: {autograder} is not a file", None
    zips: dict[str, Path] = {}
    if autograder is None:
        export = work / "otter-export"
        done = subprocess.run(grader_command("export", "otter", str(export)),
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return f"not measured: grader export otter failed: {done.stderr.strip()[-300:]}", None
        zips = {e: export / e / "autograder.zip" for e in modules()}
    times, runs = [], 0
    for index, folder in enumerate(students[:sample]):
        if autograder is None:
            plan = [(zips[e], folder / m) for e, m in modules().items()]
        else:
            plan = [(autograder, sorted(folder.glob("*.py"))[0])]
        started = time.perf_counter()
        for number, (zipped, module) in enumerate(plan):
            out = work / "otter-runs" / f"{index}-{number}"
            out.mkdir(parents=True)
            done = subprocess.run([otter, "run", "-a", str(zipped), "-o", str(out), str(module)],
                                  capture_output=True, text=True, check=False)
            if done.returncode != 0 or not (out / "results.json").is_file():
                problem = done.stderr.strip()[-300:]
                return f"not measured: otter run failed on {module}: {problem}", None
        times.append(time.perf_counter() - started)
        runs = len(plan)
    per = statistics.median(times)
    if autograder is not None:
        text = f"{per:.2f} s median per submission ({sample} submissions, one run of {autograder})"
        return text, per
    text = (
        f"{per:.2f} s median per submission ({sample} submissions), the sum of {runs} `otter "
        f"run`s, one per exercise (otter grades one .py file per run; the {runs} autograders "
        f"were built by `grader export otter`), {per / runs:.2f} s per run"
    )
    return text, per


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--sample", type=int, default=20, help="submissions for the baselines")
    parser.add_argument(
        "--otter-autograder", type=Path,
        help="an Otter autograder zip (default: one per exercise from `grader export otter`)",
    )
    parser.add_argument(
        "--against", metavar="REV",
        help="also grade a class with this git revision's code, in turns",
    )
    parser.add_argument(
        "--against-size", type=int,
        help="the class size graded for --against (default: the smallest of --sizes)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="turns each for --against")
    parser.add_argument("--write", action="store_true", help="record the figures in RESULTS.md")
    args = parser.parse_args()
    if args.against_size is not None and args.against_size not in args.sizes:
        parser.error(f"--against-size {args.against_size} is not one of --sizes {args.sizes}")
    command = "python bench/bench_batch.py " + " ".join(
        a for a in sys.argv[1:] if a != "--write"
    )
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        work = Path(tmp)
        runs = [measure_batch(size, args.jobs, work) for size in args.sizes]
        report_wall, report_count = measure_reports(Path(str(runs[0]["out"])), args.jobs)
        students = sorted(Path(str(runs[0]["source"])).iterdir())
        fresh = measure_fresh_process(students, args.sample)
        otter, otter_seconds = measure_otter(
            students, min(args.sample, 5), args.otter_autograder, work
        )
        against = None
        if args.against:
            size = args.against_size or min(args.sizes)
            chosen = next(run for run in runs if run["size"] == size)
            against = measure_against(
                args.against, Path(str(chosen["source"])), size, args.jobs, args.rounds, work,
            )
    lines = [
        "| submissions | wall (s) | submissions/s | median per submission in a worker (s) "
        "| peak RSS of the process tree (MB) |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run['size']} | {run['wall']:.1f} | {run['rate']:.1f} | {run['median']:.3f} "
            f"| {run['peak_mb']:.0f} |"
        )
    first, last = runs[0], runs[-1]
    ratio = float(str(last["wall"])) / float(str(first["wall"]))
    size_ratio = int(str(last["size"])) / int(str(first["size"]))
    fresh_rate = args.jobs / fresh
    rate = float(str(last["rate"]))
    ratios = f"{rate / fresh_rate:.1f}x a fresh process per submission"
    if otter_seconds is not None:
        otter_rate = args.jobs / otter_seconds
        ratios += (
            f"; {rate / otter_rate:.0f}x `otter run` ({otter_rate:.3f} submissions/s with "
            f"{args.jobs} runs at a time, extrapolated from its sample)"
        )
    notes = [
        f"Each submission: {first['exercises']} exercises; isolation: "
        f"{', '.join(map(str, first['isolation'])) or 'none recorded'}; --jobs {args.jobs}.",
        "The table is grading alone (`--no-reports`: results in the gradebook and its CSV).",
        f"Reports: `grader report OUT -j {args.jobs}` drew all {report_count} students' "
        f"reports of the {first['size']}-submission class again in {report_wall:.1f} s "
        f"({report_count / report_wall:.1f} students/s); `grader grade` with reports takes "
        f"about the sum, {float(str(first['wall'])) + report_wall:.0f} s for "
        f"{first['size']} submissions.",
        f"Scaling: {last['size']} vs {first['size']} submissions took {ratio:.2f}x the time "
        f"for {size_ratio:.2f}x the work.",
        f"Baseline, a fresh `grader check --all` process per submission: {fresh:.2f} s median "
        f"over {args.sample} submissions; extrapolated with {args.jobs} at a time, "
        f"{fresh_rate:.1f} submissions/s, so {last['size']} submissions would take "
        f"{int(str(last['size'])) / fresh_rate:.0f} s (measured on a sample, extrapolated).",
        f"Baseline, `otter run` per submission: {otter}.",
        f"Throughput of grader grade at {last['size']} submissions ({rate:.1f}/s): {ratios}.",
        f"1-minute load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after "
        "the run (the machine is shared; a load above 2 means other work competed for the "
        "2 cores).",
    ]
    text = "\n".join(lines) + "\n\n" + "\n".join(f"- {note}" for note in notes) + "\n"
    if against is not None:
        text += "\n" + against_text(against, args.jobs)
    print(text)
    if args.write:
        stamp = time.strftime("%Y-%m-%d")
        write_section(
            "Batch",
            f"\n\n`grader grade` on generated classes ({stamp}, {platform.machine()}, "
            f"{os.cpu_count()} cores). Command: `{command.strip()}`\n\n{text}",
        )


if __name__ == "__main__":
    main()
