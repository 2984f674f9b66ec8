"""Grading processes use one BLAS thread unless the user asked for more."""

from __future__ import annotations

import subprocess
import sys

from grader.threads import ONE_THREAD, use_one_thread


def test_only_the_variables_the_user_left_unset_are_set():
    environ = {"OMP_NUM_THREADS": "4", "PATH": "/bin"}
    use_one_thread(environ)
    assert environ["OMP_NUM_THREADS"] == "4"
    assert environ["OPENBLAS_NUM_THREADS"] == "1"
    assert set(ONE_THREAD) <= set(environ)
    assert environ["PATH"] == "/bin"


def test_the_command_line_sets_them_before_anything_imports_numpy(tmp_path):
    out = str(tmp_path / "s.json")
    code = (
        "import os, sys\n"
        "from grader import cli\n"
        "before = 'numpy' in sys.modules\n"
        f"cli._run(cli._parser().parse_args(['schema', '--output', {out!r}]))\n"
        "print(before, os.environ.get('OPENBLAS_NUM_THREADS'), os.environ.get('OMP_NUM_THREADS'))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "3"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.splitlines()[-1].split() == ["False", "1", "3"]
