"""numpy's BLAS on one thread in every grading process.

Grading runs processes side by side: the command, its workers, the sandbox's zygote
and its children. A BLAS thread pool in each would only spin on the cores that the
others need, so each uses one thread unless the user asked for more. The variables
take effect only when they are set before numpy is imported.
"""

from __future__ import annotations

from collections.abc import MutableMapping

__all__ = ["ONE_THREAD", "use_one_thread"]

ONE_THREAD = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}


def use_one_thread(environ: MutableMapping[str, str]) -> None:
    """Set each variable of :data:`ONE_THREAD` in *environ* that is not set yet."""
    for variable, value in ONE_THREAD.items():
        environ.setdefault(variable, value)
