"""The benchmark's lean WebSocket client against a real server (the websockets library's):
every text message whole and in order, whatever its length encoding or fragmentation;
pings answered; a close from the server ends it."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from websockets.asyncio.server import ServerConnection, serve

from bourse.bench.ws_client import connect

MESSAGES = ["x", "é" * 100, "y" * 200, "z" * 70_000]


@asynccontextmanager
async def server(handler: object) -> AsyncIterator[str]:
    async with serve(handler, "127.0.0.1", 0, compression=None) as running:  # type: ignore[arg-type]
        port = next(iter(running.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/feed"


async def test_messages_arrive_whole_and_in_order_and_pings_are_answered() -> None:
    heard: list[str] = []
    answered: list[bool] = []

    async def handler(connection: ServerConnection) -> None:
        heard.append(await connection.recv())  # type: ignore[arg-type]
        for message in MESSAGES:
            await connection.send(message)
        await connection.send(iter(["frag", "ment", "ed"]))  # one message in three frames
        pong = await connection.ping()
        answered.append(await asyncio.wait_for(pong, 5) is not None)
        await connection.close()

    received: list[bytes] = []
    async with server(handler) as url:
        socket = await connect(url, received.append)
        socket.send_text("hello")
        await asyncio.wait_for(socket.closed, 5)

    assert heard == ["hello"]
    assert [r.decode() for r in received] == [*MESSAGES, "fragmented"]
    assert answered == [True]
