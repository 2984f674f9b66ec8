"""Course files are parsed once: the cache gives the same course, follows edits, keeps positions."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader import ConfigError, load_course
from grader.yaml_files import MAX_COURSES, ParseCache, read_yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def _loads_yaml(root: Path, cache_home: Path) -> bool:
    """Whether a fresh process that loads the course at *root* imports PyYAML."""
    code = (
        "import sys; from grader.course import load_course; "
        f"load_course({str(root)!r}); print('yaml' in sys.modules)"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return out.stdout.strip() == "True"


def test_a_second_load_gives_the_same_course_without_parsing_yaml(course_copy, cache_home):
    assert _loads_yaml(course_copy, cache_home)
    assert list((cache_home / "grader").glob("parsed-*.json"))
    assert not _loads_yaml(course_copy, cache_home)
    assert load_course(course_copy) == load_course(course_copy)


def test_an_edited_file_is_parsed_again(course_copy, cache_home):
    path = course_copy / "exercises" / "sigmoid" / "exercise.yml"
    load_course(course_copy)
    path.write_text(path.read_text().replace("title: ", "title: Renamed ", 1))
    assert _loads_yaml(course_copy, cache_home)
    assert load_course(course_copy).exercise("sigmoid").title.startswith("Renamed ")


def test_an_error_in_a_cached_file_still_names_its_line_and_column(course_copy, cache_home):
    path = course_copy / "course.yml"
    text = path.read_text().replace("points: 10\n", "points: ten\n", 1)
    path.write_text(text)
    errors = []
    for _ in range(2):
        with pytest.raises(ConfigError) as info:
            load_course(course_copy)
        errors.append(info.value)
    line = text.splitlines().index("    points: ten") + 1
    assert [(e.line, e.field) for e in errors] == [(line, "exercises[0].points")] * 2
    assert errors[0].column is not None and errors[0].column == errors[1].column


def test_data_json_cannot_hold_exactly_is_never_cached(tmp_path):
    cache = ParseCache(tmp_path / "course", folder=tmp_path / "cache")
    path = tmp_path / "x.yml"
    cache.put(path, "d1", {"when": datetime.date(2026, 1, 1)})
    cache.put(path, "d2", {1: "integer key"})
    cache.put(path, "d3", {"x": float("nan")})
    assert [cache.get(path, d) for d in ("d1", "d2", "d3")] == [None, None, None]
    cache.put(path, "d4", {"x": [1, 2.5, "s", None, True, {"y": {}}]})
    assert cache.get(path, "d4") == {"x": [1, 2.5, "s", None, True, {"y": {}}]}


def test_a_cached_file_with_a_date_is_still_refused_as_a_date(course_copy, cache_home):
    path = course_copy / "exercises" / "sigmoid" / "exercise.yml"
    text = path.read_text()
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    path.write_text(text.replace(title, "title: 2026-12-01"))
    for _ in range(2):
        with pytest.raises(ConfigError) as info:
            load_course(course_copy)
        assert info.value.field == "title"


def test_a_broken_or_unwritable_cache_only_costs_time(course_copy, tmp_path):
    folder = tmp_path / "cache"
    first = ParseCache(course_copy, folder=folder)
    read_yaml(course_copy / "course.yml", first)
    first.save()
    first.file.write_bytes(b"{not json")
    again = ParseCache(course_copy, folder=folder)
    assert read_yaml(course_copy / "course.yml", again).data["title"]
    blocked = tmp_path / "file"
    blocked.write_text("")
    unwritable = ParseCache(course_copy, folder=blocked / "cache")
    read_yaml(course_copy / "course.yml", unwritable)
    unwritable.save()
    assert blocked.read_text() == ""


def test_a_file_that_is_not_utf8_is_named_with_the_fix(course_copy):
    path = course_copy / "course.yml"
    path.write_bytes(path.read_bytes() + b"\xff\xfe\n")
    with pytest.raises(ConfigError) as info:
        load_course(course_copy)
    assert info.value.path == str(path) and "UTF-8" in info.value.problem


def test_the_cache_keeps_only_the_courses_written_last(course_copy, tmp_path):
    folder = tmp_path / "cache"
    for k in range(MAX_COURSES + 5):
        cache = ParseCache(tmp_path / f"course-{k}", folder=folder)
        read_yaml(course_copy / "course.yml", cache)
        cache.save()
        os.utime(cache.file, ns=(k * 10**9, k * 10**9))
    kept = sorted(folder.glob("parsed-*.json"))
    assert len(kept) == MAX_COURSES
    newest = ParseCache(tmp_path / f"course-{MAX_COURSES + 4}", folder=folder).file
    oldest = ParseCache(tmp_path / "course-0", folder=folder).file
    assert newest in kept and oldest not in kept
