"""WebSockets authenticated by an API key on a real server: by the two headers on the
handshake, or by a first ``auth`` message; bad or late credentials close with 4401; a
key-authenticated socket outlives any token and closes with 4401 once the key is revoked."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import APIRouter, WebSocket
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bourse.auth import websocket as ws_auth
from bourse.auth.api_keys import KeyOutcome, KeyVerifier, invalid_api_key, key_principal
from bourse.common.app import create_app
from bourse.testing.app import served
from bourse.testing.auth import TestIssuer

USER = uuid.uuid4()
KEY_ID, SECRET = "bk_feed", "feed-secret-0123456789"


class Keys:
    def __init__(self) -> None:
        self.revoked = False

    async def lookup(self, key_id: str, secret: str, client: str | None) -> KeyOutcome:
        if self.revoked or (key_id, secret) != (KEY_ID, SECRET):
            return invalid_api_key()
        return key_principal(USER, [], ["read"], key_id)


@pytest.fixture
async def server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[str, Keys]]:
    monkeypatch.setattr(ws_auth, "AUTH_TIMEOUT", 1.0)
    monkeypatch.setattr(ws_auth, "RECHECK_SECONDS", 0.2)
    keys = Keys()
    router = APIRouter()

    @router.websocket("/ws/feed")
    async def feed(websocket: WebSocket, token: str | None = None) -> None:
        principal = await ws_auth.accept_authenticated(websocket, token)
        if principal is None:
            return

        async def serve() -> None:
            await websocket.send_json({"user": str(principal.user_id), "key": principal.key_id})
            await ws_auth.read_until_disconnect(websocket)

        await ws_auth.serve_until_token_expires(websocket, principal, serve())

    app = create_app("test", routers=[router])
    verifier = TestIssuer().verifier()
    verifier.api_keys = KeyVerifier(keys.lookup, ttl=0.5)
    app.state.verifier = verifier
    async with served(app, lifespan="off") as port:
        yield f"ws://127.0.0.1:{port}/ws/feed", keys


async def receive(socket: ClientConnection, timeout: float = 5.0) -> Any:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


async def closed_with(socket: ClientConnection, timeout: float = 5.0) -> int | None:
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(socket.recv(), timeout)
    return socket.close_code


HEADERS = {"X-Bourse-Key-Id": KEY_ID, "X-Bourse-Key-Secret": SECRET}
FIRST = {"action": "auth", "key_id": KEY_ID, "secret": SECRET}


@contextlib.asynccontextmanager
async def opened(url: str, first: Any = None, **kwargs: Any) -> AsyncIterator[ClientConnection]:
    async with connect(url, proxy=None, **kwargs) as socket:
        if first is not None:
            await socket.send(first if isinstance(first, str) else json.dumps(first))
        yield socket


@pytest.mark.parametrize("how", ["headers", "first message"])
async def test_a_key_authenticates_the_socket(server: tuple[str, Keys], how: str) -> None:
    url, _ = server
    kwargs: dict[str, Any] = {"additional_headers": HEADERS} if how == "headers" else {}
    async with opened(url, FIRST if how == "first message" else None, **kwargs) as socket:
        assert await receive(socket) == {"user": str(USER), "key": KEY_ID}


@pytest.mark.parametrize(
    "first",
    [
        {**FIRST, "secret": "wrong"},
        {"action": "subscribe", "key_id": KEY_ID, "secret": SECRET},
        {"action": "auth", "key_id": KEY_ID},
        "not json",
    ],
)
async def test_a_bad_first_message_closes_with_4401(server: tuple[str, Keys], first: Any) -> None:
    url, _ = server
    async with opened(url, first) as socket:
        assert await closed_with(socket) == 4401


async def test_silence_closes_with_4401_after_the_auth_timeout(server: tuple[str, Keys]) -> None:
    url, _ = server
    async with opened(url) as socket:
        assert await closed_with(socket, timeout=3) == 4401


async def test_wrong_key_headers_close_with_4401(server: tuple[str, Keys]) -> None:
    url, _ = server
    headers = {**HEADERS, "X-Bourse-Key-Secret": "wrong"}
    async with opened(url, additional_headers=headers) as socket:
        assert await closed_with(socket) == 4401


async def test_a_revoked_key_closes_the_open_socket(server: tuple[str, Keys]) -> None:
    url, keys = server
    async with opened(url, FIRST) as socket:
        await receive(socket)
        await asyncio.sleep(1.0)  # several re-checks: still open
        keys.revoked = True
        assert await closed_with(socket, timeout=3) == 4401
        assert socket.close_reason == "API key revoked"
