"""The package's public names: all reachable from ``grader``, loaded on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import grader


def test_every_public_name_resolves_from_the_package():
    for name in grader.__all__:
        value = getattr(grader, name)
        assert getattr(value, "__name__", name) == name
    assert set(grader.__all__) <= set(dir(grader))


def test_importing_the_package_loads_neither_pytest_nor_msgspec():
    code = "import sys, grader; print(sorted({'pytest', 'msgspec', 'yaml'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        grader.no_such_name  # noqa: B018


def test_the_version_results_record_is_the_installed_distribution_s():
    from importlib.metadata import version

    from grader.checking import grader_version

    assert grader_version() == grader.__version__ == version("grader")
