"""Turn SUBMISSIONS (a folder, or a zip of one) into one clean folder per student.

Every entry of the folder is recognised on its own, so one folder may mix layouts:

* ``<student>/`` or ``<student>.zip``: one student's work; the name is the student's id;
* a Gradescope export: ``submission_metadata.yml`` beside ``submission_<n>/`` folders; the
  student ids (``:sid:``, else the e-mail), names, e-mails and times come from the metadata;
* a Canvas bulk download: files named ``<name>_[LATE_]<user id>_<attachment id>_<file>``;
  the files (or zips) of one Canvas user are one submission, the user id is the student id.

One folder that wraps everything (as in a zip of a folder) is looked through. When a
student has several submissions the latest counts: Gradescope's ``:created_at:``, else the
files' modification time (a zip's entries keep theirs), and for Canvas the attachment order.

Zips are opened with :func:`~grader.archive.safe_extract`: absolute paths, ``..``, links,
special files, encrypted entries and oversized or too many entries are refused and nothing
is written outside the target folder. Each problem is a :class:`Skipped` entry with a reason; a
student's mistake never stops the intake.

The roster (:func:`load_roster`) is a CSV file with the columns ``id,name,email``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from grader.archive import (
    Limits,
    content_hash,
    copy_tree,
    is_junk,
    merge,
    regular_files,
    safe_extract,
    tidy,
)
from grader.errors import IngestError, SubmissionError
from grader.roster import Roster, RosterEntry, load_roster
from grader.submission import Submission

__all__ = [
    "IngestError",
    "Intake",
    "Limits",
    "Roster",
    "RosterEntry",
    "Skipped",
    "StudentSubmission",
    "content_hash",
    "folder_name",
    "ingest",
    "load_roster",
    "safe_extract",
]

GRADESCOPE_METADATA = "submission_metadata.yml"
CANVAS_NAME = re.compile(
    r"^(?P<name>[^_]+)_(?:LATE_)?(?P<uid>\d+)_(?P<aid>\d+)_(?P<file>.+)$"
)
_CANVAS_COPY = re.compile(r"^(?P<stem>.+)-\d+(?P<ext>\.[^.]+)$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COPY_THREADS = 4


@dataclass(frozen=True)
class StudentSubmission:
    """One student's submission, copied into the work folder and hashed."""

    student: str
    path: Path
    digest: str
    source: str
    submitted_at: str = ""
    name: str = ""
    email: str = ""

    @property
    def submission(self) -> Submission:
        return Submission(self.student, self.path)


@dataclass(frozen=True)
class Skipped:
    """Something in SUBMISSIONS that is not graded, and why."""

    source: str
    reason: str
    student: str = ""


@dataclass
class Intake:
    submissions: list[StudentSubmission] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    superseded: list[Skipped] = field(default_factory=list)
    missing: list[RosterEntry] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    roster: Roster | None = None


@dataclass
class _Candidate:
    student: str
    source: str
    materialize: Callable[[Path], None]
    when: datetime | None = None
    order: int = 0
    name: str = ""
    email: str = ""


# -- naming and dating ------------------------------------------------------------------


def folder_name(student: str) -> str:
    """The student id made safe as one folder name; a changed id gets a short hash."""
    name = _UNSAFE.sub("_", student).strip("._-")[:80] or "anonymous"
    if name != student:
        name += "-" + hashlib.sha256(student.encode()).hexdigest()[:8]
    return name


def _newest_mtime(path: Path) -> datetime | None:
    stamps = [p.lstat().st_mtime for p in ([path] if path.is_file() else regular_files(path))]
    return datetime.fromtimestamp(max(stamps), UTC) if stamps else None


# -- recognising the layouts --------------------------------------------------------------


def _unwrap(root: Path, archive: bool) -> Path:
    """Look through lone folders that only wrap the real contents.

    Inside a zip, a lone folder without modules wraps the class; in a folder given on
    the command line, only a lone Gradescope export folder is looked through.
    """
    for _ in range(5):
        entries = [p for p in root.iterdir() if not is_junk(p.name)]
        if len(entries) != 1 or not entries[0].is_dir() or entries[0].is_symlink():
            return root
        inner = entries[0]
        if (inner / GRADESCOPE_METADATA).is_file() or (
            archive and not any(p.is_file() and p.suffix == ".py" for p in inner.iterdir())
        ):
            root = inner
        else:
            return root
    return root


def _parse_when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        match = re.match(
            r"^\s*(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d+))?\s*(Z|[+-]\d\d:?\d\d)?\s*$",
            value,
        )
        if match:
            day, time, fraction, zone = match.groups()
            text = f"{day}T{time}.{(fraction or '0')[:6].ljust(6, '0')}"
            zone = "+00:00" if zone in (None, "Z") else zone
            if len(zone) == 5:
                zone = zone[:3] + ":" + zone[3:]
            try:
                return datetime.fromisoformat(text + zone)
            except ValueError:
                return None
    return None


def _read_gradescope(
    path: Path, root: Path, limits: Limits
) -> tuple[dict[str, list[_Candidate]], list[Skipped]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise IngestError(
            f"{where}: is not valid YAML ({getattr(exc, 'problem', None) or exc}); re-download "
            "the Gradescope export or remove the file to grade the folders by name"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise IngestError(
            f"{path}: is not a Gradescope submission list (a mapping of submission_<n> "
            "entries); re-download the export"
        )
    found: dict[str, list[_Candidate]] = {}
    skipped: list[Skipped] = []
    for key, entry in data.items():
        folder = root / str(key)
        source = f"{key}/"
        submitters = entry.get(":submitters") if isinstance(entry, dict) else None
        if not isinstance(submitters, list) or not submitters:
            skipped.append(Skipped(source, f"{GRADESCOPE_METADATA} lists no ':submitters' for it"))
            continue
        if not folder.is_dir() or folder.is_symlink():
            skipped.append(
                Skipped(source, f"is listed in {GRADESCOPE_METADATA} but its folder is missing")
            )
            continue
        when = _parse_when(entry.get(":created_at"))
        for person in submitters:
            person = person if isinstance(person, dict) else {}
            name = str(person.get(":name") or "").strip()
            email = str(person.get(":email") or "").strip()
            student = str(person.get(":sid") or "").strip() or email or name
            if not student:
                skipped.append(Skipped(source, "a submitter has no :sid:, :email: or :name:"))
                continue
            found.setdefault(str(key), []).append(
                _Candidate(student, source, _copier(folder, limits), when, 0, name, email)
            )
    return found, skipped


def _copier(folder: Path, limits: Limits) -> Callable[[Path], None]:
    def materialize(dest: Path) -> None:
        copy_tree(folder, dest, limits)

    return materialize


def _unzipper(archive: Path, limits: Limits) -> Callable[[Path], None]:
    def materialize(dest: Path) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        safe_extract(
            archive, dest, max_files=limits.max_files, max_bytes=limits.max_bytes,
            max_file_bytes=limits.max_file_bytes,
        )

    return materialize


def _canvas(files: list[tuple[int, Path, str]], modules: Collection[str], limits: Limits
            ) -> Callable[[Path], None]:
    def materialize(dest: Path) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        for attachment, path, name in sorted(files):
            if path.suffix.lower() == ".zip":
                inner = dest / f".attachment-{attachment}"
                inner.mkdir()
                safe_extract(
                    path, inner, max_files=limits.max_files, max_bytes=limits.max_bytes,
                    max_file_bytes=limits.max_file_bytes,
                )
                merge(inner, dest)
                continue
            copy = _CANVAS_COPY.match(name)
            if copy and name not in modules and copy["stem"] + copy["ext"] in modules:
                name = copy["stem"] + copy["ext"]
            if path.stat().st_size > limits.max_file_bytes:
                raise SubmissionError(f"'{name}' is larger than {limits.max_file_bytes} bytes")
            shutil.copyfile(path, dest / name)

    return materialize


def _scan(root: Path, prefix: str, modules: Collection[str], limits: Limits,
          exclude: Collection[Path]) -> tuple[list[_Candidate], list[Skipped]]:
    candidates: list[_Candidate] = []
    skipped: list[Skipped] = []
    gradescope: dict[str, list[_Candidate]] = {}
    listed: set[str] = set()
    metadata = root / GRADESCOPE_METADATA
    if metadata.is_file():
        gradescope, problems = _read_gradescope(metadata, root, limits)
        listed = {s.source.rstrip("/") for s in problems} | set(gradescope)
        skipped += [Skipped(prefix + s.source, s.reason) for s in problems]
        for found in gradescope.values():
            for candidate in found:
                candidate.source = prefix + candidate.source
                candidates.append(candidate)
    canvas: dict[str, list[tuple[int, Path, str]]] = {}
    canvas_names: dict[str, str] = {}
    for path in sorted(root.iterdir()):
        name = path.name
        source = prefix + name
        if is_junk(name) or name == GRADESCOPE_METADATA or name in listed:
            continue
        if path.resolve() in exclude:
            continue
        if path.is_symlink():
            skipped.append(Skipped(source, "is a symbolic link; put the files themselves here"))
        elif path.is_dir():
            candidates.append(
                _Candidate(name, source + "/", _copier(path, limits), _newest_mtime(path))
            )
        elif match := CANVAS_NAME.match(name):
            canvas.setdefault(match["uid"], []).append((int(match["aid"]), path, match["file"]))
            canvas_names.setdefault(match["uid"], match["name"])
        elif path.suffix.lower() == ".zip":
            candidates.append(
                _Candidate(path.stem, source, _unzipper(path, limits), _newest_mtime(path))
            )
        else:
            skipped.append(
                Skipped(
                    source,
                    "is not a student's folder, a student's zip or a Canvas-named file; "
                    "move it into the student's folder",
                )
            )
    for uid, uploads in canvas.items():
        newest = max(uploads)
        candidates.append(
            _Candidate(
                uid,
                prefix + newest[1].name,
                _canvas(uploads, modules, limits),
                max(filter(None, (_newest_mtime(p) for _, p, _ in uploads)), default=None),
                newest[0],
                canvas_names[uid],
            )
        )
    return candidates, skipped


# -- the intake ---------------------------------------------------------------------------


def ingest(
    source: Path | str,
    work: Path | str,
    *,
    roster: Roster | None = None,
    modules: Collection[str] = (),
    limits: Limits | None = None,
    exclude: Collection[Path] = (),
) -> Intake:
    """Recognise SUBMISSIONS at *source* and copy each student's latest work into *work*.

    *work* is rebuilt from scratch (in a fresh folder renamed into place). *modules* are
    the course's module file names, used to undo Canvas's ``name-1.py`` renaming;
    folders in *exclude* (such as the output folder inside SUBMISSIONS) are not students.
    """
    source, work = Path(source), Path(work)
    limits = limits or Limits()
    if not source.exists():
        raise IngestError(f"{source}: does not exist; pass a folder of submissions or a zip")
    work.parent.mkdir(parents=True, exist_ok=True)
    for stale in work.parent.glob(f".{work.name}.new-*"):
        shutil.rmtree(stale, ignore_errors=True)
    fresh = work.parent / f".{work.name}.new-{os.getpid()}"
    fresh.mkdir()
    try:
        intake = _ingest(
            source, work, fresh, roster, modules, limits, {Path(p).resolve() for p in exclude}
        )
        shutil.rmtree(fresh / ".export", ignore_errors=True)
        if work.exists():
            shutil.rmtree(work)
        fresh.rename(work)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return intake


def _materialize(
    candidate: _Candidate, work: Path, fresh: Path, limits: Limits
) -> StudentSubmission | Skipped:
    """Copy one student's latest work into *fresh* and describe it (as it will be in *work*)."""
    student = candidate.student
    folder = folder_name(student)
    dest = fresh / folder
    try:
        candidate.materialize(dest)
        tidy(dest, limits)
    except SubmissionError as exc:
        shutil.rmtree(dest, ignore_errors=True)
        return Skipped(candidate.source, str(exc), student)
    except OSError as exc:
        shutil.rmtree(dest, ignore_errors=True)
        return Skipped(candidate.source, f"cannot be copied ({exc.strerror or exc})", student)
    return StudentSubmission(
        student=student,
        path=work / folder,
        digest=content_hash(dest),
        source=candidate.source,
        submitted_at=candidate.when.isoformat() if candidate.when else "",
        name=candidate.name,
        email=candidate.email,
    )


def _ingest(source: Path, work: Path, fresh: Path, roster: Roster | None,
            modules: Collection[str], limits: Limits, exclude: Collection[Path]) -> Intake:
    intake = Intake(roster=roster)
    prefix = ""
    if source.is_dir():
        root = source
    elif zipfile.is_zipfile(source):
        root = fresh / ".export"
        root.mkdir()
        try:
            problems = safe_extract(
                source, root, max_files=limits.max_export_files,
                max_bytes=limits.max_export_bytes, max_file_bytes=limits.max_bytes,
                strict=False, label=source.name,
            )
            intake.skipped += [Skipped(entry, reason) for entry, reason in problems]
        except SubmissionError as exc:
            raise IngestError(f"{source}: {exc}") from None
        prefix = f"{source.name}!"
    else:
        raise IngestError(
            f"{source}: is neither a folder nor a zip file; pass the folder of submissions, "
            "a Gradescope or Canvas export, or a zip of one"
        )
    root = _unwrap(root, archive=bool(prefix))
    if root != source and prefix == "":
        prefix = root.relative_to(source).as_posix() + "/"
    candidates, skipped = _scan(root, prefix, modules, limits, exclude)
    intake.skipped += skipped
    if roster is not None:
        unknown: set[str] = set()
        for candidate in candidates:
            entry = roster.find(candidate.student, candidate.email)
            if entry is None:
                unknown.add(candidate.student)
                continue
            candidate.student = entry.id
            candidate.name = entry.name or candidate.name
            candidate.email = entry.email or candidate.email
        intake.unknown = sorted(unknown)
    latest: dict[str, _Candidate] = {}
    for candidate in sorted(candidates, key=lambda c: (c.when or _EPOCH, c.order, c.source)):
        previous = latest.get(candidate.student)
        if previous is not None:
            intake.superseded.append(
                Skipped(previous.source, f"superseded by the later {candidate.source}",
                        previous.student)
            )
        latest[candidate.student] = candidate
    chosen = [latest[student] for student in sorted(latest)]
    # Copying is mostly waiting for the file system: a few students at a time overlap it.
    with ThreadPoolExecutor(_COPY_THREADS) as pool:
        for taken in pool.map(lambda c: _materialize(c, work, fresh, limits), chosen):
            if isinstance(taken, Skipped):
                intake.skipped.append(taken)
            else:
                intake.submissions.append(taken)
    if roster is not None:
        present = {s.student for s in intake.submissions} | {s.student for s in intake.skipped}
        intake.missing = [e for i, e in sorted(roster.entries.items()) if i not in present]
    return intake
