"""The class roster: a CSV file with the columns ``id,name,email``.

:func:`load_roster` reads it; :class:`Roster` finds a student by id, or by e-mail for
exports that identify students by e-mail. Problems are :class:`~grader.errors.IngestError`
with the file and line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from grader.errors import IngestError

__all__ = ["Roster", "RosterEntry", "load_roster"]


@dataclass(frozen=True)
class RosterEntry:
    id: str
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class Roster:
    """Students by id, and by lower-cased e-mail for exports that identify by e-mail."""

    entries: dict[str, RosterEntry]

    def find(self, student: str, email: str = "") -> RosterEntry | None:
        if student in self.entries:
            return self.entries[student]
        wanted = email.strip().lower()
        if wanted:
            for entry in self.entries.values():
                if entry.email.lower() == wanted:
                    return entry
        return None


def load_roster(path: Path | str) -> Roster:
    """Read a roster CSV with the columns ``id,name,email`` (name and email may be empty)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({exc.strerror}); check the path") from None
    except UnicodeDecodeError:
        raise IngestError(f"{path}: is not UTF-8 text; save it as 'CSV UTF-8'") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    if "id" not in columns:
        raise IngestError(
            f"{path}:1: the header has no 'id' column; a roster has the columns "
            "id,name,email (name and email may be left empty)"
        )
    entries: dict[str, RosterEntry] = {}
    first_line: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            values = {key: (row.get(name) or "").strip() for key, name in columns.items()}
            if not any(values.values()):
                continue
            student = values["id"]
            if not student:
                raise IngestError(
                    f"{path}:{line}: field 'id' is empty; give the student an id or delete the line"
                )
            if student in entries:
                raise IngestError(
                    f"{path}:{line}: field 'id': '{student}' is listed twice (first on line "
                    f"{first_line[student]}); keep one line per student"
                )
            first_line[student] = line
            entries[student] = RosterEntry(student, values.get("name", ""), values.get("email", ""))
    except csv.Error as exc:
        raise IngestError(f"{path}:{reader.line_num}: is not valid CSV ({exc})") from None
    return Roster(entries)
