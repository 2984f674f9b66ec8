"""Wall time of `grader check sigmoid` as a whole process, against baselines in the same run.

Run: python bench/bench_check.py [--repeat N] [--write]

The grader package is compiled to bytecode first, as a regular pip install
leaves it (an editable install where PYTHONDONTWRITEBYTECODE is set would
otherwise compile it from source at every run).

Baselines, measured interleaved with the command so that machine noise hits all alike:
  python -c pass            the interpreter's own start-up
  python -c 'import numpy'  the floor for anything that uses numpy
  python -m pytest FILE     a minimal pytest run of one numpy test (plugins not autoloaded)
"""

from __future__ import annotations

import argparse
import compileall
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import write_section

ROOT = Path(__file__).resolve().parent.parent


def _time(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--write", action="store_true", help="record the figures in RESULTS.md")
    args = parser.parse_args()
    grader = shutil.which("grader", path=str(Path(sys.executable).parent))
    if grader is None:
        sys.exit("the grader command is not installed next to this python; pip install -e .")
    # As a regular pip install (or any earlier run without PYTHONDONTWRITEBYTECODE) leaves it.
    compileall.compile_dir(str(ROOT / "grader"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        trivial = Path(tmp) / "test_trivial.py"
        trivial.write_text(
            "import numpy as np\n\ndef test_one():\n    assert np.ones(3).sum() == 3\n"
        )
        commands = {
            "grader check sigmoid (stub)": [grader, "check", "sigmoid"],
            "grader check sigmoid (solution)": [
                grader,
                "check",
                "sigmoid",
                "--dir",
                str(ROOT / "solutions"),
            ],
            "baseline: python -c pass": [sys.executable, "-c", "pass"],
            "baseline: python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
            "baseline: python -m pytest (one numpy test)": [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--disable-plugin-autoload",
                str(trivial),
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():
            _time(cmd, ROOT)
        for _ in range(args.repeat):
            for name, cmd in commands.items():
                times[name].append(_time(cmd, ROOT))
    numpy_floor = statistics.median(times["baseline: python -c 'import numpy'"])
    lines = [
        "| command | median wall (s) | min (s) | ratio to `import numpy` |",
        "|---|---|---|---|",
    ]
    for name, samples in times.items():
        median = statistics.median(samples)
        lines.append(f"| {name} | {median:.3f} | {min(samples):.3f} | {median / numpy_floor:.2f} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        stamp = time.strftime("%Y-%m-%d")
        write_section(
            "grader check",
            f" ({stamp})\n\nCommand: `python bench/bench_check.py --repeat {args.repeat} "
            f"--write` ({args.repeat} interleaved runs each, 2-core machine; the package "
            f"compiled to bytecode first, as pip leaves a regular install).\n\n{table}\n",
        )


if __name__ == "__main__":
    main()
