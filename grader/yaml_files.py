"""Read the course's YAML files: plain data, the position of any field, and a parse cache.

:func:`read_yaml` returns a :class:`Parsed` file. Its ``data`` is what PyYAML's safe
loader makes of the text; :meth:`Parsed.position` gives the line and column of a field,
for error messages, and parses the text again only when it is asked.

Commands read ``course.yml`` and every ``exercise.yml`` each time they start, and PyYAML's
import and parse are a noticeable part of a ``grader check``. So the data a file parsed to
is kept in one JSON file per course in the user's cache folder
(``$XDG_CACHE_HOME/grader``, else ``~/.cache/grader``), under the SHA-256 of the file's
bytes: an edited file is parsed again, and nothing depends on modification times. Data
that JSON cannot hold exactly (dates, binary, sets, non-string keys, nan) is never cached.
The files of the :data:`MAX_COURSES` courses written last are kept. A cache that cannot
be read or written is ignored; it only saves time.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from grader.errors import ConfigError

if TYPE_CHECKING:
    import yaml

__all__ = ["MAX_COURSES", "ParseCache", "Parsed", "read_yaml"]

_FORMAT = 1
MAX_COURSES = 32
"""The cache keeps the files of this many courses, the most recently written."""


class Parsed:
    """One YAML file's data, and the positions of its fields on demand."""

    def __init__(self, path: Path, text: str, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data
        self._text = text
        self._nodes: yaml.Node | None = None
        self._composed = False

    def position(self, loc: tuple[Any, ...]) -> tuple[int | None, int | None]:
        """The 1-based line and column of the field at *loc*, or of its nearest parent."""
        if not self._composed:
            self._nodes = _parse(self.path, self._text)[1]
            self._composed = True
        return _position_of(self._nodes, loc)

    def line(self, loc: tuple[Any, ...]) -> int | None:
        """The 1-based line of the field at *loc*, or of its nearest parent."""
        return self.position(loc)[0]


class ParseCache:
    """The parsed data of one course's YAML files, by the SHA-256 of their bytes."""

    def __init__(self, root: Path, folder: Path | None = None) -> None:
        folder = folder if folder is not None else _cache_folder()
        key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:24]
        self.file = folder / f"parsed-{key}.json"
        self._entries: dict[str, Any] = {}
        self._changed = False
        with contextlib.suppress(OSError, msgspec.DecodeError):
            stored = msgspec.json.decode(self.file.read_bytes())
            if isinstance(stored, dict) and stored.get("format") == _FORMAT:
                entries = stored.get("files")
                self._entries = entries if isinstance(entries, dict) else {}

    def get(self, path: Path, digest: str) -> dict[str, Any] | None:
        entry = self._entries.get(str(path))
        if isinstance(entry, dict) and entry.get("sha256") == digest:
            data = entry.get("data")
            return data if isinstance(data, dict) else None
        return None

    def put(self, path: Path, digest: str, data: dict[str, Any]) -> None:
        try:
            exact = msgspec.json.decode(msgspec.json.encode(data)) == data
        except (TypeError, ValueError, OverflowError):
            exact = False
        if exact:
            self._entries[str(path)] = {"sha256": digest, "data": data}
            self._changed = True

    def save(self) -> None:
        """Write the cache if something was added, atomically; ignore any failure."""
        if not self._changed:
            return
        data = msgspec.json.encode({"format": _FORMAT, "files": self._entries})
        with contextlib.suppress(OSError):
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.file.parent, prefix=".parsed-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(temp, self.file)
            except OSError:
                os.unlink(temp)
                raise
            _prune(self.file.parent)
        self._changed = False


def read_yaml(path: Path, cache: ParseCache | None = None) -> Parsed:
    """Read the YAML mapping in *path*; a file that is not one raises a ConfigError."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        raise ConfigError(str(path), f"cannot be read ({exc.strerror}); check the path") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(path), f"is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    digest = hashlib.sha256(raw).hexdigest()
    data = cache.get(path, digest) if cache is not None else None
    if data is not None:
        return Parsed(path, text, data)
    found, nodes = _parse(path, text)
    if not isinstance(found, dict):
        raise ConfigError(str(path), "must be a mapping of fields (key: value) at the top level")
    if cache is not None:
        cache.put(path, digest, found)
    parsed = Parsed(path, text, found)
    parsed._nodes, parsed._composed = nodes, True
    return parsed


def _prune(folder: Path) -> None:
    """Remove all but the MAX_COURSES most recently written cache files in *folder*."""
    found = []
    for path in folder.glob("parsed-*.json"):
        with contextlib.suppress(OSError):
            found.append((path.stat().st_mtime_ns, path))
    for _mtime, path in sorted(found, reverse=True)[MAX_COURSES:]:
        with contextlib.suppress(OSError):
            path.unlink()


def _cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "grader"


def _parse(path: Path, text: str) -> tuple[Any, yaml.Node | None]:
    import yaml

    # libyaml's loader where PyYAML was built with it: the same safe subset, parsed in C.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        nodes = loader.get_single_node()
        data = loader.construct_document(nodes) if nodes is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            str(path),
            f"is not valid YAML ({problem}); check indentation and quoting near this line",
            line=mark.line + 1 if mark is not None else None,
        ) from None
    finally:
        loader.dispose()
    return data, nodes


def _position_of(node: Any, loc: tuple[Any, ...]) -> tuple[int | None, int | None]:
    import yaml

    if node is None:
        return None, None
    mark = node.start_mark
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    mark = key.start_mark
                    child = value
                    break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            child = node.value[part]
            mark = child.start_mark
        if child is None:
            break
        node = child
    return mark.line + 1, mark.column + 1
