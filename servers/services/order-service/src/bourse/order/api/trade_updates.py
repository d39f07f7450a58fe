"""``/ws/trade-updates?token=<access_token>[&since=<seq>]`` (API.md, Orders): every change
of the caller's orders, as Alpaca's trade_updates.

Protocol (server -> client, JSON text frames): ``{"type":"trade_update","event",
"order":{order object},"price"?,"qty"?,"timestamp","seq"}``, ``seq`` 1, 2, 3 ... per user
without gaps. With ``since``, every retained update after it (7 days at least; older ones
are pruned) comes first, in order, then the live ones: a client that reconnects with the
last seq it saw misses nothing and sees nothing twice. Without ``since``, only updates
stored after the socket opened.

Authenticated as every feed is (bourse.auth.websocket): ``?token=``, or an API key in
the handshake's headers or in a first ``auth`` message. Closes: 4401 missing or invalid
credentials, an expired token or a revoked key; 4400 ``since`` is not a
whole number >= 0; 4422 ``since`` is beyond the caller's last seq (the reason names it);
1013 the client fell too far behind, or the service could not read its updates
(reconnect with ``?since=``). Messages from the client (but that auth one) are ignored."""

import contextlib
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from bourse.auth.websocket import (
    accept_authenticated,
    push_until_disconnect,
    serve_until_token_expires,
)
from bourse.common.db import Database
from bourse.order.handlers import trade_updates as handlers
from bourse.order.live.trade_updates import Subscriber, TradeUpdatesHub

log = logging.getLogger(__name__)
router = APIRouter()
INVALID_SINCE = 4400
SINCE_BEYOND_LAST = 4422
TRY_AGAIN_LATER = 1013
REPLAY_PAGE = 500


@router.websocket("/ws/trade-updates")
async def trade_updates_feed(
    websocket: WebSocket, token: str | None = None, since: str | None = None
) -> None:
    user = await accept_authenticated(websocket, token)
    if user is None:
        return
    try:
        start = parse_since(since)
    except ValueError as exc:
        await websocket.close(INVALID_SINCE, str(exc))
        return
    hub: TradeUpdatesHub = websocket.app.state.trade_updates
    db: Database = websocket.app.state.runtime.db
    with hub.subscribe(user.user_id) as subscriber:  # before reading: nothing slips by
        last = await handlers.last_seq(db, user.user_id)
        if start is not None and start > last:
            await websocket.close(SINCE_BEYOND_LAST, f"since is beyond your last seq ({last})")
            return
        subscriber.sent = last if start is None else start
        serving = _serve(websocket, db, hub, subscriber)
        await serve_until_token_expires(websocket, user, serving)


def parse_since(since: str | None) -> int | None:
    """The seq to replay after (None: without one); ValueError when it is not a seq."""
    if since is None:
        return None
    if not (since.isascii() and since.isdigit() and len(since) <= 18):
        raise ValueError("since must be a whole number >= 0 (a seq)")
    return int(since)


async def _serve(
    websocket: WebSocket, db: Database, hub: TradeUpdatesHub, subscriber: Subscriber
) -> None:
    """Replay, then push live, until the client leaves or falls too far behind."""
    pushing = await push_until_disconnect(
        websocket, _replay_then_push(websocket, db, hub, subscriber)
    )
    if pushing is None:
        return
    failed = pushing.done() and not pushing.cancelled() and pushing.exception() is not None
    if failed:  # say, the database did not answer: the client reconnects with ?since=
        log.error("trade updates: a socket's feed failed", exc_info=pushing.exception())
    if failed or subscriber.overflowed:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(TRY_AGAIN_LATER, "reconnect with ?since=")


async def _replay_then_push(
    websocket: WebSocket, db: Database, hub: TradeUpdatesHub, subscriber: Subscriber
) -> None:
    while True:  # the replay, a page at a time, sent at the client's pace
        stored = await handlers.page(db, subscriber.user_id, subscriber.sent, REPLAY_PAGE)
        for update in stored:
            await websocket.send_text(update.message)
            subscriber.sent = update.seq
        if len(stored) < REPLAY_PAGE:
            break
    hub.go_live(subscriber)
    while (message := await subscriber.outbox.get()) is not None:
        await websocket.send_text(message)
