"""A TA adds a tanh exercise from YAML, proves its graders, releases it and grades with it.

The same steps are the walk-through in docs/authoring.md.
"""

from __future__ import annotations

from pathlib import Path

from authoring_helpers import copy_course, edit

from grader import grade_submission, load_course
from grader.cli import main

SOLUTION = '''"""tanh, the zero-centred relative of the sigmoid.

tanh(x) = 2 sigma(2x) - 1 squashes any real number into (-1, 1) and, unlike the
sigmoid, is zero-centred. Its derivative is tanh'(x) = 1 - tanh(x)^2: at most 1,
at x = 0, and nearly 0 once |x| is large (the unit saturates).
"""

import numpy as np


def tanh(x):
    """Elementwise tanh.

    Args:
        x: ndarray of any shape, float64.

    Returns:
        ndarray of the same shape as x, values in [-1, 1].
    """
    ### BEGIN SOLUTION
    return np.tanh(np.asarray(x, dtype=np.float64))
    ### END SOLUTION


def tanh_backward(dout, x):
    """Backward pass: dL/dx = dout * (1 - tanh(x)^2).

    Args:
        dout: ndarray, same shape as x: the upstream gradient.
        x: ndarray of any shape: the forward input (not its output).

    Returns:
        ndarray of the same shape as x.
    """
    ### BEGIN SOLUTION
    t = np.tanh(np.asarray(x, dtype=np.float64))
    return dout * (1.0 - t * t)
    ### END SOLUTION
'''

EXERCISE = """title: tanh, the zero-centred sigmoid
module: tanh.py
summary: >
  Implement tanh and its backward pass, and see that it saturates like the sigmoid.
functions:
  - name: tanh
    signature: tanh(x)
    summary: elementwise tanh
  - name: tanh_backward
    signature: tanh_backward(dout, x)
    summary: dL/dx from the upstream gradient and the forward input
checks:
  - name: output_range
    points: 2
    public: true
    title: tanh stays in [-1, 1], keeps the shape and leaves x alone
    kind: property
    function: tanh
    inputs:
      x: {shape: [4, 5], std: 3.0, include: [-1000.0, 1000.0]}
    expect:
      - {predicate: range, min: -1, max: 1}
      - {predicate: shape, like: x}
      - {predicate: no_mutation}
  - name: backward_gradcheck
    points: 3
    public: true
    title: tanh_backward agrees with central differences
    kind: gradcheck
    forward: tanh
    backward: tanh_backward
    elementwise: true
    inputs:
      x: {shape: [4, 5], std: 2.0}
  - name: forward_matches_reference
    points: 1
    kind: matches_reference
    function: tanh
    inputs:
      x: {shape: [60], std: 4.0, include: [0.0]}
  - name: backward_matches_reference
    points: 2
    kind: matches_reference
    function: tanh_backward
    inputs:
      dout: {like: x}
      x: {shape: [5, 6], std: 3.0}
    cases: 2
  - name: saturation
    points: 1
    kind: property
    function: tanh_backward
    inputs:
      dout: {like: x, dist: constant, fill: 1.0}
      x: {shape: [30], dist: uniform, low: 12.0, high: 50.0, symmetric: true}
    expect:
      - {predicate: saturation, level: 0.0, atol: 1.0e-9}
  - name: finite_on_random_inputs
    points: 1
    title: a hand-written hidden check (solutions/tanh/test_tanh_hidden.py)
mistakes:
  - id: derivative_from_input
    hint: >
      Your gradient looks like dout * (1 - x^2): tanh'(x) = 1 - tanh(x)^2 needs
      tanh's output, not its input x.
    code: |
      def tanh_backward(dout, x):
          return dout * (1.0 - x * x)
"""

CORRECT = """import math

import numpy as np


def tanh(x):
    return np.vectorize(math.tanh)(x).astype(float)


def tanh_backward(dout, x):
    return dout / np.cosh(x) ** 2
"""

BUGGY = """import numpy as np


def tanh(x):
    return np.tanh(x)


def tanh_backward(dout, x):
    return dout * (1 - x**2)
"""


def test_a_ta_adds_validates_releases_and_grades_a_tanh_exercise(tmp_path: Path, capsys):
    root = copy_course(tmp_path / "course")
    course = ["--course", str(root)]

    # 1. scaffold
    assert main([*course, "new", "tanh", "--function", "tanh", "--function", "tanh_backward"]) == 0
    for made in (
        "exercises/tanh/exercise.yml",
        "solutions/tanh/tanh.py",
        "solutions/tanh/test_tanh_hidden.py",
        "exercises/tanh/tanh.py",
    ):
        assert (root / made).is_file(), made
    assert "- id: tanh" in (root / "course.yml").read_text()
    # the scaffold's solution is not written yet: validate says so and fails
    assert main([*course, "validate", "tanh"]) == 1
    assert "the solution loses check" in " ".join(capsys.readouterr().out.split())

    # 2. write the solution and the exercise; hidden hand-written check stays as scaffolded
    (root / "solutions/tanh/tanh.py").write_text(SOLUTION)
    (root / "exercises/tanh/exercise.yml").write_text(EXERCISE)
    text = (root / "course.yml").read_text()
    entry = text[text.index("- id: tanh") :]
    edit(root / "course.yml", entry, entry.replace("points: 4", "points: 10", 1))

    # 3. build the stub, prove the graders, release
    assert main([*course, "build"]) == 0
    stub = (root / "exercises/tanh/tanh.py").read_text()
    assert "np.tanh(np.asarray" not in stub and "raise NotImplementedError" in stub
    capsys.readouterr()
    assert main([*course, "validate", "tanh"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "mistake: derivative_from_input" in out and "FAILED" not in out
    assert main([*course, "release", str(tmp_path / "out")]) == 0

    student_copy = (tmp_path / "out/student/exercises/tanh/exercise.yml").read_text()
    assert "output_range" in student_copy and "saturation" not in student_copy
    assert "derivative_from_input" not in student_copy

    # 4. grade a correct and a buggy submission with the autograder bundle
    autograder = load_course(tmp_path / "out/autograder")
    for name, source in (("correct", CORRECT), ("buggy", BUGGY)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "tanh.py").write_text(source)
    good = grade_submission(autograder, tmp_path / "correct", student="ada", exercises=["tanh"])
    assert good.points == good.max_points == 10
    bad = grade_submission(autograder, tmp_path / "buggy", student="bob", exercises=["tanh"])
    checks = {c.name: c for c in bad.exercises[0].checks}
    assert checks["output_range"].passed and checks["forward_matches_reference"].passed
    assert checks["backward_gradcheck"].points == 0
    assert "derivative_from_input" in checks["backward_gradcheck"].mistakes
    assert "needs tanh's output" in checks["backward_gradcheck"].hint
    assert bad.points == 10 - 3 - 2 - 1
