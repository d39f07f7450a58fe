"""``/ws/notifications?token=<access_token>``: each new notification, as it is stored.

Protocol (server -> client, JSON text frames):

* ``{"type":"ready","unread_count":N}`` once the socket is subscribed;
* ``{"type":"notification","notification":{"id","type","title","body","data",
  "created_at","read_at"}}`` for each new notification (the list item's shape).

A missing, invalid or expired token closes the socket with code 4401; a client that
cannot keep up is closed with 1013 (reconnect and resync with the list API). Messages
from the client are ignored.

Delivery is at least once: a notification stored while the socket was opening can be
both counted in ``ready`` and pushed, and one stored while this instance's LISTEN
connection was down is pushed by a catch-up when it comes back. Clients dedupe by id."""

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from bourse.auth.verify import InvalidTokenError, TokenVerifier
from bourse.notifications import handlers
from bourse.notifications.live.hub import Hub, Subscriber

router = APIRouter()
UNAUTHORIZED = 4401
TRY_AGAIN_LATER = 1013


@router.websocket("/ws/notifications")
async def notifications_feed(websocket: WebSocket, token: str = "") -> None:
    await websocket.accept()
    verifier: TokenVerifier = websocket.app.state.verifier
    try:
        user = await verifier.verify(token)
    except InvalidTokenError:
        await websocket.close(UNAUTHORIZED, "invalid access token")
        return
    hub: Hub = websocket.app.state.hub
    with hub.subscribe(user.user_id) as subscriber:
        count = await handlers.unread_count(websocket.app.state.runtime.db, user.user_id)
        await websocket.send_json({"type": "ready", "unread_count": count})
        await _serve(websocket, subscriber, user.seconds_left())


async def _serve(websocket: WebSocket, subscriber: Subscriber, token_left: float) -> None:
    """Push until the client leaves, or close it when it has fallen too far behind or its
    access token has expired (4401: reconnect with a fresh token)."""
    pushing = asyncio.create_task(_push(websocket, subscriber))
    listening = asyncio.create_task(_listen(websocket))
    expiring = asyncio.create_task(asyncio.sleep(token_left))
    tasks = {pushing, listening, expiring}
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task
    if expiring in done:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(UNAUTHORIZED, "access token expired")
    elif listening not in done and subscriber.overflowed:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(TRY_AGAIN_LATER, "too slow: resync with the list API")


async def _push(websocket: WebSocket, subscriber: Subscriber) -> None:
    """Send until the overflow marker (None)."""
    while (message := await subscriber.outbox.get()) is not None:
        await websocket.send_json(message)


async def _listen(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, until it disconnects."""
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass
