"""Build classes of submissions in temporary folders for the ingest, gradebook and batch tests."""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = (ROOT / "solutions" / "sigmoid" / "sigmoid.py").read_text()
STUB = (ROOT / "exercises" / "sigmoid" / "sigmoid.py").read_text()
FORGOT_UPSTREAM = (
    ROOT / "tests" / "submissions" / "sigmoid" / "forgot_upstream" / "sigmoid.py"
).read_text()
EXITS = (
    "import os\n\n\ndef sigmoid(x):\n    os._exit(3)\n\n\n"
    "def sigmoid_backward(dout, x):\n    os._exit(3)\n"
)
SLOW = "import time\n\ntime.sleep({seconds})\n\n" + SOLUTION
LOOPS = "def sigmoid(x):\n    while True:\n        pass\n\n\ndef sigmoid_backward(dout, x):\n" \
    "    while True:\n        pass\n"


def write_files(folder: Path, files: Mapping[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return folder


def write_zip(
    path: Path, files: Mapping[str, str | bytes], *, symlinks: Mapping[str, str] | None = None
) -> Path:
    """A zip with *files* (names used verbatim, so '..' and '/' entries can be made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 2, 10, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, content)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 2, 10, 0, 0))
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


def touch(path: Path, when: float) -> None:
    for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(item, (when, when))


GRADESCOPE_METADATA = """\
submission_101:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1001'
    :email: ada@example.edu
  :created_at: 2026-11-01 10:00:00.123456000 -08:00
  :score: 0.0
  :history: []
submission_102:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1001'
    :email: ada@example.edu
  :created_at: 2026-11-02 09:30:00.000000000 -08:00
  :score: 0.0
  :history: []
submission_103:
  :submitters:
  - :name: Grace Hopper
    :sid: '1002'
    :email: grace@example.edu
  - :name: Alan Turing
    :sid: ''
    :email: alan@example.edu
  :created_at: 2026-11-02 08:00:00.000000000 -08:00
  :score: 0.0
"""


def gradescope_export(root: Path) -> Path:
    """An export with a resubmission (1001: 101 is older than 102) and a group (103)."""
    write_files(root, {"submission_metadata.yml": GRADESCOPE_METADATA})
    write_files(root / "submission_101", {"sigmoid.py": STUB})
    write_files(root / "submission_102", {"sigmoid.py": SOLUTION})
    write_files(root / "submission_103", {"sigmoid.py": FORGOT_UPSTREAM})
    return root
