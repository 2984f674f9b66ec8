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


def test_importing_the_package_loads_neither_pytest_nor_pydantic():
    code = "import sys, grader; print(sorted({'pytest', 'pydantic', 'yaml'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        grader.no_such_name  # noqa: B018
