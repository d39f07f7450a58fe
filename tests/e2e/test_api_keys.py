"""API keys through nginx on the real stack (API.md, Identity): a key created with a token
works on REST (trader-service, order-service) and on the WebSocket feeds (portfolio,
notifications, trade updates), by headers or by a first ``auth`` message; a ``read`` key
cannot place nor cancel (403 ``insufficient_scope``); revoking it refuses REST and closes
its open sockets within 10 s; and its secret is in no log of the instance, nor in clear in
the user database."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bourse.testing.api import Json, Trader, eventually, fresh_symbol, signup

pytestmark = pytest.mark.e2e
REVOKED_WITHIN = 10.0


async def create_key(trader: Trader, scopes: list[str]) -> Json:
    response = await trader.post("/api/v1/api-keys", {"name": "e2e bot", "scopes": scopes})
    assert response.status_code == 201, response.text
    key: Json = response.json()
    return key


def key_headers(key: Json) -> dict[str, str]:
    return {"X-Bourse-Key-Id": key["key_id"], "X-Bourse-Key-Secret": key["secret"]}


@asynccontextmanager
async def key_feed(
    stack: str, path: str, key: Json, *, first_message: bool
) -> AsyncIterator[ClientConnection]:
    """A socket on ``path`` authenticated by ``key``: its headers on the handshake, or a
    first ``auth`` message (no token, no headers)."""
    url = stack.replace("http://", "ws://", 1) + path
    headers = None if first_message else key_headers(key)
    async with connect(url, open_timeout=10, proxy=None, additional_headers=headers) as socket:
        if first_message:
            auth = {"action": "auth", "key_id": key["key_id"], "secret": key["secret"]}
            await socket.send(json.dumps(auth))
        yield socket


async def next_message(socket: ClientConnection, timeout: float = 10) -> Json:
    message: Json = json.loads(await asyncio.wait_for(socket.recv(), timeout))
    return message


async def until(socket: ClientConnection, match: Any, timeout: float = 15) -> Json:
    deadline = time.monotonic() + timeout
    while True:
        message = await next_message(socket, max(deadline - time.monotonic(), 0.01))
        if match(message):
            return message


async def closed_code(socket: ClientConnection, timeout: float) -> int | None:
    """Wait for the server to close ``socket`` (ignoring what it sends before)."""
    deadline = time.monotonic() + timeout
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(socket.recv(), max(deadline - time.monotonic(), 0.01))
    return socket.close_code


async def deposit_until_pushed(owner: Trader, inbox: ClientConnection) -> Json:
    """The notifications feed says nothing once authenticated: a deposit made before the
    server has subscribed the socket is not pushed to it. Deposit again until one is."""
    for _ in range(5):
        await owner.deposit("25.00")
        try:
            return await until(inbox, is_deposit, timeout=3)
        except TimeoutError:
            continue
    raise AssertionError("no account.deposit notification reached the socket")


def is_deposit(message: Json) -> bool:
    notification = message.get("notification") or {}
    return bool(notification.get("type") == "account.deposit")


@pytest.fixture(scope="module")
async def symbol(api: httpx.AsyncClient) -> str:
    return await fresh_symbol(api)


async def test_a_key_works_on_rest_and_a_trade_key_places_an_order(
    api: httpx.AsyncClient, symbol: str
) -> None:
    owner = await signup(api)
    await owner.deposit("1000.00")
    key = await create_key(owner, ["read", "trade"])
    assert set(key) == {"id", "key_id", "secret", "name", "scopes", "created_at"}
    listed = (await owner.get("/api/v1/api-keys")).json()
    assert [k["key_id"] for k in listed["items"]] == [key["key_id"]]
    assert "secret" not in listed["items"][0]

    headers = key_headers(key)
    account = await api.get("/api/v1/account", headers=headers)
    assert account.status_code == 200 and account.json()["user_id"] == owner.user_id
    order = {"symbol": symbol, "side": "buy", "type": "limit", "qty": "1", "limit_price": "1.00"}
    placed = await api.post(
        "/api/v1/orders", json={**order, "time_in_force": "gtc"}, headers=headers
    )
    assert placed.status_code == 202, placed.text
    orders = await api.get("/api/v1/orders", params={"status": "all"}, headers=headers)
    assert orders.status_code == 200
    assert [o["id"] for o in orders.json()["items"]] == [placed.json()["id"]]
    assert (await owner.order_status(placed.json()["id"]))["symbol"] == symbol

    managing = await api.post(
        "/api/v1/api-keys", json={"name": "x", "scopes": ["read"]}, headers=headers
    )
    assert managing.status_code == 403 and managing.json()["code"] == "insufficient_scope"


async def test_a_read_key_cannot_place_nor_cancel(api: httpx.AsyncClient) -> None:
    owner = await signup(api)
    headers = key_headers(await create_key(owner, ["read"]))
    assert (await api.get("/api/v1/orders", headers=headers)).status_code == 200
    body = {"symbol": "AAPL", "side": "buy", "type": "market", "qty": "1", "time_in_force": "day"}
    refused = [
        await api.post("/api/v1/orders", json=body, headers=headers),
        await api.delete("/api/v1/orders", headers=headers),
        await api.delete("/api/v1/orders/00000000-0000-0000-0000-000000000001", headers=headers),
    ]
    for answer in refused:
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "insufficient_scope"


@pytest.mark.parametrize("first_message", [False, True], ids=["headers", "first-message"])
async def test_a_key_opens_both_feeds(
    stack: str, api: httpx.AsyncClient, first_message: bool
) -> None:
    owner = await signup(api)
    key = await create_key(owner, ["read"])
    async with (
        key_feed(stack, "/ws/portfolio", key, first_message=first_message) as portfolio,
        key_feed(stack, "/ws/notifications", key, first_message=first_message) as inbox,
    ):
        assert (await next_message(portfolio))["type"] == "snapshot"
        pushed = await deposit_until_pushed(owner, inbox)
        assert pushed["type"] == "notification"
        await until(portfolio, lambda m: m.get("cash") not in (None, "0", "0.00"))


@pytest.mark.parametrize("first_message", [False, True], ids=["headers", "first-message"])
async def test_a_trade_key_streams_its_orders_on_trade_updates(
    stack: str, api: httpx.AsyncClient, symbol: str, first_message: bool
) -> None:
    owner = await signup(api)
    await owner.deposit("100.00")
    key = await create_key(owner, ["read", "trade"])
    order = {"symbol": symbol, "side": "buy", "type": "limit", "qty": "1", "limit_price": "1.00"}
    body = {**order, "time_in_force": "gtc"}
    placed = await api.post("/api/v1/orders", json=body, headers=key_headers(key))
    assert placed.status_code == 202, placed.text
    # since=0: every update of the owner, whenever the socket is subscribed
    path = "/ws/trade-updates?since=0"
    async with key_feed(stack, path, key, first_message=first_message) as socket:
        first = await next_message(socket, timeout=20)
    assert (first["type"], first["event"], first["seq"]) == ("trade_update", "pending_new", 1)
    assert first["order"]["id"] == placed.json()["id"]


async def test_a_bad_key_closes_the_socket_with_4401(stack: str, api: httpx.AsyncClient) -> None:
    key = {**await create_key(await signup(api), ["read"]), "secret": "not-the-secret"}
    for first_message in (False, True):
        async with key_feed(stack, "/ws/portfolio", key, first_message=first_message) as socket:
            assert await closed_code(socket, timeout=10) == 4401


async def test_revoking_a_key_stops_it_everywhere_within_10_s(
    stack: str, api: httpx.AsyncClient
) -> None:
    owner = await signup(api)
    key = await create_key(owner, ["read", "trade"])
    headers = key_headers(key)
    async with (
        key_feed(stack, "/ws/portfolio", key, first_message=False) as portfolio,
        key_feed(stack, "/ws/notifications", key, first_message=True) as inbox,
    ):
        assert (await next_message(portfolio))["type"] == "snapshot"
        for path in ("/api/v1/account", "/api/v1/orders"):  # both services cache it now
            assert (await api.get(path, headers=headers)).status_code == 200
        revoked = await owner.delete(f"/api/v1/api-keys/{key['id']}")
        assert revoked.status_code == 204
        started = time.monotonic()

        async def refused_everywhere() -> bool:
            answers = [
                await api.get(p, headers=headers) for p in ("/api/v1/account", "/api/v1/orders")
            ]
            return all(a.status_code == 401 for a in answers)

        await eventually(refused_everywhere, timeout=REVOKED_WITHIN, interval=0.25)
        assert time.monotonic() - started < REVOKED_WITHIN
        for socket in (portfolio, inbox):
            left = REVOKED_WITHIN - (time.monotonic() - started)
            assert await closed_code(socket, timeout=max(left, 0.1)) == 4401
            assert socket.close_reason == "API key revoked"
    listed = (await owner.get("/api/v1/api-keys")).json()["items"]
    assert key["key_id"] not in [k["key_id"] for k in listed]


def log_files(var: Path) -> list[Path]:
    """Every log of the instance: the services' (var/e2e/log), nginx's access and error
    logs (var/e2e/nginx/logs), supervisord's."""
    return [p for p in var.rglob("*") if p.is_file() and ".log" in p.name]


async def test_the_secret_is_in_no_log_and_not_in_clear_in_the_database(
    stack: str, api: httpx.AsyncClient, tools: ModuleType
) -> None:
    owner = await signup(api)
    key = await create_key(owner, ["read"])
    headers = key_headers(key)
    assert (await api.get("/api/v1/account", headers=headers)).status_code == 200
    async with key_feed(stack, "/ws/portfolio", key, first_message=True) as socket:
        await next_message(socket)
    wrong = {**headers, "X-Bourse-Key-Secret": key["secret"][::-1]}
    assert (await api.get("/api/v1/orders", headers=wrong)).status_code == 401
    await asyncio.sleep(1.0)  # let the services and nginx write their logs

    logs = log_files(tools.VAR)
    assert any(p.name == "access.log" for p in logs), logs
    assert any(p.parent == tools.LOG_DIR for p in logs), logs
    for secret in (key["secret"], key["secret"][::-1]):
        leaked = [p for p in logs if secret.encode() in p.read_bytes()]
        assert leaked == [], f"the secret is in {leaked}"

    database = tools.BY_NAME["user"].database
    conn = await asyncpg.connect(tools.database_url(database).replace("+asyncpg", ""))
    try:
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for table in [row["tablename"] for row in tables]:
            found = await conn.fetchval(
                f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE $1',
                f"%{key['secret']}%",
            )
            assert found == 0, f"the secret is in clear in {table}"
        stored = await conn.fetchval(
            "SELECT secret_hash FROM api_keys WHERE key_id = $1", key["key_id"]
        )
        assert stored is not None and len(stored) == 32
    finally:
        await conn.close()
