"""Build the sample class examples/class/ (plus examples/roster.csv and examples/STUDENTS.md).

Run from anywhere: python examples/make_class.py

The students' files come from the course itself: the reference solutions (fences removed),
the stubs in exercises/, the sample submissions in tests/submissions/<exercise>/<case>/
(correct styles and realistic mistakes) and the hostile files in examples/handwritten/.
The layouts are mixed on purpose: student folders, student zips (flat, wrapped, or the
whole exercises/ tree), a Gradescope export (submission_metadata.yml and
submission_<n>/ folders, with one resubmission) and Canvas bulk-download files
(<name>_[LATE_]<user id>_<attachment id>_<file>), plus an unreadable zip and a zip
with a path-traversal entry. The output is the same byte for byte on every run.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CLASS = HERE / "class"
HANDWRITTEN = HERE / "handwritten"
STAMP = (2026, 11, 20, 12, 0, 0)

NAMES = [
    "Amara Okafor", "Bruno Silva", "Chen Wei", "Dalia Haddad", "Emil Novak", "Farah Khan",
    "Gustav Lind", "Hana Sato", "Ines Duarte", "Jonas Weber", "Kofi Mensah", "Lena Fischer",
    "Mateo Rossi", "Nadia Petrova", "Oscar Nilsson", "Priya Raman", "Quentin Moreau",
    "Rosa Jimenez", "Samir Aziz", "Tara Byrne", "Umar Farouk", "Vera Kowalski", "Wen Li",
    "Ximena Cruz", "Yusuf Demir", "Zoe Laurent", "Arjun Mehta", "Bianca Costa", "Carl Berg",
    "Dina Levi", "Elif Yilmaz", "Felix Braun", "Greta Holm", "Hugo Martin", "Isla Murray",
    "Jae Park", "Kira Ivanova", "Luca Romano", "Maya Cohen", "Noah Schmidt",
]


@dataclass
class Student:
    name: str
    files: dict[str, str]
    story: str
    layout: str = "folder"
    uid: str = ""
    extra: dict[str, Path] = field(default_factory=dict)

    @property
    def login(self) -> str:
        first, last = self.name.lower().split(" ", 1)
        return re.sub(r"[^a-z]", "", first[0] + last)

    @property
    def email(self) -> str:
        return f"{self.login}@example.edu"

    @property
    def id(self) -> str:
        return self.uid or self.login


def course_modules() -> dict[str, str]:
    course = yaml.safe_load((ROOT / "course.yml").read_text())
    modules = {}
    for entry in course["exercises"]:
        exercise = yaml.safe_load((ROOT / "exercises" / entry["id"] / "exercise.yml").read_text())
        modules[entry["id"]] = exercise["module"]
    return modules


MODULES = course_modules()


def solution(exercise: str) -> str:
    text = (ROOT / "solutions" / exercise / MODULES[exercise]).read_text()
    return "".join(
        line for line in text.splitlines(keepends=True)
        if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
    )


def stub(exercise: str) -> str:
    return (ROOT / "exercises" / exercise / MODULES[exercise]).read_text()


def case(exercise: str, name: str) -> str | None:
    path = ROOT / "tests" / "submissions" / exercise / name / MODULES[exercise]
    return path.read_text() if path.is_file() else None


def cases(exercise: str, full_marks: bool) -> list[str]:
    found = []
    for folder in sorted((ROOT / "tests" / "submissions" / exercise).glob("*/")):
        expect = yaml.safe_load((folder / "expect.yml").read_text()) or {}
        if bool(expect.get("full_marks")) == full_marks and (folder / MODULES[exercise]).is_file():
            found.append(folder.name)
    return found


def correct(exercise: str, variant: int) -> str:
    styles = [solution(exercise), *(case(exercise, c) or "" for c in cases(exercise, True))]
    return styles[variant % len(styles)]


def all_correct(variant: int) -> dict[str, str]:
    return {MODULES[e]: correct(e, variant + i) for i, e in enumerate(MODULES)}


def students() -> list[Student]:
    names = iter(NAMES)
    made: list[Student] = []
    for index in range(12):
        made.append(Student(next(names), all_correct(index), "correct work (style variant "
                            f"{index % 4 + 1})"))
    wanted = {
        "sigmoid": ["derivative_from_input", "exp_overflow_nan", "forgot_upstream",
                    "mutates_input"],
        "elu": ["alpha_hardcoded", "forgot_minus_one", "leaky_relu_slope", "missing_else_loop"],
        "weight_sign": ["dw_transposed", "sign_without_dout", "count_not_fraction"],
        "centering": ["uses_test_mean", "scalar_mean", "inplace_both"],
    }
    for exercise, mistakes in wanted.items():
        if exercise not in MODULES:
            continue
        for offset, mistake in enumerate(mistakes):
            text = case(exercise, mistake)
            if text is None:
                continue
            files = all_correct(offset)
            files[MODULES[exercise]] = text
            made.append(Student(next(names), files, f"{exercise}: {mistake.replace('_', ' ')}"))
    files = all_correct(1)
    for exercise in ("sigmoid", "elu"):
        files[MODULES[exercise]] = case(exercise, "forgot_upstream") or files[MODULES[exercise]]
    made.append(Student(next(names), files, "forgot dout in both backward passes"))
    made.append(Student(next(names), {MODULES[e]: stub(e) for e in MODULES},
                        "submitted the untouched stubs"))
    half = all_correct(2)
    for exercise in ("weight_sign", "centering"):
        half[MODULES[exercise]] = stub(exercise)
    made.append(Student(next(names), half, "finished sigmoid and elu, stubs for the rest"))
    made.append(Student(next(names), {MODULES[e]: correct(e, 0) for e in ("sigmoid", "elu")},
                        "forgot to upload weight_sign.py and centering.py"))
    broken = all_correct(3)
    broken[MODULES["elu"]] = broken[MODULES["elu"]].replace("def elu(x, alpha=1.0):",
                                                            "def elu(x, alpha=1.0)", 1)
    made.append(Student(next(names), broken, "a syntax error in elu.py"))
    renamed = all_correct(0)
    renamed["Sigmoid.py"] = renamed.pop(MODULES["sigmoid"])
    made.append(Student(next(names), renamed, "named the file Sigmoid.py (missing sigmoid.py)"))
    hostile = [
        ("sigmoid", "infinite_loop_sigmoid.py", "hostile: sigmoid loops forever"),
        ("elu", "os_exit_elu.py", "hostile: elu calls os._exit"),
        ("weight_sign", "huge_print_weight_sign.py", "hostile: prints about 100 MB"),
        ("sigmoid", "numpy_patch_sigmoid.py", "hostile: monkeypatches numpy's comparisons"),
        ("centering", "reads_graders_centering.py", "hostile: looks for the hidden graders"),
    ]
    for exercise, file, story in hostile:
        files = all_correct(0)
        files[MODULES[exercise]] = (HANDWRITTEN / file).read_text()
        made.append(Student(next(names), files, story))
    return made


def zip_bytes(entries: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=STAMP)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name])
    return buffer.getvalue()


def write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


def build() -> list[Student]:
    everyone = students()
    layouts = ["folder", "zip", "folder", "gradescope", "folder", "zip-wrapped", "canvas",
               "folder", "zip-tree", "gradescope", "folder-tree"]
    for index, student in enumerate(everyone):
        student.layout = layouts[index % len(layouts)]
    canvas_ids = iter(range(48211, 49000, 7))
    attachments = iter(range(7300101, 7400000, 13))
    gradescope_ids = iter(range(281734501, 281800000, 17))
    metadata: dict[str, object] = {}
    if CLASS.exists():
        shutil.rmtree(CLASS)
    CLASS.mkdir(parents=True)
    for index, student in enumerate(everyone):
        files = student.files
        if student.layout == "folder":
            for name, text in files.items():
                write(CLASS / student.id / name, text)
        elif student.layout == "folder-tree":
            for name, text in files.items():
                write(CLASS / student.id / name.removesuffix(".py") / name, text)
        elif student.layout == "zip":
            write(CLASS / f"{student.id}.zip", zip_bytes(dict(files)))
        elif student.layout == "zip-wrapped":
            write(CLASS / f"{student.id}.zip",
                  zip_bytes({f"{student.id}/{n}": t for n, t in files.items()}))
        elif student.layout == "zip-tree":
            write(CLASS / f"{student.id}.zip", zip_bytes(
                {f"exercises/{n.removesuffix('.py')}/{n}": t for n, t in files.items()}
            ))
        elif student.layout == "gradescope":
            key = f"submission_{next(gradescope_ids)}"
            for name, text in files.items():
                write(CLASS / key / name, text)
            metadata[key] = gradescope_entry(student, f"2026-11-1{index % 8} 1{index % 10}:05:00")
        elif student.layout == "canvas":
            student.uid = str(next(canvas_ids))
            last, first = student.name.lower().split(" ", 1)[::-1]
            prefix = re.sub(r"[^a-z]", "", last + first)
            late = "LATE_" if index % 2 else ""
            for name, text in files.items():
                path = CLASS / f"{prefix}_{late}{student.uid}_{next(attachments)}_{name}"
                write(path, text)
                student.extra[name] = path
    resubmitter = next(s for s in everyone if s.layout == "gradescope")
    older = dict(resubmitter.files)
    older[MODULES["sigmoid"]] = case("sigmoid", "forgot_upstream") or stub("sigmoid")
    key = f"submission_{next(gradescope_ids)}"
    for name, text in older.items():
        write(CLASS / key / name, text)
    metadata[key] = gradescope_entry(resubmitter, "2026-11-09 08:00:00")
    resubmitter.story += "; an older Gradescope submission with a sigmoid mistake is ignored"
    canvas = next(s for s in everyone if s.layout == "canvas")
    first_upload = canvas.extra[MODULES["sigmoid"]]
    write(first_upload, case("sigmoid", "derivative_from_input") or stub("sigmoid"))
    write(first_upload.with_name(
        first_upload.name.replace(first_upload.name.split("_")[2], str(next(attachments)))
        .replace("sigmoid.py", "sigmoid-1.py")
    ), canvas.files[MODULES["sigmoid"]])
    canvas.story += (
        "; a wrong sigmoid.py, then a fixed one (Canvas renamed it sigmoid-1.py)"
    )
    (CLASS / "submission_metadata.yml").write_text(
        yaml.safe_dump(metadata, sort_keys=True, allow_unicode=True)
    )
    corrupt = zip_bytes(all_correct(0))
    write(CLASS / "jdoe.zip", corrupt[: len(corrupt) // 2])
    write(CLASS / "mallory.zip", zip_bytes(
        {"sigmoid.py": correct("sigmoid", 0), "../../outside.py": "print('escaped')\n"}
    ))
    return everyone


def gradescope_entry(student: Student, when: str) -> dict[str, object]:
    return {
        ":submitters": [{":name": student.name, ":sid": student.id, ":email": student.email}],
        ":created_at": f"{when}.000000000 -08:00",
        ":score": 0.0,
        ":status": "processed",
    }


def write_roster_and_notes(everyone: list[Student]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "name", "email"])
    rows = [(s.id, s.name, s.email) for s in everyone]
    rows += [("jdoe", "Jamie Doe", "jdoe@example.edu"),
             ("mallory", "Mallory Quinn", "mquinn@example.edu"),
             ("kwong", "Kim Wong", "kwong@example.edu")]
    for row in sorted(rows):
        writer.writerow(row)
    (HERE / "roster.csv").write_text(buffer.getvalue())
    lines = [
        "# The sample class",
        "",
        "Generated by `python examples/make_class.py`; grade it with",
        "`grader grade examples/class -o reports --roster examples/roster.csv`.",
        "",
        "| student | layout | what it shows |",
        "|---|---|---|",
    ]
    for s in sorted(everyone, key=lambda s: s.id):
        lines.append(f"| {s.id} ({s.name}) | {s.layout} | {s.story} |")
    lines += [
        "| jdoe (Jamie Doe) | zip | the zip is cut in half: reported as unreadable, skipped |",
        "| mallory (Mallory Quinn) | zip | a `../../outside.py` entry: reported, skipped, "
        "nothing written outside |",
        "| kwong (Kim Wong) | none | on the roster without a submission: 0 in gradebook.csv |",
        "",
    ]
    (HERE / "STUDENTS.md").write_text("\n".join(lines))


def main() -> None:
    everyone = build()
    write_roster_and_notes(everyone)
    count = len(everyone) + 2
    print(f"wrote {CLASS} ({count} students, 2 of them unreadable) and {HERE / 'roster.csv'}")


if __name__ == "__main__":
    main()
