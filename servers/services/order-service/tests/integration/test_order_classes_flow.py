"""Bracket, oco and oto orders through the real app, database and broker: exits follow
the entry's fills (a pair per fill), a take-profit's fills shrink its stop-loss, the
last price fires a stop-loss (its take-profit is cancelled first), cancelling the parent
cancels its legs, a redelivered report adds no legs, another user's leg is a 404."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from itertools import count
from typing import Any

import httpx
from sqlalchemy import select

from bourse.contracts.events import (
    AccountUpdated,
    EngineEvent,
    ExecutionsReported,
    Fill,
    FillSettled,
    PriceChanged,
    RiskAccepted,
    SharesReleased,
)
from bourse.contracts.ids import uuid7
from bourse.messaging.broker import Broker
from bourse.messaging.outbox import envelope_for
from bourse.order.db import fills, orders
from bourse.testing.auth import TestIssuer
from bourse.testing.polling import eventually

import order_support
from order_support import Json, get

OUTSIDER = 10**15  # an engine id no order has: the other side of a trade
_seq = count(50_000)


BRACKET: Json = {
    "limit_price": "100",
    "order_class": "bracket",
    "take_profit": {"limit_price": "110"},
    "stop_loss": {"stop_price": "95"},
}


async def place(
    client: httpx.AsyncClient, issuer: TestIssuer, user: uuid.UUID, **body: Any
) -> httpx.Response:
    """A bracket buy of 10 at 100 (take-profit 110, stop-loss 95) unless ``body`` says
    otherwise."""
    return await order_support.place(client, issuer, user, **(BRACKET | body))


async def row(client: httpx.AsyncClient, oid: str) -> Any:
    async with client.app.state.runtime.db.transaction() as session:  # type: ignore[attr-defined]
        return (await session.execute(select(orders).where(orders.c.id == uuid.UUID(oid)))).one()


async def on_book(client: httpx.AsyncClient, broker: Broker, user: uuid.UUID, oid: str) -> int:
    """Accept ``oid``'s risk check and have the engine accept it; its engine id."""
    await broker.publish(RiskAccepted(order_id=uuid.UUID(oid), user_id=user))
    assert await eventually(lambda: _sent(client, oid))
    engine_id = int((await row(client, oid)).engine_id)
    await report(broker, EngineEvent(type="accepted", id=engine_id))
    return engine_id


async def _sent(client: httpx.AsyncClient, oid: str) -> bool:
    return bool((await row(client, oid)).sent_to_exchange)


async def settle(client: httpx.AsyncClient, broker: Broker, user: uuid.UUID, oid: str) -> None:
    """trader-service's word that every fill of ``oid`` so far is settled."""
    async with client.app.state.runtime.db.transaction() as session:  # type: ignore[attr-defined]
        rows = (
            await session.execute(
                select(fills, orders.c.order_class)
                .join(orders, orders.c.id == fills.c.order_id)
                .where(fills.c.order_id == uuid.UUID(oid))
            )
        ).all()
    for fill in rows:  # routed by the order's class, as trader-service does
        settled = FillSettled(
            order_id=fill.order_id, symbol=fill.symbol, side=fill.side,
            fill=Fill(id=fill.id, qty=fill.qty, price=fill.price, liquidity=fill.liquidity,
                      ts=fill.created_at),
            order_class=fill.order_class,
        )  # fmt: skip
        await broker.publish(
            AccountUpdated(
                user_id=user, cash=Decimal(0), reserved_cash=Decimal(0), reason="fill",
                settled=settled,
            )
        )  # fmt: skip


async def requested(client: httpx.AsyncClient, oid: str) -> bool:
    """The held exit asked for its risk check."""
    return not (await row(client, oid)).held


def _report(*events: EngineEvent) -> ExecutionsReported:
    return ExecutionsReported(
        symbol="AAPL", command_id=uuid7(), first_seq=next(_seq), events=list(events)
    )


async def report(broker: Broker, *events: EngineEvent) -> None:
    await broker.publish(_report(*events))


def trade(maker: int, qty: int, price: int = 10000) -> EngineEvent:
    return EngineEvent(type="trade", taker=OUTSIDER, maker=maker, price=price, qty=qty)


async def legs_of(
    client: httpx.AsyncClient, issuer: TestIssuer, user: uuid.UUID, oid: str, n: int
) -> list[Json]:
    async def enough() -> bool:
        return len((await get(client, issuer, user, oid))["legs"]) >= n

    assert await eventually(enough)
    legs: list[Json] = (await get(client, issuer, user, oid))["legs"]
    return legs


async def test_a_bracket_adds_a_pair_of_exits_per_fill_and_one_cancels_the_other(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker
) -> None:
    user = uuid.uuid4()
    placed = await place(app_client, issuer, user)
    assert placed.status_code == 202, placed.text
    entry = placed.json()
    assert entry["order_class"] == "bracket" and entry["legs"] == []
    eid = await on_book(app_client, broker, user, entry["id"])
    await report(broker, trade(eid, 4))
    first = await legs_of(app_client, issuer, user, entry["id"], 2)
    await report(broker, trade(eid, 6))
    legs = await legs_of(app_client, issuer, user, entry["id"], 4)
    assert [(leg["type"], leg["side"], leg["qty"]) for leg in legs] == [
        ("limit", "sell", "4"),
        ("stop", "sell", "4"),
        ("limit", "sell", "6"),
        ("stop", "sell", "6"),
    ]
    assert legs[0]["limit_price"] == "110" and legs[1]["stop_price"] == "95"
    assert legs[:2] == first
    assert all([(await row(app_client, leg["id"])).held for leg in legs])  # nothing settled
    await settle(app_client, broker, user, entry["id"])
    assert await eventually(lambda: requested(app_client, legs[0]["id"]))
    assert await eventually(lambda: requested(app_client, legs[2]["id"]))
    assert (await row(app_client, legs[1]["id"])).held  # the stop-loss waits, off the book
    # the first take-profit fills in two steps: its stop-loss shrinks, then ends
    tp = await on_book(app_client, broker, user, legs[0]["id"])
    await report(broker, trade(tp, 1, 11000))
    assert await eventually(lambda: _qty_is(app_client, legs[1]["id"], Decimal(3)))
    await report(broker, trade(tp, 3, 11000))
    assert await eventually(lambda: _status_is(app_client, legs[1]["id"], "canceled"))
    assert (await row(app_client, legs[0]["id"])).status == "filled"
    # the price falls through the second stop: its take-profit is cancelled, then the
    # stop-loss goes out as a market sell of what the take-profit did not fill
    tp2 = await on_book(app_client, broker, user, legs[2]["id"])
    await report(broker, trade(tp2, 2, 11000))
    assert await eventually(lambda: _qty_is(app_client, legs[3]["id"], Decimal(4)))
    await broker.publish(PriceChanged(symbol="AAPL", price=Decimal(94), ts=datetime.now(UTC)))
    assert await eventually(lambda: _status_is(app_client, legs[2]["id"], "pending_cancel"))
    stop = await row(app_client, legs[3]["id"])
    assert stop.held and stop.type == "market"
    await report(broker, EngineEvent(type="canceled", id=tp2, reason="user", qty=4))
    assert await eventually(lambda: _status_is(app_client, legs[2]["id"], "canceled"))
    assert (await row(app_client, legs[3]["id"])).held  # until its 4 shares are back
    released = SharesReleased(
        order_id=uuid.UUID(legs[2]["id"]), user_id=user, symbol="AAPL", qty=Decimal(4)
    )
    await broker.publish(released)
    assert await eventually(lambda: _released(app_client, legs[3]["id"]))
    stop = await row(app_client, legs[3]["id"])
    assert stop.qty == 4 and stop.reserve_qty == 4 and stop.stop_loss_stop == 95
    await broker.publish(PriceChanged(symbol="AAPL", price=Decimal(100), ts=datetime.now(UTC)))


async def _qty_is(client: httpx.AsyncClient, oid: str, qty: Decimal) -> bool:
    return bool((await row(client, oid)).qty == qty)


async def _status_is(client: httpx.AsyncClient, oid: str, status: str) -> bool:
    return bool((await row(client, oid)).status == status)


async def _released(client: httpx.AsyncClient, oid: str) -> bool:
    return not (await row(client, oid)).held


async def test_cancelling_the_parent_cancels_its_open_legs(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker
) -> None:
    user = uuid.uuid4()
    entry = (await place(app_client, issuer, user, qty="5")).json()
    eid = await on_book(app_client, broker, user, entry["id"])
    await report(broker, trade(eid, 2))
    legs = await legs_of(app_client, issuer, user, entry["id"], 2)
    await settle(app_client, broker, user, entry["id"])
    assert await eventually(lambda: requested(app_client, legs[0]["id"]))
    headers = issuer.headers(user)
    response = await app_client.delete(f"/api/v1/orders/{entry['id']}", headers=headers)
    assert response.status_code == 202, response.text
    statuses = {leg["id"]: leg["status"] for leg in response.json()["legs"]}
    assert statuses[legs[1]["id"]] == "canceled"  # the waiting stop-loss ends at once
    assert statuses[legs[0]["id"]] == "pending_cancel"  # its risk check still runs
    other = await app_client.get(
        f"/api/v1/orders/{legs[0]['id']}", headers=issuer.headers(uuid.uuid4())
    )
    assert other.status_code == 404
    denied = await app_client.delete(
        f"/api/v1/orders/{legs[1]['id']}", headers=issuer.headers(uuid.uuid4())
    )
    assert denied.status_code == 404


async def test_a_redelivered_fill_adds_its_exits_once(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker
) -> None:
    user = uuid.uuid4()
    entry = (await place(app_client, issuer, user, qty="3")).json()
    eid = await on_book(app_client, broker, user, entry["id"])
    payload = _report(trade(eid, 3))
    envelope = envelope_for(payload)
    for _ in range(3):
        await broker.publish(payload, envelope)
    await legs_of(app_client, issuer, user, entry["id"], 2)
    assert await eventually(lambda: _status_is(app_client, entry["id"], "filled"))
    assert len((await get(app_client, issuer, user, entry["id"]))["legs"]) == 2


async def test_an_oco_is_a_take_profit_with_a_waiting_stop_loss(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    user = uuid.uuid4()
    response = await place(
        app_client,
        issuer,
        user,
        side="sell",
        order_class="oco",
        limit_price="110",
        qty="5",
        stop_loss={"stop_price": "90", "limit_price": "89"},
    )
    assert response.status_code == 202, response.text
    order = response.json()
    assert order["type"] == "limit" and order["limit_price"] == "110"
    [stop] = order["legs"]
    assert (stop["type"], stop["side"], stop["qty"], stop["stop_price"]) == (
        "stop_limit",
        "sell",
        "5",
        "90",
    )
    headers = issuer.headers(user)
    canceled = await app_client.delete(f"/api/v1/orders/{order['id']}", headers=headers)
    assert canceled.json()["legs"][0]["status"] == "canceled"


async def test_an_oto_adds_its_one_exit(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker
) -> None:
    user = uuid.uuid4()
    entry = (
        await place(app_client, issuer, user, order_class="oto", take_profit=None, qty="2")
    ).json()
    eid = await on_book(app_client, broker, user, entry["id"])
    await report(broker, trade(eid, 2))
    [stop] = await legs_of(app_client, issuer, user, entry["id"], 1)
    assert stop["type"] == "stop" and stop["qty"] == "2"
    await settle(app_client, broker, user, entry["id"])
    await broker.publish(PriceChanged(symbol="AAPL", price=Decimal(96), ts=datetime.now(UTC)))
    assert (await row(app_client, stop["id"])).held  # it waits for its stop price, 95
    await broker.publish(PriceChanged(symbol="AAPL", price=Decimal(95), ts=datetime.now(UTC)))
    assert await eventually(lambda: requested(app_client, stop["id"]))  # no take-profit to wait
    released = await row(app_client, stop["id"])
    assert (released.type, released.qty, released.reserve_qty) == ("market", 2, 2)
    await broker.publish(PriceChanged(symbol="AAPL", price=Decimal(100), ts=datetime.now(UTC)))


async def test_invalid_classed_orders_are_422(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    user = uuid.uuid4()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"take_profit": {"limit_price": "99"}}, "invalid_take_profit"),
        ({"stop_loss": {"stop_price": "101"}}, "invalid_stop_loss"),
        ({"take_profit": None}, "invalid_order_class"),
        (
            {"order_class": "oco", "side": "sell", "limit_price": "110", "stop_loss": None},
            "invalid_order_class",
        ),
        ({"order_class": "simple"}, "invalid_order_class"),
        ({"time_in_force": "ioc"}, "invalid_order_class"),
        ({"type": "stop", "stop_price": "100", "limit_price": None}, "invalid_order_class"),
        ({"take_profit": {"limit_price": "110.001"}}, "invalid_tick_size"),
    ]
    for change, code in cases:
        response = await place(app_client, issuer, user, **change)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["code"] == code, (change, response.json())
