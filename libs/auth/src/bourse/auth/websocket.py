"""WebSockets authenticated by an access token (``?token=``), for every live feed.

The token is checked after the handshake, so that a bad one can be answered with close
code 4401: a refusal during the handshake reaches browsers only as a bare 403. A socket
lives no longer than its token: when the token expires, the feed is stopped and the
socket closed with 4401, and the client reconnects with a fresh token.
"""

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from bourse.auth.principal import Principal
from bourse.auth.verify import InvalidTokenError, TokenVerifier

UNAUTHORIZED = 4401


async def accept_authenticated(websocket: WebSocket, token: str | None) -> Principal | None:
    """Accept the socket and verify ``token`` with the app's verifier
    (``app.state.verifier``); a missing or bad token closes it with 4401 (None)."""
    await websocket.accept()
    verifier: TokenVerifier = websocket.app.state.verifier
    try:
        if token:
            return await verifier.verify(token)
    except InvalidTokenError:
        pass
    await websocket.close(UNAUTHORIZED, "missing or invalid access token")
    return None


async def serve_until_token_expires(
    websocket: WebSocket, principal: Principal, serving: Coroutine[Any, Any, None]
) -> bool:
    """Run ``serving`` until it ends, or until the token expires: then it is cancelled and
    the socket closed with 4401. True when the token expired. Errors of ``serving``
    propagate."""
    feed = asyncio.create_task(serving)
    expiry = asyncio.create_task(asyncio.sleep(principal.seconds_left()))
    try:
        done, _ = await asyncio.wait({feed, expiry}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        expiry.cancel()
    if feed in done:
        feed.result()
        return False
    feed.cancel()
    await asyncio.gather(feed, return_exceptions=True)
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):  # the client may be gone
        await websocket.close(UNAUTHORIZED, "access token expired")
    return True


async def read_until_disconnect(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends until it goes away: a feed's clients have
    nothing to say, and reading is how their leaving is noticed."""
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass
