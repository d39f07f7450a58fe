"""/ws/market's writers under a real uvicorn: the frames a client reads are exactly the
messages, in order, whichever writer the connection got, and it gets the one-write path
under the uvicorn this repository locks (so an upgrade that loses it fails here)."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import uvicorn
import websockets
from fastapi import FastAPI, WebSocket

from bourse.stock.live.writer import AsgiWriter, TransportWriter, text_frame, writer_for

# sizes on both sides of each of RFC 6455's three length encodings, and text beyond ASCII
MESSAGES = [
    json.dumps({"type": "trade", "symbol": "ACME", "price": "101.25", "size": size, "pad": pad})
    for size, pad in [(1, ""), (2, "é€"), (3, "x" * 90), (4, "y" * 200), (5, "z" * 70_000)]
]


def app_sending(messages: list[str], writers: list[type]) -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws")
    async def feed(websocket: WebSocket) -> None:
        await websocket.accept()
        writer = writer_for(websocket)
        writers.append(type(writer))
        if writer.ready():  # the fast path takes frames at once, from any code
            writer.write_now(messages[:2])
        else:
            await writer.write(messages[:2])
        await writer.write(messages[2:])
        await websocket.receive_text()  # the client's goodbye
        await websocket.close()

    return app


@asynccontextmanager
async def serving(app: FastAPI, *, deflate: bool) -> AsyncIterator[int]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, ws_per_message_deflate=deflate
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await task


@pytest.mark.parametrize(
    ("deflate", "expected"),
    [(False, TransportWriter), (True, AsgiWriter)],
    ids=["plain", "deflate"],
)
async def test_the_client_reads_every_message_in_order(deflate: bool, expected: type) -> None:
    writers: list[type] = []
    async with (
        serving(app_sending(MESSAGES, writers), deflate=deflate) as port,
        websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as client,
    ):
        received = [await client.recv() for _ in MESSAGES]
        await client.send("bye")
    assert received == MESSAGES
    assert writers == [expected]


async def test_a_closed_connection_refuses_more_frames() -> None:
    outcome: list[BaseException] = []
    app = FastAPI()

    @app.websocket("/ws")
    async def feed(websocket: WebSocket) -> None:
        await websocket.accept()
        writer = writer_for(websocket)
        await websocket.receive_text()
        await websocket.close()
        assert not writer.ready()
        try:
            await writer.write(["too late"])
        except Exception as exc:
            outcome.append(exc)

    async with serving(app, deflate=False) as port:
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as client:
            await client.send("bye")
            with pytest.raises(websockets.ConnectionClosed):
                await client.recv()
        await asyncio.sleep(0.1)
    assert [type(exc).__name__ for exc in outcome] == ["WebSocketDisconnect"]


def test_a_frame_is_encoded_once_for_every_subscriber() -> None:
    assert text_frame(MESSAGES[0]) is text_frame(MESSAGES[0])
    assert text_frame("hi") == b"\x81\x02hi"
