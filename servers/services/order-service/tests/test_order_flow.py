"""The order saga through the real app, database and broker: placement -> risk request;
risk answers; exchange commands; execution reports -> statuses, fills and the events
other services settle from. Another user's order is a 404."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import aio_pika
import httpx
import pytest
from sqlalchemy import select

from bourse.auth.testing import TestIssuer
from bourse.common.testing import eventually
from bourse.contracts.events import (
    EngineEvent,
    ExecutionsReported,
    OrderRequested,
    RiskAccepted,
    RiskRejected,
)
from bourse.contracts.ids import uuid7
from bourse.contracts.topology import EXCHANGE, ORDERS
from bourse.messaging.broker import Broker
from bourse.messaging.wire import envelopes_of
from bourse.order.config import Settings
from bourse.order.session import SessionCloser

Json = dict[str, Any]


class Tap:
    """A test queue bound to an exchange: what the service published."""

    def __init__(self, queue: aio_pika.abc.AbstractQueue) -> None:
        self.queue = queue

    async def drain(self, wait: float = 0.3) -> list[Json]:
        await asyncio.sleep(wait)
        out = []
        while (message := await self.queue.get(no_ack=True, fail=False)) is not None:
            out += [
                {"routing_key": message.routing_key, **envelope.model_dump(mode="json")}
                for envelope in envelopes_of(message)
            ]
        return out


@pytest.fixture
async def taps(broker: Broker) -> AsyncIterator[dict[str, Tap]]:
    channel = await broker.channel()
    out = {}
    for name, exchange, key in (("commands", EXCHANGE, "command.#"), ("orders", ORDERS, "order.#")):
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, key)
        out[name] = Tap(queue)
    yield out
    await channel.close()


async def place(
    client: httpx.AsyncClient, issuer: TestIssuer, user: uuid.UUID, **body: Any
) -> httpx.Response:
    order = {
        "symbol": "AAPL",
        "side": "buy",
        "type": "limit",
        "time_in_force": "gtc",
        "qty": "10",
        "limit_price": "101.25",
        **body,
    }
    return await client.post("/api/v1/orders", json=order, headers=issuer.headers(user))


async def get(
    client: httpx.AsyncClient, issuer: TestIssuer, user: uuid.UUID, order_id: str
) -> Json:
    response = await client.get(f"/api/v1/orders/{order_id}", headers=issuer.headers(user))
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def engine_id(client: httpx.AsyncClient, order_id: str) -> int:
    from bourse.order.db import orders  # noqa: PLC0415

    async with client.app.state.runtime.db.transaction() as session:  # type: ignore[attr-defined]
        return int(
            await session.scalar(
                select(orders.c.engine_id).where(orders.c.id == uuid.UUID(order_id))
            )
        )


async def status_is(
    client: httpx.AsyncClient, issuer: TestIssuer, user: uuid.UUID, order_id: str, status: str
) -> bool:
    return bool((await get(client, issuer, user, order_id))["status"] == status)


async def report(broker: Broker, symbol: str, *events: EngineEvent, seq: int = 1) -> None:
    await broker.publish(
        ExecutionsReported(symbol=symbol, command_id=uuid7(), first_seq=seq, events=list(events))
    )


async def test_placing_an_order_requests_the_risk_check(
    app_client: httpx.AsyncClient, issuer: TestIssuer, taps: dict[str, Tap]
) -> None:
    user = uuid.uuid4()
    response = await place(app_client, issuer, user, client_order_id="first-order")
    assert response.status_code == 202, response.text
    order = response.json()
    assert order["status"] == "pending_new" and order["limit_price"] == "101.25"
    assert order["qty"] == "10" and order["filled_qty"] == "0"
    published = await _until(taps["orders"], 1)
    request = next(e for e in published if e["payload"].get("order_id") == order["id"])
    assert request["routing_key"] == "order.risk_requested"
    assert request["payload"] | {"order_id": None} == {
        "order_id": None,
        "user_id": str(user),
        "symbol": "AAPL",
        "side": "buy",
        "reserve_cash": "1012.5",
        "reserve_qty": "0",
    }


async def test_the_same_client_order_id_gives_one_order(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    user = uuid.uuid4()
    first = await place(app_client, issuer, user, client_order_id="dup-1")
    second = await place(app_client, issuer, user, client_order_id="dup-1", qty="99")
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["idempotent-replay"] == "true"
    other = await place(app_client, issuer, uuid.uuid4(), client_order_id="dup-1")
    assert other.json()["id"] != first.json()["id"]  # unique per user only
    by_cid = await app_client.get("/api/v1/orders/by-client-id/dup-1", headers=issuer.headers(user))
    assert by_cid.json()["id"] == first.json()["id"]


async def test_accepted_risk_sends_the_order_to_its_exchange_shard_then_it_rests_and_fills(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker, taps: dict[str, Tap]
) -> None:
    buyer, seller = uuid.uuid4(), uuid.uuid4()
    buy = (await place(app_client, issuer, buyer)).json()
    sell = (
        await place(app_client, issuer, seller, side="sell", qty="4", limit_price="101.00")
    ).json()
    for order, user in ((buy, buyer), (sell, seller)):
        await broker.publish(RiskAccepted(order_id=order["id"], user_id=user))
    commands = await _until(taps["commands"], 2)
    by_order = {c["payload"]["order_id"]: c for c in commands}
    new_buy = by_order[buy["id"]]
    assert new_buy["routing_key"] == "command.shard-0.AAPL"
    assert new_buy["payload"] | {"engine_id": 0} == new_buy["payload"] | {
        "engine_id": 0,
        "op": "new",
        "side": "buy",
        "order_type": "limit",
        "price": 10125,
        "qty": 10,
        "tif": "gtc",
        "owner": str(buyer),
    }
    buy_eid, sell_eid = (
        await engine_id(app_client, buy["id"]),
        await engine_id(app_client, sell["id"]),
    )

    await report(broker, "AAPL", EngineEvent(type="accepted", id=buy_eid), seq=1)
    assert await eventually(lambda: status_is(app_client, issuer, buyer, buy["id"], "new"))
    await report(
        broker,
        "AAPL",
        EngineEvent(type="accepted", id=sell_eid),
        EngineEvent(type="trade", taker=sell_eid, maker=buy_eid, price=10125, qty=4),
        seq=2,
    )
    assert await eventually(lambda: status_is(app_client, issuer, seller, sell["id"], "filled"))
    bought = await get(app_client, issuer, buyer, buy["id"])
    assert (bought["status"], bought["filled_qty"], bought["filled_avg_price"]) == (
        "partially_filled",
        "4",
        "101.25",
    )
    fills = (
        await app_client.get(f"/api/v1/orders/{buy['id']}/fills", headers=issuer.headers(buyer))
    ).json()["items"]
    assert [(f["qty"], f["price"], f["liquidity"]) for f in fills] == [("4", "101.25", "maker")]
    events = changes(await taps["orders"].drain())
    settled = [e for e in events if e["payload"]["fill"] is not None]
    assert {(e["routing_key"], e["payload"]["order"]["filled_qty"]) for e in settled} == {
        ("order.partially_filled", "4"),
        ("order.filled", "4"),
    }

    # A cancel: pending_cancel at once, a cancel command to the shard, canceled by the engine.
    response = await app_client.delete(f"/api/v1/orders/{buy['id']}", headers=issuer.headers(buyer))
    assert response.status_code == 202 and response.json()["status"] == "pending_cancel"
    cancel = (await _until(taps["commands"], 1))[0]["payload"]
    assert (cancel["op"], cancel["engine_id"]) == ("cancel", buy_eid)
    await report(
        broker, "AAPL", EngineEvent(type="canceled", id=buy_eid, reason="user", qty=6), seq=4
    )
    assert await eventually(lambda: status_is(app_client, issuer, buyer, buy["id"], "canceled"))
    final = await get(app_client, issuer, buyer, buy["id"])
    assert final["filled_qty"] == "4" and final["canceled_at"] is not None
    again = await app_client.delete(f"/api/v1/orders/{buy['id']}", headers=issuer.headers(buyer))
    assert again.status_code == 422 and again.json()["code"] == "order_not_open"


async def test_a_redelivered_report_changes_nothing(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker
) -> None:
    user = uuid.uuid4()
    order = (await place(app_client, issuer, user, qty="5")).json()
    await broker.publish(RiskAccepted(order_id=order["id"], user_id=user))
    eid = await engine_id(app_client, order["id"])
    other = (await place(app_client, issuer, uuid.uuid4(), side="sell", qty="2")).json()
    other_eid = await engine_id(app_client, other["id"])
    envelope_payload = ExecutionsReported(
        symbol="AAPL",
        command_id=uuid7(),
        first_seq=10,
        events=[EngineEvent(type="trade", taker=other_eid, maker=eid, price=10125, qty=2)],
    )
    from bourse.messaging.outbox import envelope_for  # noqa: PLC0415

    envelope = envelope_for(envelope_payload)
    for _ in range(3):
        await broker.publish(envelope_payload, envelope)
    assert await eventually(
        lambda: status_is(app_client, issuer, user, order["id"], "partially_filled")
    )
    await asyncio.sleep(0.3)
    assert (await get(app_client, issuer, user, order["id"]))["filled_qty"] == "2"


async def test_cancel_during_the_risk_check_never_reaches_the_exchange(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker, taps: dict[str, Tap]
) -> None:
    user = uuid.uuid4()
    order = (await place(app_client, issuer, user)).json()
    response = await app_client.delete(
        f"/api/v1/orders/{order['id']}", headers=issuer.headers(user)
    )
    assert response.json()["status"] == "pending_cancel"
    await broker.publish(RiskAccepted(order_id=order["id"], user_id=user))
    assert await eventually(lambda: status_is(app_client, issuer, user, order["id"], "canceled"))
    assert [
        c for c in await taps["commands"].drain() if c["payload"]["order_id"] == order["id"]
    ] == []
    mine = [
        e
        for e in await taps["orders"].drain()
        if (e["payload"].get("order") or {}).get("id") == order["id"]
    ]
    assert [(e["type"], e["routing_key"]) for e in mine] == [
        ("order.changed", "order.pending_new"),  # for /ws/trade-updates
        ("order.cancel_requested", "order.cancel_requested"),  # the same
        ("order.changed", "order.canceled"),  # trader releases on it
    ]
    accepted = mine[1]["payload"]["order"]
    assert (accepted["status"], accepted["created_at"]) == ("pending_cancel", order["created_at"])
    assert accepted["stop_price"] is None and accepted["canceled_at"] is None


async def test_rejected_risk_rejects_the_order(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker
) -> None:
    user = uuid.uuid4()
    order = (await place(app_client, issuer, user)).json()
    await broker.publish(
        RiskRejected(order_id=order["id"], user_id=user, reason="insufficient_buying_power")
    )
    assert await eventually(lambda: status_is(app_client, issuer, user, order["id"], "rejected"))
    assert (await get(app_client, issuer, user, order["id"]))[
        "reject_reason"
    ] == "insufficient_buying_power"


async def test_another_users_order_is_a_404_everywhere(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    order = (await place(app_client, issuer, owner, client_order_id="mine")).json()
    for method, path in (
        ("GET", f"/api/v1/orders/{order['id']}"),
        ("DELETE", f"/api/v1/orders/{order['id']}"),
        ("GET", f"/api/v1/orders/{order['id']}/fills"),
        ("GET", "/api/v1/orders/by-client-id/mine"),
    ):
        response = await app_client.request(method, path, headers=issuer.headers(stranger))
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found"
    listed = (
        await app_client.get("/api/v1/orders?status=all", headers=issuer.headers(stranger))
    ).json()
    assert listed["items"] == []
    cancelled = (await app_client.delete("/api/v1/orders", headers=issuer.headers(stranger))).json()
    assert cancelled["items"] == []
    assert (await get(app_client, issuer, owner, order["id"]))["status"] == "pending_new"


async def test_listing_filters_and_pages(app_client: httpx.AsyncClient, issuer: TestIssuer) -> None:
    user = uuid.uuid4()
    ids = [(await place(app_client, issuer, user, qty=str(q))).json()["id"] for q in (1, 2, 3)]
    page1 = (
        await app_client.get("/api/v1/orders?status=all&limit=2", headers=issuer.headers(user))
    ).json()
    assert [o["id"] for o in page1["items"]] == ids[::-1][:2]
    page2 = (
        await app_client.get(
            f"/api/v1/orders?status=all&limit=2&after={page1['next']}", headers=issuer.headers(user)
        )
    ).json()
    assert [o["id"] for o in page2["items"]] == [ids[0]] and page2["next"] is None
    closed = (
        await app_client.get("/api/v1/orders?status=closed", headers=issuer.headers(user))
    ).json()
    assert closed["items"] == []
    bad = await app_client.get("/api/v1/orders?after=%%%", headers=issuer.headers(user))
    assert bad.status_code == 422
    mine = await app_client.get(
        "/api/v1/orders?status=all&symbol=aapl", headers=issuer.headers(user)
    )
    assert [o["id"] for o in mine.json()["items"]] == ids[::-1]  # any case, like a body
    for symbol in ("A-B", "X" * 11, "\u0661"):
        response = await app_client.get(
            "/api/v1/orders", params={"symbol": symbol}, headers=issuer.headers(user)
        )
        assert (response.status_code, response.json()["code"]) == (422, "validation_error")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"symbol": "NOPE"}, "unknown_symbol"),
        ({"limit_price": "101.255"}, "invalid_tick_size"),
        ({"symbol": "MSFT", "qty": "15", "limit_price": "10.00"}, "invalid_lot_size"),
        (
            {"type": "market", "limit_price": None, "symbol": "MSFT", "qty": "10"},
            "no_reference_price",
        ),
        ({"qty": "NaN"}, "validation_error"),
        ({"side": "short"}, "validation_error"),
        ({"extra": True}, "validation_error"),
        ({"qty": None, "notional": "100"}, "invalid_order"),
        # Beyond what the type or the instrument can represent: never a 500.
        ({"qty": "1e400"}, "validation_error"),
        ({"qty": "1" * 40}, "validation_error"),
        ({"qty": 10**39}, "validation_error"),
        ({"qty": 1e300}, "validation_error"),
        ({"limit_price": "1e400"}, "validation_error"),
        ({"limit_price": 1e300}, "validation_error"),
        ({"limit_price": "9" * 40}, "validation_error"),
        ({"qty": "10000000000"}, "invalid_qty"),
        ({"limit_price": "99999999999999999999"}, "invalid_price"),
        ({"limit_price": 1e15}, "invalid_price"),
        ({"type": "stop", "limit_price": None, "stop_price": "1" * 20}, "invalid_price"),
        (
            {"type": "market", "limit_price": None, "qty": None, "notional": 1e19},
            "invalid_notional",
        ),
        # Not plain ASCII decimal notation (Decimal() would read every one of them).
        ({"qty": "1_000"}, "validation_error"),
        ({"limit_price": "1_01.25"}, "validation_error"),
        ({"qty": "\u0661\u0660"}, "validation_error"),  # Arabic-Indic 10
        ({"qty": "\uff11\uff10"}, "validation_error"),  # fullwidth 10
        ({"limit_price": "\u0661\u0660\u0661.25"}, "validation_error"),
        ({"qty": " 10"}, "validation_error"),
        ({"qty": "+10"}, "validation_error"),
        ({"qty": "10."}, "validation_error"),
        ({"qty": True}, "validation_error"),
        ({"symbol": "TOOLONGSYMB"}, "validation_error"),
        ({"symbol": "\uff21APL"}, "validation_error"),
    ],
)
async def test_bad_orders_are_422_problems(
    app_client: httpx.AsyncClient, issuer: TestIssuer, body: Json, code: str
) -> None:
    response = await place(app_client, issuer, uuid.uuid4(), **body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_json_numbers_are_read_exactly(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    """A JSON number is a decimal, never a float: 0.1 stays 0.1; an exponent is fine."""
    user = uuid.uuid4()
    content = '{"symbol":"aapl","side":"buy","type":"limit","time_in_force":"gtc",'
    content += '"qty":1e1,"limit_price":101.13}'
    headers = issuer.headers(user) | {"content-type": "application/json"}
    response = await app_client.post("/api/v1/orders", content=content, headers=headers)
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["symbol"], body["qty"], body["limit_price"]) == ("AAPL", "10", "101.13")


async def test_no_token_is_401(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/api/v1/orders")
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"


def changes(events: list[Json]) -> list[Json]:
    """Only the order.changed events (the orders exchange also carries risk requests)."""
    return [e for e in events if e["type"] == "order.changed"]


async def _until(tap: Tap, count: int, timeout: float = 10.0) -> list[Json]:
    got: list[Json] = []
    async with asyncio.timeout(timeout):
        while len(got) < count:
            got += await tap.drain(0.1)
    return got


async def test_an_idempotency_key_replays_the_first_answer(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    user = uuid.uuid4()
    headers = {**issuer.headers(user), "Idempotency-Key": "k-1"}
    body = {
        "symbol": "AAPL",
        "side": "buy",
        "type": "limit",
        "time_in_force": "gtc",
        "qty": "3",
        "limit_price": "99.00",
    }
    first = await app_client.post("/api/v1/orders", json=body, headers=headers)
    again = await app_client.post("/api/v1/orders", json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["idempotent-replay"] == "true"
    listed = (
        await app_client.get("/api/v1/orders?status=all", headers=issuer.headers(user))
    ).json()
    assert [o["id"] for o in listed["items"]] == [first.json()["id"]]

    other = await app_client.post("/api/v1/orders", json={**body, "qty": "4"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    stranger = {**issuer.headers(uuid.uuid4()), "Idempotency-Key": "k-1"}  # keys are per user
    assert (await app_client.post("/api/v1/orders", json=body, headers=stranger)).json()["id"] != (
        first.json()["id"]
    )


async def test_an_order_requested_by_auto_is_placed_once_through_the_normal_path(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker, taps: dict[str, Tap]
) -> None:
    user = uuid.uuid4()
    request = OrderRequested(
        user_id=user, client_order_id="auto-run-1", symbol="AAPL", side="buy", notional=Decimal(500)
    )
    await broker.publish(request)
    await broker.publish(request.model_copy())  # a retry: a new message, the same order

    async def placed() -> Json | None:
        response = await app_client.get(
            "/api/v1/orders/by-client-id/auto-run-1", headers=issuer.headers(user)
        )
        return response.json() if response.status_code == 200 else None

    order = await eventually(placed)
    assert (order["type"], order["notional"], order["status"]) == ("market", "500", "pending_new")
    published = await _until(taps["orders"], 1)
    risk = [e for e in published if e["payload"].get("user_id") == str(user)]
    assert [e["routing_key"] for e in risk] == ["order.risk_requested"]
    await asyncio.sleep(0.3)
    listed = await app_client.get("/api/v1/orders", headers=issuer.headers(user))
    assert [o["id"] for o in listed.json()["items"]] == [order["id"]]


async def test_an_invalid_order_requested_by_auto_is_recorded_as_rejected(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker, taps: dict[str, Tap]
) -> None:
    user = uuid.uuid4()
    await broker.publish(
        OrderRequested(
            user_id=user, client_order_id="auto-run-2", symbol="NOPE", side="buy", qty=Decimal(1)
        )
    )

    async def rejected() -> Json | None:
        response = await app_client.get(
            "/api/v1/orders/by-client-id/auto-run-2", headers=issuer.headers(user)
        )
        return response.json() if response.status_code == 200 else None

    order = await eventually(rejected)
    assert (order["status"], order["reject_reason"]) == ("rejected", "unknown_symbol")
    events = changes(await _until(taps["orders"], 1))
    mine = [e for e in events if e["payload"]["order"]["id"] == order["id"]]
    # routed to the requester's own binding: auto-service receives no other order's outcome
    assert [e["routing_key"] for e in mine] == ["order.rejected.auto"]
    assert mine[0]["payload"]["order"]["client_order_id"] == "auto-run-2"


async def test_the_session_close_expires_day_orders_once_across_instances(
    app_client: httpx.AsyncClient,
    issuer: TestIssuer,
    broker: Broker,
    taps: dict[str, Tap],
    order_settings: Settings,
) -> None:
    user = uuid.uuid4()
    order = (await place(app_client, issuer, user, time_in_force="day")).json()
    await broker.publish(RiskAccepted(order_id=order["id"], user_id=user))
    await _until(taps["commands"], 1)
    eid = await engine_id(app_client, order["id"])
    await report(broker, "AAPL", EngineEvent(type="accepted", id=eid), seq=100)
    assert await eventually(lambda: status_is(app_client, issuer, user, order["id"], "new"))

    db = app_client.app.state.runtime.db  # type: ignore[attr-defined]
    friday_close = datetime(2026, 11, 20, 21, 0, 5, tzinfo=UTC)  # 16:00:05 in New York
    first, second = (SessionCloser(db, order_settings, lambda: friday_close) for _ in range(2))
    assert await first.check() == date(2026, 11, 20)
    assert await second.check() is None  # another instance: already closed
    commands = [c["payload"] for c in await _until(taps["commands"], 2)]
    assert {(c["symbol"], c["op"]) for c in commands} == {
        ("AAPL", "end_of_day"),
        ("MSFT", "end_of_day"),
    }
    assert await taps["commands"].drain() == []

    await report(
        broker, "AAPL", EngineEvent(type="canceled", id=eid, reason="end_of_day", qty=10), seq=101
    )
    assert await eventually(lambda: status_is(app_client, issuer, user, order["id"], "expired"))
    expired = [
        e
        for e in changes(await taps["orders"].drain())
        if e["payload"]["order"]["id"] == order["id"]
    ]
    assert [e["routing_key"] for e in expired][-1] == "order.expired"


async def resting(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    broker: Broker,
    taps: dict[str, Tap],
    user: uuid.UUID,
    seq: int,
    **body: Any,
) -> tuple[Json, int]:
    """An order accepted by risk and by the engine: (the order, its engine id)."""
    order = (await place(client, issuer, user, **body)).json()
    await broker.publish(RiskAccepted(order_id=order["id"], user_id=user))
    await _until(taps["commands"], 1)
    eid = await engine_id(client, order["id"])
    await report(broker, "AAPL", EngineEvent(type="accepted", id=eid), seq=seq)
    assert await eventually(lambda: status_is(client, issuer, user, order["id"], "new"))
    await taps["orders"].drain(0.1)
    return order, eid


async def patch(
    client: httpx.AsyncClient, issuer: TestIssuer, user: uuid.UUID, order_id: str, **body: Any
) -> httpx.Response:
    return await client.patch(f"/api/v1/orders/{order_id}", json=body, headers=issuer.headers(user))


async def test_a_replace_cancels_the_old_order_then_places_the_new_one(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker, taps: dict[str, Tap]
) -> None:
    user = uuid.uuid4()
    old, old_eid = await resting(app_client, issuer, broker, taps, user, 200)
    response = await patch(app_client, issuer, user, old["id"], qty="12", limit_price="101.50")
    assert response.status_code == 202, response.text
    new = response.json()
    assert (new["status"], new["qty"], new["limit_price"]) == ("pending_new", "12", "101.5")
    assert new["replaces"] == old["id"]
    before = await get(app_client, issuer, user, old["id"])
    assert (before["status"], before["replaced_by"]) == ("pending_cancel", new["id"])
    cancel = (await _until(taps["commands"], 1))[0]["payload"]
    assert (cancel["op"], cancel["engine_id"]) == ("cancel", old_eid)
    held = [e for e in await taps["orders"].drain() if e["payload"].get("order_id") == new["id"]]
    assert held == []  # no risk request while the old order may still trade

    await report(
        broker, "AAPL", EngineEvent(type="canceled", id=old_eid, reason="user", qty=10), seq=201
    )
    assert await eventually(lambda: status_is(app_client, issuer, user, old["id"], "replaced"))
    published = await _until(taps["orders"], 2)
    risk = [e for e in published if e["payload"].get("order_id") == new["id"]]
    assert [(e["routing_key"], e["payload"]["reserve_cash"]) for e in risk] == [
        ("order.risk_requested", "1218")
    ]
    assert "order.replaced" in [e["routing_key"] for e in published]
    await broker.publish(RiskAccepted(order_id=new["id"], user_id=user))
    command = (await _until(taps["commands"], 1))[0]["payload"]
    assert (command["op"], command["price"], command["qty"]) == ("new", 10150, 12)


async def test_fills_during_a_replace_count_against_the_new_quantity(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker, taps: dict[str, Tap]
) -> None:
    user, other = uuid.uuid4(), uuid.uuid4()
    old, old_eid = await resting(app_client, issuer, broker, taps, user, 300)
    new = (await patch(app_client, issuer, user, old["id"], limit_price="101.30")).json()
    assert new["qty"] == "10"
    seller = (await place(app_client, issuer, other, side="sell", qty="4")).json()
    sell_eid = await engine_id(app_client, seller["id"])
    await report(  # the old order trades 4 before the cancel reaches the book
        broker,
        "AAPL",
        EngineEvent(type="accepted", id=sell_eid),
        EngineEvent(type="trade", taker=sell_eid, maker=old_eid, price=10125, qty=4),
        seq=301,
    )
    await report(
        broker, "AAPL", EngineEvent(type="canceled", id=old_eid, reason="user", qty=6), seq=303
    )
    assert await eventually(lambda: status_is(app_client, issuer, user, old["id"], "replaced"))
    replaced = await get(app_client, issuer, user, old["id"])
    assert replaced["filled_qty"] == "4"

    async def shrunk() -> bool:
        return bool((await get(app_client, issuer, user, new["id"]))["qty"] == "6")

    assert await eventually(shrunk)


async def test_a_replace_that_loses_the_race_to_a_full_fill_is_rejected(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker, taps: dict[str, Tap]
) -> None:
    user, other = uuid.uuid4(), uuid.uuid4()
    old, old_eid = await resting(app_client, issuer, broker, taps, user, 400)
    new = (await patch(app_client, issuer, user, old["id"], limit_price="101.20")).json()
    seller = (await place(app_client, issuer, other, side="sell", qty="10")).json()
    sell_eid = await engine_id(app_client, seller["id"])
    await report(
        broker,
        "AAPL",
        EngineEvent(type="accepted", id=sell_eid),
        EngineEvent(type="trade", taker=sell_eid, maker=old_eid, price=10125, qty=10),
        seq=401,
    )
    assert await eventually(lambda: status_is(app_client, issuer, user, old["id"], "filled"))
    assert await eventually(lambda: status_is(app_client, issuer, user, new["id"], "rejected"))
    assert (await get(app_client, issuer, user, new["id"]))["reject_reason"] == "qty_already_filled"


async def test_what_cannot_be_replaced(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker, taps: dict[str, Tap]
) -> None:
    user = uuid.uuid4()
    old, _ = await resting(app_client, issuer, broker, taps, user, 500)
    bad: list[tuple[Json, str]] = [
        ({}, "validation_error"),
        ({"qty": "0"}, "invalid_lot_size"),
        ({"qty": "1e400"}, "validation_error"),
        ({"qty": "1" * 40}, "validation_error"),
        ({"qty": 1e300}, "validation_error"),
        ({"limit_price": "1e400"}, "validation_error"),
        ({"limit_price": 1e300}, "validation_error"),
        ({"qty": "1_000"}, "validation_error"),
        ({"limit_price": "\u0661\u0660\u0661"}, "validation_error"),
        ({"qty": "10000000000"}, "invalid_qty"),
        ({"limit_price": "1" * 20}, "invalid_price"),
    ]
    for body, code in bad:
        response = await patch(app_client, issuer, user, old["id"], **body)
        assert (response.status_code, response.json()["code"]) == (422, code), response.text
    assert (await patch(app_client, issuer, uuid.uuid4(), old["id"], qty="5")).status_code == 404
    pending = (await place(app_client, issuer, user)).json()
    response = await patch(app_client, issuer, user, pending["id"], qty="5")
    assert (response.status_code, response.json()["code"]) == (422, "order_not_open")
