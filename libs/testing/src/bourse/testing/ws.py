"""Reading a WebSocket in tests: its next JSON message, or the proof that none comes."""

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection


async def receive(socket: ClientConnection, timeout: float = 10.0) -> Any:
    """The next message, decoded (TimeoutError after ``timeout`` seconds)."""
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


async def nothing_more(socket: ClientConnection, wait: float = 0.3) -> None:
    """No message arrives within ``wait`` seconds."""
    try:
        message = await asyncio.wait_for(socket.recv(), wait)
    except TimeoutError:
        return
    raise AssertionError(f"no message expected, got {message!r}")
