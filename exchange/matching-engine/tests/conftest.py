"""Shared fixtures: every contract test runs against the reference model and the engine."""

from __future__ import annotations

import pytest

import model


def load_runner(name: str) -> model.Runner:
    """The model, or the engine (imported lazily: a broken engine fails only its own tests)."""
    if name == "model":
        return model.run_commands
    from bourse.matching.replay import run_commands  # noqa: PLC0415

    return run_commands


# Session scope keeps the fixtures usable from hypothesis tests (no per-example reset needed:
# runners are plain functions that build a fresh book on every call).
@pytest.fixture(scope="session", params=["model", "engine"])
def runner(request: pytest.FixtureRequest) -> model.Runner:
    name: str = request.param
    return load_runner(name)


@pytest.fixture(scope="session")
def engine_runner() -> model.Runner:
    return load_runner("engine")
