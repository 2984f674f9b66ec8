"""Stubs are generated from fenced solutions; bad fences name the file and line."""

from __future__ import annotations

import pytest

from grader import CourseError
from grader.stubs import stub_text

SOLUTION = '''def f(x):
    """Doc."""
    ### BEGIN SOLUTION
    y = x + 1
    return y
    ### END SOLUTION


def g():
    pass
'''


def test_regions_become_not_implemented_with_the_same_indent():
    stub = stub_text(SOLUTION, "sol.py")
    assert "y = x + 1" not in stub and "return y" not in stub
    assert '    # YOUR CODE HERE\n    raise NotImplementedError("fill in this part")\n' in stub
    assert '"""Doc."""' in stub and "def g():" in stub
    namespace: dict[str, object] = {}
    exec(compile(stub, "stub.py", "exec"), namespace)
    with pytest.raises(NotImplementedError):
        namespace["f"](1)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("### BEGIN SOLUTION\nx\n", "sol.py:1: '### BEGIN SOLUTION' is never closed"),
        ("x\n### END SOLUTION\n", "sol.py:2: '### END SOLUTION' without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n", "sol.py:2: '### BEGIN SOLUTION' inside"),
        ("def f():\n    pass\n", "has no '### BEGIN SOLUTION' region"),
    ],
)
def test_bad_fences(text, said):
    with pytest.raises(CourseError, match=said.replace("(", r"\(")):
        stub_text(text, "sol.py")
