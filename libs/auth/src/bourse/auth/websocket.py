"""WebSockets authenticated by an access token (``?token=``) or an API key, for every
live feed.

A key comes either as the two headers (``X-Bourse-Key-Id``, ``X-Bourse-Key-Secret``) on
the handshake or, when the handshake carries neither a token nor the headers (browsers
cannot set headers), as the first message ``{"action":"auth","key_id","secret"}``, sent
within :data:`AUTH_TIMEOUT` seconds.

Credentials are checked after the handshake, so that bad ones can be answered with close
code 4401: a refusal during the handshake reaches browsers only as a bare 403. A socket
lives no longer than its token: when the token expires, the feed is stopped and the
socket closed with 4401, and the client reconnects with a fresh token. A socket
authenticated by a key has no expiry; it is re-checked every :data:`RECHECK_SECONDS`
through the cached key verifier and closed with 4401 once the key is revoked (within
the cache's 5 s plus this interval: under 10 s).
"""

import asyncio
import contextlib
import json
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from bourse.auth.api_keys import (
    KEY_ID_HEADER,
    KEY_SECRET_HEADER,
    KeyRefusal,
    KeyVerifier,
)
from bourse.auth.principal import Principal
from bourse.auth.verify import InvalidTokenError, TokenVerifier
from bourse.common.errors import Problem

UNAUTHORIZED = 4401
AUTH_TIMEOUT = 5.0  # for the first-message auth
RECHECK_SECONDS = 2.0
_KEY_SCOPE = "bourse.api_key"  # where the socket keeps its key for the re-checks


@dataclass(frozen=True)
class _Key:
    key_id: str
    secret: str
    client: str | None


class _RefusedError(Exception):
    pass


async def accept_authenticated(websocket: WebSocket, token: str | None) -> Principal | None:
    """Accept the socket and authenticate it with the app's verifier
    (``app.state.verifier``): by ``token``, else by the API key headers, else by a first
    message. Missing or bad credentials close it with 4401 (None)."""
    await websocket.accept()
    verifier: TokenVerifier = websocket.app.state.verifier
    try:
        return await _authenticate(websocket, verifier, token)
    except WebSocketDisconnect:
        return None  # the client left before authenticating
    except (InvalidTokenError, _RefusedError, Problem) as exc:
        reason = exc.detail if isinstance(exc, Problem) else "missing or invalid credentials"
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(UNAUTHORIZED, reason[:120])
        return None


async def _authenticate(
    websocket: WebSocket, verifier: TokenVerifier, token: str | None
) -> Principal:
    if token is not None:
        return await verifier.verify(token)
    key = _key_in_headers(websocket) or await _key_in_first_message(websocket)
    if verifier.api_keys is None:
        raise _RefusedError
    principal = await verifier.api_keys.verify(key.key_id, key.secret, key.client)
    websocket.scope[_KEY_SCOPE] = key
    return principal


def _client(websocket: WebSocket) -> str | None:
    return websocket.client.host if websocket.client else None


def _key_in_headers(websocket: WebSocket) -> _Key | None:
    key_id = websocket.headers.get(KEY_ID_HEADER)
    secret = websocket.headers.get(KEY_SECRET_HEADER)
    if key_id is None and secret is None:
        return None
    if not key_id or not secret:
        raise _RefusedError
    return _Key(key_id, secret, _client(websocket))


async def _key_in_first_message(websocket: WebSocket) -> _Key:
    try:
        async with asyncio.timeout(AUTH_TIMEOUT):
            message = await websocket.receive()
    except TimeoutError as exc:
        raise _RefusedError from exc
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    try:
        body = json.loads(message.get("text") or message.get("bytes") or b"")
    except ValueError as exc:
        raise _RefusedError from exc
    if not isinstance(body, dict) or body.get("action") != "auth":
        raise _RefusedError
    key_id, secret = body.get("key_id"), body.get("secret")
    if not isinstance(key_id, str) or not isinstance(secret, str):
        raise _RefusedError
    return _Key(key_id, secret, _client(websocket))


async def serve_until_token_expires(
    websocket: WebSocket, principal: Principal, serving: Coroutine[Any, Any, None]
) -> bool:
    """Run ``serving`` until it ends, or until the credentials lapse (the token expires,
    the API key is revoked): then it is cancelled and the socket closed with 4401. True
    when they lapsed. Errors of ``serving`` propagate."""
    feed = asyncio.create_task(serving)
    key: _Key | None = websocket.scope.get(_KEY_SCOPE) if principal.via_key else None
    verifier: TokenVerifier = websocket.app.state.verifier
    if key is not None and verifier.api_keys is not None:
        lapse = asyncio.create_task(_until_revoked(verifier.api_keys, key))
        reason = "API key revoked"
    else:
        lapse = asyncio.create_task(asyncio.sleep(principal.seconds_left()))
        reason = "access token expired"
    try:
        done, _ = await asyncio.wait({feed, lapse}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        lapse.cancel()
    if feed in done:
        feed.result()
        return False
    feed.cancel()
    await asyncio.gather(feed, return_exceptions=True)
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):  # the client may be gone
        await websocket.close(UNAUTHORIZED, reason)
    return True


async def _until_revoked(keys: KeyVerifier, key: _Key) -> None:
    """Return once user-service refuses the key. A throttled check (429) or an
    unreachable user-service says nothing about the key: the socket stays."""
    while True:
        await asyncio.sleep(RECHECK_SECONDS)
        with contextlib.suppress(Problem):
            outcome = await keys.outcome(key.key_id, key.secret, key.client)
            if isinstance(outcome, KeyRefusal) and outcome.definitive:
                return


async def read_until_disconnect(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends until it goes away: a feed's clients have
    nothing to say, and reading is how their leaving is noticed."""
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass


async def push_until_disconnect(
    websocket: WebSocket, pushing: Coroutine[Any, Any, None]
) -> asyncio.Task[None] | None:
    """Run ``pushing`` (a feed's sender) while reading what the client sends, until either
    ends; both are cancelled then, and also when this is cancelled (at a token's expiry).
    None when the client left; otherwise the push task, done or cancelled, for the caller
    to look at (say, a subscriber that overflowed: close it)."""
    push = asyncio.create_task(pushing)
    listening = asyncio.create_task(read_until_disconnect(websocket))
    tasks = {push, listening}
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task
    return None if listening in done else push
