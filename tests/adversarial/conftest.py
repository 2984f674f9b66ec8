"""Every attack is graded twice: with a sandbox whose two sides sleep while they wait
for each other, and with one that spin-waits (as ``grader check`` does)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grader.sandbox import SPIN_SECONDS, Sandbox, SandboxConfig


@pytest.fixture(scope="session")
def spinning_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(spin=SPIN_SECONDS)) as sandbox:
        yield sandbox


@pytest.fixture(scope="session", params=["sleeping", "spinning"])
def sandbox(request: pytest.FixtureRequest, sandbox: Sandbox) -> Sandbox:
    if request.param == "sleeping":
        return sandbox
    spinning: Sandbox = request.getfixturevalue("spinning_sandbox")
    return spinning
