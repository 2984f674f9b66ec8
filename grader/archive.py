"""Safe handling of students' files: zips extracted, folders copied, contents hashed.

:func:`safe_extract` refuses absolute paths, ``..``, links, special files, encrypted
entries, and more or larger entries than :class:`Limits` allow; it opens every file with
``O_EXCL | O_NOFOLLOW`` under the target folder and checks each entry's real size while
writing, so nothing is ever written outside the target, whatever the zip claims.
:func:`copy_tree` copies a student's folder without following links. Problems are
:class:`~grader.errors.SubmissionError`: the submission is reported and skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from grader.errors import SubmissionError

__all__ = [
    "Limits",
    "content_hash",
    "copy_tree",
    "is_junk",
    "merge",
    "regular_files",
    "safe_extract",
    "tidy",
]

_JUNK = frozenset({"__MACOSX", "__pycache__", "Thumbs.db", "desktop.ini"})
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Limits:
    """How much one submission, and the whole export, may hold."""

    max_files: int = 500
    max_bytes: int = 50 * 2**20
    max_file_bytes: int = 20 * 2**20
    max_export_files: int = 200_000
    max_export_bytes: int = 4 * 2**30


# -- zips ----------------------------------------------------------------------


def is_junk(name: str) -> bool:
    """Files and folders that are never part of a submission (hidden, caches, macOS forks)."""
    return name.startswith(".") or name in _JUNK or name.endswith(".pyc")


def _entry_path(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The entry's path inside its folder, None for folders and junk; refuse unsafe entries."""
    raw = info.filename
    name = raw.replace("\\", "/")
    if "\x00" in name:
        raise SubmissionError(f"entry {raw!r} has a NUL byte in its name; it was not extracted")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise SubmissionError(
            f"entry '{raw}' has an absolute path; it was not extracted (zip the files "
            "with paths relative to the submission folder)"
        )
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise SubmissionError(
            f"entry '{raw}' points outside its folder ('..'); it was not extracted"
        )
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise SubmissionError(
            f"entry '{raw}' is a symbolic link; links are not extracted (zip the files themselves)"
        )
    if info.flag_bits & 0x1:
        raise SubmissionError(f"entry '{raw}' is encrypted; submit a zip without a password")
    if info.is_dir() or not parts or any(is_junk(part) for part in parts):
        return None
    if mode and not stat.S_ISREG(mode):
        raise SubmissionError(f"entry '{raw}' is not a regular file; it was not extracted")
    return PurePosixPath(*parts)


def safe_extract(
    archive: Path,
    dest: Path,
    *,
    max_files: int,
    max_bytes: int,
    max_file_bytes: int,
    strict: bool = True,
    label: str = "",
) -> list[tuple[str, str]]:
    """Extract the zip *archive* into *dest* without ever writing outside it.

    With *strict*, the first bad entry raises :class:`SubmissionError`; otherwise each
    bad entry is returned as ``(label!entry, reason)`` and the rest is extracted. A zip
    that cannot be opened always raises.
    """
    label = label or archive.name
    try:
        handle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise SubmissionError(f"is not a readable zip file ({exc})") from None
    problems: list[tuple[str, str]] = []
    with handle:
        infos = handle.infolist()
        if len(infos) > max_files:
            raise SubmissionError(
                f"holds {len(infos)} entries, more than the {max_files} allowed; submit only "
                "the exercise modules"
            )
        declared = sum(info.file_size for info in infos)
        if declared > max_bytes:
            raise SubmissionError(
                f"would unpack to {declared} bytes, more than the {max_bytes} allowed"
            )
        root = dest.resolve()
        seen: set[PurePosixPath] = set()
        for info in infos:
            try:
                relative = _entry_path(info)
                if relative is None:
                    continue
                if relative in seen:
                    raise SubmissionError(f"entry '{info.filename}' appears twice in the zip")
                seen.add(relative)
                _extract_entry(handle, info, root, relative, max_file_bytes)
            except SubmissionError as exc:
                if strict:
                    raise
                problems.append((f"{label}!{info.filename}", str(exc)))
            except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError,
                    ValueError, OSError) as exc:
                error = SubmissionError(f"entry '{info.filename}' cannot be read ({exc})")
                if strict:
                    raise error from None
                problems.append((f"{label}!{info.filename}", str(error)))
    return problems


def _extract_entry(
    handle: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    root: Path,
    relative: PurePosixPath,
    max_file_bytes: int,
) -> None:
    if info.file_size > max_file_bytes:
        raise SubmissionError(
            f"entry '{info.filename}' is {info.file_size} bytes, more than the "
            f"{max_file_bytes} allowed for one file"
        )
    target = root.joinpath(*relative.parts)
    if os.path.commonpath([root, target]) != str(root):
        raise SubmissionError(f"entry '{info.filename}' points outside its folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.parent.resolve() != target.parent:
        raise SubmissionError(f"entry '{info.filename}' would be written through a link")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags, 0o644)
    except FileExistsError:
        raise SubmissionError(f"entry '{info.filename}' clashes with another entry") from None
    written = 0
    try:
        with os.fdopen(fd, "wb") as out, handle.open(info) as source:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > info.file_size:
                    raise SubmissionError(
                        f"entry '{info.filename}' unpacks to more than the size it declares"
                    )
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    try:
        stamp = datetime(*info.date_time, tzinfo=UTC).timestamp()
        os.utime(target, (stamp, stamp))
    except ValueError:
        pass


# -- copying and hashing folders ----------------------------------------------------------


def copy_tree(source: Path, dest: Path, limits: Limits) -> None:
    files = size = 0
    dest.mkdir(parents=True, exist_ok=True)
    made = {str(dest)}
    try:
        for folder, dirnames, filenames in os.walk(source):
            for name in list(dirnames):
                if is_junk(name):
                    dirnames.remove(name)
                elif os.path.islink(os.path.join(folder, name)):
                    relative = os.path.relpath(os.path.join(folder, name), source)
                    raise SubmissionError(
                        f"'{relative}' is a symbolic link; submit the files themselves"
                    )
            for name in sorted(filenames):
                if is_junk(name):
                    continue
                path = os.path.join(folder, name)
                info = os.lstat(path)
                relative = os.path.relpath(path, source)
                if stat.S_ISLNK(info.st_mode):
                    raise SubmissionError(
                        f"'{relative}' is a symbolic link; submit the file itself"
                    )
                if not stat.S_ISREG(info.st_mode):
                    raise SubmissionError(f"'{relative}' is not a regular file")
                files += 1
                size += info.st_size
                if files > limits.max_files or size > limits.max_bytes:
                    raise SubmissionError(
                        f"holds more than {limits.max_files} files or {limits.max_bytes} bytes; "
                        "submit only the exercise modules"
                    )
                target = os.path.join(dest, relative)
                parent = os.path.dirname(target)
                if parent not in made:
                    os.makedirs(parent, exist_ok=True)
                    made.add(parent)
                _copy_file(path, target, info)
    except OSError as exc:
        raise SubmissionError(f"cannot be read ({exc.strerror or exc})") from None


def _copy_file(path: str, target: str, info: os.stat_result) -> None:
    """Copy one regular file's bytes and modification time; never through a link."""
    source = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        with open(source, "rb") as reader:
            data = reader.read()
    except BaseException:
        os.close(source)
        raise
    written = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with open(written, "wb") as writer:
        writer.write(data)
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))


def regular_files(folder: Path) -> Iterator[Path]:
    """The regular files under *folder*, sorted as paths sort; links are not followed."""
    found: list[tuple[list[str], str]] = []
    for here, _dirnames, filenames in os.walk(folder):
        for name in filenames:
            path = os.path.join(here, name)
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(path).st_mode):
                    found.append((path.split(os.sep), path))
    for _parts, path in sorted(found):
        yield Path(path)


def content_hash(folder: Path) -> str:
    """A SHA-256 over every file's relative path and bytes: equal folders, equal hashes."""
    digest = hashlib.sha256()
    for path in regular_files(folder):
        data = path.read_bytes()
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(str(len(data)).encode() + b"\0" + data)
    return digest.hexdigest()


def tidy(folder: Path, limits: Limits) -> None:
    """Unwrap a lone top folder and open zips that stand in for the modules."""
    for _ in range(3):
        entries = [p for p in folder.iterdir() if not is_junk(p.name)]
        zips = [p for p in entries if p.is_file() and p.suffix.lower() == ".zip"]
        if zips and not any(p.suffix == ".py" for p in regular_files(folder)):
            for archive in zips:
                inner = folder / f".unzip-{archive.stem}"
                inner.mkdir()
                safe_extract(
                    archive, inner, max_files=limits.max_files, max_bytes=limits.max_bytes,
                    max_file_bytes=limits.max_file_bytes,
                )
                archive.unlink()
                merge(inner, folder)
            continue
        if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
            merge(entries[0], folder)
            continue
        break
    for here, dirnames, filenames in os.walk(folder):
        for name in [d for d in dirnames if is_junk(d)]:
            dirnames.remove(name)
            junk = os.path.join(here, name)
            if os.path.islink(junk):
                os.unlink(junk)
            else:
                shutil.rmtree(junk, ignore_errors=True)
        for name in filenames:
            if is_junk(name):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(here, name))


def merge(source: Path, dest: Path) -> None:
    """Move everything in *source* into *dest* (replacing files), then remove *source*."""
    for path in sorted(source.rglob("*")):
        if path.is_file():
            target = dest / path.relative_to(source)
            if target.is_dir():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
    shutil.rmtree(source)
