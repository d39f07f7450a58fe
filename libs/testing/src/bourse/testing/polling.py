"""Waiting for what happens in the background (a consumer, a relay, a scheduler)."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T | None]], timeout: float = 10.0, interval: float = 0.05
) -> T:
    """Poll the async ``check`` until it returns a truthy value; return that value
    (a check answers None, or something falsy, while it waits)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {value!r})")
        await asyncio.sleep(interval)
