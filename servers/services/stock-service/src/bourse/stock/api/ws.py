"""WebSocket ``/ws/market`` (API.md, Market data): public, no token.

The client subscribes and unsubscribes (live/protocol.py); every answer and every event
goes through the connection's bounded queue, in order. A client that lets its queue
overflow is closed with 4408; one that goes away is dropped from every subscription.
"""

import asyncio
import contextlib
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from bourse.stock.config import Settings
from bourse.stock.live import frames
from bourse.stock.live.connection import MarketConnection
from bourse.stock.live.hub import MarketHub
from bourse.stock.live.protocol import ProtocolError, over_limit, parse
from bourse.stock.live.writer import writer_for

router = APIRouter()
log = logging.getLogger(__name__)
TOO_SLOW = 4408
# The close frame waits behind what the socket still buffers (uvicorn sends nothing while
# the transport is paused); a client that reads nothing for this long is left to the
# transport's own end (keepalive pings, the edge's send timeout).
CLOSE_TIMEOUT = 60.0


@router.websocket("/ws/market")
async def market_feed(websocket: WebSocket) -> None:
    await websocket.accept()
    settings: Settings = websocket.app.state.settings
    hub: MarketHub = websocket.app.state.market_hub
    connection = MarketConnection(writer_for(websocket), settings.market_ws_queue_size, hub.flusher)
    hub.joined()
    tasks = {
        asyncio.create_task(connection.run()),
        asyncio.create_task(_read(websocket, hub, connection, settings)),
        asyncio.create_task(connection.overflow.wait()),
    }
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.leave(connection)
        connection.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if connection.overflow.is_set():
        await _close_too_slow(websocket)


async def _read(
    websocket: WebSocket, hub: MarketHub, connection: MarketConnection, settings: Settings
) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            raw = text if text is not None else message.get("bytes") or b""
            await _handle(raw, hub, connection, settings.market_max_subscriptions)
            # let the writer run: receive() does not wait while requests are queued, and a
            # client's burst of requests must not fill its queue before anything is sent
            await asyncio.sleep(0)


async def _handle(
    raw: str | bytes, hub: MarketHub, connection: MarketConnection, limit: int
) -> None:
    try:
        request = parse(raw)
        if request.action == "unsubscribe":
            hub.unsubscribe(connection, request.channels)
            return
        if over_limit(connection.subscribed, request, limit):  # first: it needs no lookup
            raise ProtocolError(
                "too_many_subscriptions", f"at most {limit} symbol-channel pairs per connection"
            )
        unknown = await hub.unknown(request.symbols)
        if unknown:
            raise ProtocolError("unknown_symbol", f"no instrument: {', '.join(sorted(unknown))}")
        hub.subscribe(connection, request.channels)
    except ProtocolError as exc:
        connection.push(frames.error(exc.code, exc.detail))


async def _close_too_slow(websocket: WebSocket) -> None:
    """Close with 4408, once the socket takes the close frame (bounded wait)."""
    log.info("a /ws/market client fell behind: closed (4408)")
    with contextlib.suppress(Exception):
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await websocket.close(TOO_SLOW, "too slow: the send queue overflowed")
