"""The order saga through the real app, database and broker: placement -> risk request;
risk answers; exchange commands; execution reports -> statuses, fills and the events
other services settle from; orders auto-service requests; the session close."""

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx

from bourse.contracts.events import (
    EngineEvent,
    ExecutionsReported,
    OrderRequested,
    RiskAccepted,
    RiskRejected,
)
from bourse.contracts.ids import uuid7
from bourse.messaging.broker import Broker
from bourse.order.config import Settings
from bourse.order.session import SessionCloser
from bourse.testing.auth import TestIssuer
from bourse.testing.polling import eventually

from order_support import (
    Json,
    Tap,
    changes,
    engine_id,
    get,
    place,
    received,
    report,
    status_is,
    trade_updates_of,
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
    published = await received(taps["orders"], 1)
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
    commands = await received(taps["commands"], 2)
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
    cancel = (await received(taps["commands"], 1))[0]["payload"]
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
    # trader releases on the canceled; the rest only /ws/trade-updates wants (not published)
    assert [(e["type"], e["routing_key"]) for e in mine] == [("order.changed", "order.canceled")]
    updates = await trade_updates_of(app_client, user)
    assert [u["event"] for u in updates] == ["pending_new", "pending_cancel", "canceled"]
    accepted = updates[1]["order"]
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
    published = await received(taps["orders"], 1)
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
    events = changes(await received(taps["orders"], 1))
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
    await received(taps["commands"], 1)
    eid = await engine_id(app_client, order["id"])
    await report(broker, "AAPL", EngineEvent(type="accepted", id=eid), seq=100)
    assert await eventually(lambda: status_is(app_client, issuer, user, order["id"], "new"))

    db = app_client.app.state.runtime.db  # type: ignore[attr-defined]
    friday_close = datetime(2026, 11, 20, 21, 0, 5, tzinfo=UTC)  # 16:00:05 in New York
    first, second = (SessionCloser(db, order_settings, lambda: friday_close) for _ in range(2))
    assert await first.check() == date(2026, 11, 20)
    assert await second.check() is None  # another instance: already closed
    commands = [c["payload"] for c in await received(taps["commands"], 2)]
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
