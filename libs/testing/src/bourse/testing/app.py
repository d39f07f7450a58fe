"""An ASGI app under test: in-process (no server, no port) or under uvicorn on a free
local port (for WebSockets and for clients outside the process, such as nginx)."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn


@contextlib.asynccontextmanager
async def running_app(app: Any) -> AsyncIterator[Any]:
    """The app with its lifespan running, behind an in-process httpx client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@contextlib.asynccontextmanager
async def served(app: Any, **options: Any) -> AsyncIterator[int]:
    """``app`` under uvicorn on 127.0.0.1 and a free port, which it yields; ``options``
    are uvicorn.Config's (``lifespan="off"``, ``ws=...``)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, **options))
    task = asyncio.create_task(server.serve(sockets=[sock]), name="uvicorn")
    try:
        while not server.started:
            if task.done():
                await task  # raises what made start-up fail
                raise RuntimeError("the server stopped during start-up")
            await asyncio.sleep(0.01)
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        sock.close()
