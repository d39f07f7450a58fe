"""End-to-end fixtures: the whole stack (every service, the exchange shards, nginx) on real
PostgreSQL and RabbitMQ, reached through nginx.

The tests run their own instance of the stack (BOURSE_STACK=e2e, see bourse.stack): its
own ports, databases, RabbitMQ vhost and var/e2e, derived from this checkout's path, so a
developer's ``make up`` stack, or another checkout's tests, are never touched nor reused.
``stack`` stops an instance left running, starts from nothing (``stack.py reset``: the
databases and the vhost another checkout, or an older commit of this one, left behind may
carry another schema history), runs scripts/up.sh and scripts/down.sh at the end of the session;
BOURSE_E2E_KEEP_STACK=1 keeps it running, BOURSE_E2E_REUSE=1 uses it as it runs.
"""

import asyncio
import importlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
os.environ["BOURSE_STACK"] = "e2e"  # before bourse.stack is loaded; up.sh and down.sh inherit it
UP_TIMEOUT = float(os.environ.get("BOURSE_E2E_UP_TIMEOUT", "900"))
DOWN_TIMEOUT = 180.0


def _load_stack() -> ModuleType:
    """bourse.stack as the e2e instance: the service table and the readiness probes.
    BOURSE_STACK is read once, at import: a test module collected earlier may have imported
    it as make up's instance (dev), whose stack these tests must never touch; then it is
    imported afresh (the modules that hold the old copy only use its table)."""
    stack = importlib.import_module("bourse.stack")
    if stack.INSTANCE.name.startswith("e2e"):
        return stack
    for name in [m for m in sys.modules if m == "bourse.stack" or m.startswith("bourse.stack.")]:
        del sys.modules[name]
    stack = importlib.import_module("bourse.stack")
    assert stack.INSTANCE.name.startswith("e2e"), stack.INSTANCE
    return stack


stack_tools = _load_stack()
GATEWAY: str = stack_tools.GATEWAY


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: end-to-end through nginx against the whole local stack (make up)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything else first, then the e2e tests: smoke first (is the stack sane at all?),
    fault tests last (they kill and restart services: whatever runs after them meets
    services still restarting)."""

    here = Path(__file__).parent

    def rank(item: pytest.Item) -> int:
        if not item.path.is_relative_to(here):
            return 0
        if item.get_closest_marker("fault"):
            return 3
        return 1 if item.path.name == "test_stack_smoke.py" else 2

    items.sort(key=rank)  # stable: the order within each group stays


def _tail(text: str, lines: int = 80) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _down() -> None:
    subprocess.run([str(ROOT / "scripts" / "down.sh")], cwd=ROOT, timeout=DOWN_TIMEOUT, check=False)


def _reset() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/stack.py", "reset"], cwd=ROOT, capture_output=True, text=True,
        timeout=DOWN_TIMEOUT, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"stack.py reset failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")


@pytest.fixture(scope="session")
def stack() -> Iterator[str]:
    """The gateway's base URL with every service ready."""
    if os.environ.get("BOURSE_E2E_REUSE") == "1" and stack_tools.check():
        yield GATEWAY
        return
    teardown = os.environ.get("BOURSE_E2E_KEEP_STACK") != "1"
    _down()
    _reset()
    try:
        try:
            up = subprocess.run(
                [str(ROOT / "scripts" / "up.sh")],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=UP_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            output = (exc.stdout or b"") + (exc.stderr or b"")
            text = output.decode(errors="replace") if isinstance(output, bytes) else output
            pytest.fail(f"scripts/up.sh did not finish in {UP_TIMEOUT:.0f}s:\n{_tail(text)}")
        if up.returncode != 0:
            pytest.fail(
                f"scripts/up.sh failed (exit {up.returncode}):\n{_tail(up.stdout + up.stderr)}"
            )
        yield GATEWAY
    finally:
        if teardown:
            _down()


@pytest.fixture(scope="session")
def tools() -> ModuleType:
    """bourse.stack (SERVICES, BY_NAME, supervisor(), ...)."""
    return stack_tools


@pytest.fixture(scope="session")
def services(stack: str) -> list[Any]:
    """Every ``Service`` row of bourse.stack's table: all must run."""
    return list(stack_tools.SERVICES)


@pytest.fixture(scope="session")
async def api(stack: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the gateway (nginx)."""
    async with httpx.AsyncClient(base_url=stack, timeout=15.0, trust_env=False) as client:
        yield client


@pytest.fixture(scope="session")
def wait_ready(stack: str) -> Callable[..., Awaitable[None]]:
    """``await wait_ready(timeout=120)``: until every program is running and ready again
    (after a test killed or restarted something)."""

    async def wait(timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while not await asyncio.to_thread(stack_tools.check):
            if time.monotonic() > deadline:
                states = stack_tools.process_states() or {}
                summary = ", ".join(f"{n} {i['statename']}" for n, i in sorted(states.items()))
                raise AssertionError(f"the stack is not ready after {timeout:.0f}s: {summary}")
            await asyncio.sleep(0.5)

    return wait
