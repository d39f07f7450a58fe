"""WebSocket ``/ws/portfolio?token=<access_token>`` (API.md, Portfolio).

Authenticated as every feed is (bourse.auth.websocket: 4401 for a bad token, and when it
expires). Then: one ``snapshot`` frame, and an ``update`` frame whenever the portfolio
changes.
"""

import asyncio
import contextlib
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from bourse.auth.principal import Principal
from bourse.auth.websocket import (
    accept_authenticated,
    read_until_disconnect,
    serve_until_token_expires,
)
from bourse.portfolio.config import Settings
from bourse.portfolio.live.connection import Connection
from bourse.portfolio.live.hub import Hub

router = APIRouter()
log = logging.getLogger(__name__)
INTERNAL_ERROR = 1011


@router.websocket("/ws/portfolio")
async def portfolio_feed(websocket: WebSocket, token: str | None = None) -> None:
    principal = await accept_authenticated(websocket, token)
    if principal is None:
        return
    settings: Settings = websocket.app.state.settings
    hub: Hub = websocket.app.state.hub
    connection = Connection(websocket.send_text, settings.ws_queue_size, settings.ws_send_timeout_s)
    reader = asyncio.create_task(_read_until_closed(websocket, connection))
    try:
        await _join(websocket, hub, principal, connection)
        await serve_until_token_expires(websocket, principal, connection.run())
    except TimeoutError:
        log.info("portfolio client of %s too slow: disconnected", principal.user_id)
    except WebSocketDisconnect:
        pass  # gone while a frame was being written
    finally:
        hub.leave(principal.user_id, connection)
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


async def _join(
    websocket: WebSocket, hub: Hub, principal: Principal, connection: Connection
) -> None:
    """Queue the snapshot; if it cannot be loaded, say so with 1011 (not a bare drop)."""
    try:
        await hub.join(principal.user_id, connection)
    except Exception:
        log.exception("could not load the portfolio of %s", principal.user_id)
        connection.close()
        with contextlib.suppress(Exception):  # the client may be gone already
            await websocket.close(code=INTERNAL_ERROR, reason="portfolio unavailable")


async def _read_until_closed(websocket: WebSocket, connection: Connection) -> None:
    try:
        await read_until_disconnect(websocket)
    finally:
        connection.close()
