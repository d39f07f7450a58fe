"""``/ws/notifications?token=<access_token>``: each new notification, as it is stored.

Protocol (server -> client, JSON text frames):

* ``{"type":"ready","unread_count":N}`` once the socket is subscribed;
* ``{"type":"notification","notification":{"id","type","title","body","data",
  "created_at","read_at"}}`` for each new notification (the list item's shape).

Authenticated as every feed is (bourse.auth.websocket): a missing, invalid or expired
token closes the socket with code 4401, at the start or when it expires; a client that
cannot keep up is closed with 1013 (reconnect and resync with the list API). Messages
from the client are ignored.

Delivery is at least once: a notification stored while the socket was opening can be
both counted in ``ready`` and pushed, and one stored while this instance's LISTEN
connection was down is pushed by a catch-up when it comes back. Clients dedupe by id."""

import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from bourse.auth.websocket import (
    accept_authenticated,
    push_until_disconnect,
    serve_until_token_expires,
)
from bourse.notifications.handlers import http
from bourse.notifications.live.hub import Hub, Subscriber

router = APIRouter()
TRY_AGAIN_LATER = 1013


@router.websocket("/ws/notifications")
async def notifications_feed(websocket: WebSocket, token: str | None = None) -> None:
    user = await accept_authenticated(websocket, token)
    if user is None:
        return
    hub: Hub = websocket.app.state.hub
    with hub.subscribe(user.user_id) as subscriber:
        count = await http.unread_count(websocket.app.state.runtime.db, user.user_id)
        await websocket.send_json({"type": "ready", "unread_count": count})
        await serve_until_token_expires(websocket, user, _serve(websocket, subscriber))


async def _serve(websocket: WebSocket, subscriber: Subscriber) -> None:
    """Push until the client leaves, or close it when it has fallen too far behind."""
    pushed = await push_until_disconnect(websocket, _push(websocket, subscriber))
    if pushed is not None and subscriber.overflowed:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(TRY_AGAIN_LATER, "too slow: resync with the list API")


async def _push(websocket: WebSocket, subscriber: Subscriber) -> None:
    """Send until the overflow marker (None)."""
    while (message := await subscriber.outbox.get()) is not None:
        await websocket.send_json(message)
