"""Price alerts: the API (create, list, read, delete; another user's alert is a 404; bad
input 422), and the prices that fire them, applied as the consumer applies PriceChanged:
above / below / crossings between two consecutive prices, one shot, expiry, the order an
alert places, and prices arriving out of order or twice."""

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from bourse.auto.handlers.alerts import expire_due
from bourse.common.db import Database
from bourse.contracts import Envelope

from auto_support import (
    T0,
    Headers,
    ManualClock,
    deliver,
    list_instruments,
    price,
    staged,
)

Json = dict[str, Any]
BASE = "/api/v1/auto/alerts"


def problem(response: httpx.Response, status: int, code: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert body["code"] == code
    return body


@pytest.fixture
def user() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def me(headers_for: Headers, user: uuid.UUID) -> dict[str, str]:
    return headers_for(user)


@pytest.fixture
async def symbol(db: Database) -> str:
    """A listed symbol of this test alone (with a dot: routing keys and bindings must
    cope)."""
    name = "Z" + uuid.uuid4().hex[:6].upper() + ".B"
    await list_instruments(db, name, name + "Q", name + "X")
    return name


async def alert(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> Json:
    payload = {"condition": "above", "price": "100", "action": "notify"} | body
    response = await client.post(BASE, json=payload, headers=headers)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


async def status_of(client: httpx.AsyncClient, headers: dict[str, str], item: Json) -> str:
    response = await client.get(f"{BASE}/{item['id']}", headers=headers)
    assert response.status_code == 200, response.text
    value: str = response.json()["status"]
    return value


async def prices(db: Database, symbol: str, *values: str, start: datetime = T0) -> None:
    for n, value in enumerate(values):
        assert await deliver(db, price(symbol, value, start + timedelta(seconds=n)))


async def triggered(db: Database, item: Json) -> list[Envelope]:
    events = await staged(db, f"alert.triggered.{item['symbol']}")
    return [e for e in events if e.payload["alert_id"] == item["id"]]


async def test_create_read_list_delete(
    client: httpx.AsyncClient, me: dict[str, str], symbol: str
) -> None:
    created = await alert(
        client, me, symbol=symbol.lower(), price=101.25, expires_at="2026-03-03T00:00:00Z"
    )
    assert created["symbol"] == symbol
    assert (created["condition"], created["price"], created["action"]) == (
        "above",
        "101.25",
        "notify",
    )
    assert (created["status"], created["order"], created["expires_at"]) == (
        "active",
        None,
        "2026-03-03T00:00:00Z",
    )
    assert created["triggered_at"] is None and created["client_order_id"] is None
    path = f"{BASE}/{created['id']}"
    assert (await client.get(path, headers=me)).json() == created
    second = await alert(client, me, symbol=symbol, condition="crosses_below")
    listed = (await client.get(BASE, params={"limit": 1}, headers=me)).json()
    assert [i["id"] for i in listed["items"]] == [second["id"]] and listed["next"]
    rest = (await client.get(BASE, params={"after": listed["next"]}, headers=me)).json()
    assert [i["id"] for i in rest["items"]] == [created["id"]]
    assert (await client.delete(path, headers=me)).status_code == 204
    problem(await client.get(path, headers=me), 404, "not_found")


async def test_another_users_alert_is_not_found(
    client: httpx.AsyncClient, me: dict[str, str], headers_for: Headers, symbol: str
) -> None:
    created = await alert(client, me, symbol=symbol)
    other = headers_for(uuid.uuid4())
    path = f"{BASE}/{created['id']}"
    problem(await client.get(path, headers=other), 404, "not_found")
    problem(await client.delete(path, headers=other), 404, "not_found")
    assert (await client.get(BASE, headers=other)).json() == {"items": [], "next": None}
    assert await status_of(client, me, created) == "active"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"price": "0"}, "invalid_price"),
        ({"price": "-1"}, "invalid_price"),
        ({"price": "1.123456789"}, "invalid_price"),
        ({"price": "cheap"}, "validation_error"),
        ({"condition": "equals"}, "validation_error"),
        ({"action": "sell"}, "validation_error"),
        ({"action": "order"}, "invalid_alert"),
        ({"order": {"side": "buy", "qty": "1"}}, "invalid_alert"),
        ({"action": "order", "order": {"side": "buy"}}, "invalid_order"),
        ({"action": "order", "order": {"side": "sell", "notional": "5"}}, "invalid_order"),
        ({"action": "order", "order": {"side": "buy", "qty": "0"}}, "invalid_qty"),
        (
            {"action": "order", "order": {"side": "buy", "qty": "1", "type": "limit"}},
            "invalid_order",
        ),
        ({"expires_at": "2026-03-01T00:00:00Z"}, "invalid_expiry"),
        ({"symbol": "not a symbol"}, "validation_error"),
        ({"extra": True}, "validation_error"),
    ],
)
async def test_bad_input_is_422(
    client: httpx.AsyncClient, me: dict[str, str], change: Json, code: str
) -> None:
    payload = {"symbol": "ACME", "condition": "above", "price": "100", "action": "notify"}
    problem(await client.post(BASE, json=payload | change, headers=me), 422, code)


@pytest.mark.parametrize(
    ("condition", "moves", "fires_at"),
    [
        ("above", ["99", "99.99", "100", "120"], 2),
        ("above", ["150"], 0),  # the very first price can fire a level condition
        ("below", ["101", "100.5", "100"], 2),
        ("crosses_above", ["101", "102"], None),  # never below the level: no crossing
        ("crosses_above", ["98", "99", "100.01", "97", "101"], 2),
        ("crosses_below", ["98", "97"], None),
        ("crosses_below", ["102", "101", "99.5", "103"], 2),
    ],
)
async def test_conditions_fire_once(
    client: httpx.AsyncClient,
    me: dict[str, str],
    db: Database,
    symbol: str,
    condition: str,
    moves: list[str],
    fires_at: int | None,
) -> None:
    item = await alert(client, me, symbol=symbol, condition=condition)
    for n, value in enumerate(moves):
        await prices(db, symbol, value, start=T0 + timedelta(seconds=n))
        expected = "triggered" if fires_at is not None and n >= fires_at else "active"
        assert await status_of(client, me, item) == expected, (n, value)
    events = await triggered(db, item)
    assert len(events) == (1 if fires_at is not None else 0)  # one shot
    if fires_at is not None:
        body = (await client.get(f"{BASE}/{item['id']}", headers=me)).json()
        assert body["triggered_price"] == moves[fires_at]
        assert events[0].payload["last_price"] == moves[fires_at]
        assert events[0].payload["price"] == "100"
        assert events[0].payload["condition"] == condition


async def test_a_crossing_compares_with_the_price_before_the_alert(
    client: httpx.AsyncClient, me: dict[str, str], db: Database, symbol: str
) -> None:
    await prices(db, symbol, "95")  # the last price, seen before the alert exists
    item = await alert(client, me, symbol=symbol, condition="crosses_above")
    await prices(db, symbol, "105", start=T0 + timedelta(seconds=5))
    assert await status_of(client, me, item) == "triggered"


async def test_an_alert_that_orders(
    client: httpx.AsyncClient, me: dict[str, str], user: uuid.UUID, db: Database, symbol: str
) -> None:
    order = {"side": "buy", "qty": "3", "type": "limit", "limit_price": "90.5"}
    item = await alert(
        client, me, symbol=symbol, condition="below", price="91", action="order", order=order
    )
    assert item["order"] == order | {"notional": None, "time_in_force": "day"}
    await prices(db, symbol, "92", "90")
    body = (await client.get(f"{BASE}/{item['id']}", headers=me)).json()
    cid = "alert-" + uuid.UUID(item["id"]).hex
    assert (body["status"], body["client_order_id"]) == ("triggered", cid)
    fired = await triggered(db, item)
    assert len(fired) == 1 and fired[0].payload["action"] == "order"
    assert fired[0].payload["client_order_id"] == cid
    requests = [
        e for e in await staged(db, "auto.order_requested") if e.payload["client_order_id"] == cid
    ]
    assert [r.payload for r in requests] == [
        {
            "user_id": str(user),
            "client_order_id": cid,
            "symbol": symbol,
            "side": "buy",
            "type": "limit",
            "time_in_force": "day",
            "qty": "3",
            "notional": None,
            "limit_price": "90.5",
        }
    ]


async def test_expiry(
    client: httpx.AsyncClient,
    me: dict[str, str],
    db: Database,
    symbol: str,
    clock: ManualClock,
) -> None:
    soon = (T0 + timedelta(minutes=10)).isoformat()
    tomorrow = (T0 + timedelta(days=1)).isoformat()
    by_price = await alert(client, me, symbol=symbol, expires_at=soon)
    quiet = symbol + "Q"  # no price comes for this one
    by_sweep = await alert(client, me, symbol=quiet, condition="below", price="50", expires_at=soon)
    later = await alert(client, me, symbol=quiet, price="200", expires_at=tomorrow)
    # A price after the expiry (by its own time) expires the alert instead of firing it.
    await prices(db, symbol, "150", start=T0 + timedelta(minutes=11))
    assert await status_of(client, me, by_price) == "expired"
    assert await triggered(db, by_price) == []
    # The scheduler's sweep expires the others once the clock passes their time.
    now = clock.advance(minutes=11)
    assert await db.run(lambda session: expire_due(session, now)) >= 1
    assert await status_of(client, me, by_sweep) == "expired"
    assert await status_of(client, me, later) == "active"
    await prices(db, quiet, "40", start=T0 + timedelta(minutes=12))
    assert await triggered(db, by_sweep) == []


async def test_prices_out_of_order_or_twice_change_nothing(
    client: httpx.AsyncClient, me: dict[str, str], db: Database, symbol: str
) -> None:
    item = await alert(client, me, symbol=symbol, condition="crosses_above")
    await prices(db, symbol, "99", start=T0 + timedelta(seconds=10))
    stale = price(symbol, "150", T0)  # older than the stored price: ignored
    assert await deliver(db, stale)
    assert await status_of(client, me, item) == "active"
    message_id = uuid.uuid4()
    crossing = price(symbol, "101", T0 + timedelta(seconds=20))
    assert await deliver(db, crossing, message_id)
    assert not await deliver(db, crossing, message_id)  # the inbox drops the redelivery
    assert len(await triggered(db, item)) == 1


async def test_a_deleted_alert_never_fires(
    client: httpx.AsyncClient, me: dict[str, str], db: Database, symbol: str
) -> None:
    item = await alert(client, me, symbol=symbol)
    assert (await client.delete(f"{BASE}/{item['id']}", headers=me)).status_code == 204
    await prices(db, symbol, "500")
    assert await triggered(db, item) == []


async def test_only_the_symbols_alerts_are_evaluated(
    client: httpx.AsyncClient, me: dict[str, str], db: Database, symbol: str
) -> None:
    mine = await alert(client, me, symbol=symbol)
    other = await alert(client, me, symbol=symbol + "X")
    await prices(db, symbol, "120")
    assert await status_of(client, me, mine) == "triggered"
    assert await status_of(client, me, other) == "active"
