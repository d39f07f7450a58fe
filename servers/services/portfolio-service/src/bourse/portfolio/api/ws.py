"""WebSocket ``/ws/portfolio?token=<access_token>`` (API.md, Portfolio).

The token is checked after the handshake so that a bad one can be answered with close
code 4401 (a refusal during the handshake reaches browsers only as a bare 403). Then:
one ``snapshot`` frame, and an ``update`` frame whenever the portfolio changes.
"""

import asyncio
import contextlib
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from bourse.auth.principal import Principal
from bourse.auth.verify import InvalidTokenError, TokenVerifier
from bourse.portfolio.config import Settings
from bourse.portfolio.live.connection import Connection
from bourse.portfolio.live.hub import Hub

router = APIRouter()
log = logging.getLogger(__name__)
UNAUTHORIZED = 4401
INTERNAL_ERROR = 1011


@router.websocket("/ws/portfolio")
async def portfolio_feed(websocket: WebSocket, token: str | None = None) -> None:
    await websocket.accept()
    principal = await _authenticate(websocket.app.state.verifier, token)
    if principal is None:
        await websocket.close(code=UNAUTHORIZED, reason="missing or invalid access token")
        return
    settings: Settings = websocket.app.state.settings
    hub: Hub = websocket.app.state.hub
    connection = Connection(websocket.send_text, settings.ws_queue_size, settings.ws_send_timeout_s)
    reader = asyncio.create_task(_read_until_closed(websocket, connection))
    try:
        await _join(websocket, hub, principal, connection)
        if await _serve_until_expiry(connection, principal):
            await websocket.close(code=UNAUTHORIZED, reason="access token expired")
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


async def _serve_until_expiry(connection: Connection, principal: Principal) -> bool:
    """Send frames until the connection ends; True when it ended because the access
    token expired (the client reconnects with a fresh one)."""
    sending = asyncio.create_task(connection.run())
    expiring = asyncio.create_task(asyncio.sleep(principal.seconds_left()))
    try:
        done, _ = await asyncio.wait({sending, expiring}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        expiring.cancel()
    if sending in done:
        sending.result()  # a slow client's TimeoutError goes up
        return False
    connection.close()
    await asyncio.gather(sending, return_exceptions=True)
    return True


async def _authenticate(verifier: TokenVerifier, token: str | None) -> Principal | None:
    if not token:
        return None
    try:
        return await verifier.verify(token)
    except InvalidTokenError:
        return None


async def _read_until_closed(websocket: WebSocket, connection: Connection) -> None:
    """Clients have nothing to say; reading is how their going away is noticed."""
    try:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    finally:
        connection.close()
