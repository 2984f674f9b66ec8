"""The experiment behind centering: gradient descent on one neuron, raw versus centred.

One linear neuron f(x) = w1 x1 + w2 x2 + b is fitted to targets y by plain
full-batch gradient descent on the squared loss

    L(w, b) = 1/(2N) * sum_n (f(x_n) - y_n)^2,
    dL/dw = X^T r / N,   dL/db = mean(r),   with residuals r = f(X) - y.

The problem (:func:`make_problem`). Both features are drawn uniformly from
[1, 5]: all positive, around +3. The targets are exactly linear,
y = w1* x1 + w2* x2 + b*, with w1* in [1, 1.5], w2* in [-0.6, -0.3] (the best
weights lie in the (+,-) quadrant) and b* in [1, 2]. A test set of the same
kind but shifted by +5 (features in [6, 10]) is drawn as well: it plays no
part in training, but it is what a wrong `center` would take its mean from.

Why the raw run zig-zags. For one example, dL/dw_i = r_n x_ni, and with every
x_ni > 0 both weight gradients carry the sign of r_n: the example pushes the
weights towards (+,+) or towards (-,-), never along (+,-). Summed over the
batch, the gradient is dominated by mean(r) * mean(x), which points along
+-(1, 1). In terms of curvature: the Hessian E[(x, 1)(x, 1)^T] has one large
eigenvalue (about 20, along the mean) and one tiny one (about 0.07, a trade
between the bias and the weights). A step size that is stable along the large
direction crawls along the tiny one, and near the stability limit the large
component changes sign at every step: consecutive weight updates jump
between the (+,+) and the (-,-) quadrant while the weights drift slowly
towards (+,-).

Why centring helps. With x - mean(x_train) the Hessian becomes block
diagonal: the feature covariance (eigenvalues about 1.3) and 1 for the bias.
Every direction is about equally curved, so the same step size makes steady
progress in all of them, with no sign changes.

The step size (:func:`stable_learning_rate`) is fixed for the whole run and
is the same for both runs: 90 % of the largest stable step on the raw inputs,
1.8 / lambda_max. That is the best a fixed step can do for the raw inputs, so
the comparison favours them.

A run (:func:`train_neuron`) starts from w = 0, b = 0 and stops when the loss
is at most :data:`LOSS_TARGET`, after :data:`MAX_STEPS` steps, or when the loss
stops being finite (divergence). It counts the quadrant flips: the steps whose
weight update (dw1, dw2) lies in a different quadrant (sign pattern) from the
update before it.
"""

from dataclasses import dataclass

import numpy as np

__all__ = [
    "LOSS_TARGET",
    "MAX_STEPS",
    "PATH_POINTS",
    "Problem",
    "Run",
    "make_problem",
    "quadrant_flips",
    "stable_learning_rate",
    "thin_path",
    "train_neuron",
]

LOSS_TARGET = 1e-4
MAX_STEPS = 3000
PATH_POINTS = 200
TEST_SHIFT = 5.0


@dataclass(frozen=True)
class Problem:
    """Training inputs (N, 2), targets (N,), a shifted test set (K, 2), the best weights."""

    x_train: np.ndarray
    y: np.ndarray
    x_test: np.ndarray
    w_best: np.ndarray
    b_best: float


@dataclass(frozen=True)
class Run:
    """One gradient-descent run.

    ``steps`` is the number of updates made: until the loss reached the target,
    or MAX_STEPS, or fewer if the loss stopped being finite first. ``path`` holds
    [w1, w2] at the steps listed in ``path_steps``: every step of a short run; for
    a long one the first PATH_POINTS / 2 steps, where the zig-zag is, then evenly
    spaced steps up to the last.
    """

    steps: int
    reached: bool
    diverged: bool
    flips: int
    path: list[list[float]]
    path_steps: list[int]


def make_problem(rng: np.random.Generator, n: int = 60, k: int = 40) -> Problem:
    """All-positive features around +3 and targets whose best weights lie in (+,-)."""
    x_train = rng.uniform(1.0, 5.0, size=(n, 2))
    w_best = np.array([rng.uniform(1.0, 1.5), -rng.uniform(0.3, 0.6)])
    b_best = float(rng.uniform(1.0, 2.0))
    x_test = rng.uniform(1.0, 5.0, size=(k, 2)) + TEST_SHIFT
    return Problem(x_train, x_train @ w_best + b_best, x_test, w_best, b_best)


def stable_learning_rate(x: np.ndarray) -> float:
    """90 % of the largest stable step for the squared loss of a neuron with bias on *x*."""
    z = np.column_stack([x, np.ones(len(x))])
    lambda_max = float(np.linalg.eigvalsh(z.T @ z / len(x))[-1])
    return 1.8 / lambda_max


def train_neuron(
    x: np.ndarray,
    y: np.ndarray,
    lr: float,
    *,
    loss_target: float = LOSS_TARGET,
    max_steps: int = MAX_STEPS,
) -> Run:
    """Full-batch gradient descent from w = 0, b = 0 until the loss reaches *loss_target*.

    With theta = (w, b), Z = [x, 1], A = Z^T Z / N and c = Z^T y / N, one step is
    theta <- theta - lr * (A theta - c): linear in theta. In the eigenbasis of A
    (eigenvalues lam_i, u = V^T theta, d = V^T c) each coordinate moves on its own,

        u_t - u*_i = (1 - lr * lam_i)^t * (u_0 - u*_i),   u*_i = d_i / lam_i,

    and coordinates with lam_i = 0 never move (d_i = 0 there: Z v_i = 0). So every
    step's weights, update and loss are computed at once rather than step by step.
    """
    n, features = x.shape
    z = np.column_stack([x, np.ones(n)]).astype(np.float64)
    hessian = z.T @ z / n
    lam, basis = np.linalg.eigh(hessian)
    d = basis.T @ (z.T @ y / n)
    moving = lam > max(float(lam[-1]), 0.0) * 1e-12
    target = np.where(moving, d / np.where(moving, lam, 1.0), 0.0)
    start = np.where(moving, -target, 0.0)  # u_0 - u*, with u_0 = 0
    steps = np.arange(max_steps + 1)
    with np.errstate(all="ignore"):
        decay = np.power(1.0 - lr * lam[None, :], steps[:, None]) * start
        floor = 0.5 * (float(y @ y) / n - float(np.sum(np.where(moving, d * target, 0.0))))
        losses = max(floor, 0.0) + 0.5 * (decay**2 @ lam)
        stop = ~np.isfinite(losses) | (losses <= loss_target)
        last = int(np.argmax(stop)) if stop.any() else max_steps
        reached = bool(losses[last] <= loss_target)
        diverged = not bool(np.isfinite(losses[last]))
        theta = (np.where(moving, target, 0.0) + decay[: last + 1]) @ basis.T
        updates = -lr * (decay[:last] * lam) @ basis.T
    path, path_steps = thin_path(theta[:, :features], PATH_POINTS)
    return Run(
        steps=last,
        reached=reached,
        diverged=diverged,
        flips=quadrant_flips(updates[:, :features]),
        path=path,
        path_steps=path_steps,
    )


def quadrant_flips(updates: np.ndarray) -> int:
    """How often an update's sign pattern differs from the previous update's (rows of *updates*)."""
    signs = np.sign(updates)
    return int(np.sum(np.any(signs[1:] != signs[:-1], axis=1)))


def thin_path(weights: np.ndarray, limit: int) -> tuple[list[list[float]], list[int]]:
    """At most *limit* finite rows of *weights* and their steps: the first half, then spaced out."""
    finite = int(np.sum(np.all(np.isfinite(weights), axis=1)))
    if finite <= limit:
        kept = np.arange(finite)
    else:
        head = limit // 2
        spaced = np.linspace(head, finite - 1, limit - head).round().astype(int)
        kept = np.unique(np.concatenate([np.arange(head), spaced]))
    return [[float(v) for v in weights[i]] for i in kept], [int(i) for i in kept]
