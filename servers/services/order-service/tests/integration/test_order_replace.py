"""Replacing an order (PATCH) through the real app, database and broker: the old order is
cancelled, then the new one placed; fills during the replace count against the new
quantity; a full fill wins the race; a replacement its instrument refuses by then (a new
lot size) is rejected; what cannot be replaced."""

import uuid
from decimal import Decimal
from typing import Any

import httpx

from bourse.contracts.events import EngineEvent, InstrumentChanged, RiskAccepted
from bourse.messaging.broker import Broker
from bourse.order.handlers.events import on_instrument_changed
from bourse.testing.auth import TestIssuer
from bourse.testing.polling import eventually

from order_support import Json, Tap, engine_id, get, place, received, report, status_is


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
    await received(taps["commands"], 1)
    eid = await engine_id(client, order["id"])
    await report(broker, order["symbol"], EngineEvent(type="accepted", id=eid), seq=seq)
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
    cancel = (await received(taps["commands"], 1))[0]["payload"]
    assert (cancel["op"], cancel["engine_id"]) == ("cancel", old_eid)
    held = [e for e in await taps["orders"].drain() if e["payload"].get("order_id") == new["id"]]
    assert held == []  # no risk request while the old order may still trade

    await report(
        broker, "AAPL", EngineEvent(type="canceled", id=old_eid, reason="user", qty=10), seq=201
    )
    assert await eventually(lambda: status_is(app_client, issuer, user, old["id"], "replaced"))
    published = await received(taps["orders"], 2)
    risk = [e for e in published if e["payload"].get("order_id") == new["id"]]
    assert [(e["routing_key"], e["payload"]["reserve_cash"]) for e in risk] == [
        ("order.risk_requested", "1218")
    ]
    assert "order.replaced" in [e["routing_key"] for e in published]
    await broker.publish(RiskAccepted(order_id=new["id"], user_id=user))
    command = (await received(taps["commands"], 1))[0]["payload"]
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


async def set_instrument(client: httpx.AsyncClient, symbol: str, lot_size: str) -> None:
    async with client.app.state.runtime.db.transaction() as session:  # type: ignore[attr-defined]
        await on_instrument_changed(
            session,
            InstrumentChanged(
                symbol=symbol, name=symbol, tick_size=Decimal("0.01"), lot_size=Decimal(lot_size),
                status="trading", last_price=Decimal(100), maker_fee_bps=0, taker_fee_bps=0,
            ),
        )  # fmt: skip


async def test_a_replacement_its_instrument_refuses_when_released_is_rejected(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker, taps: dict[str, Tap]
) -> None:
    symbol = f"H{uuid.uuid4().hex[:6].upper()}"
    await set_instrument(app_client, symbol, lot_size="1")
    user = uuid.uuid4()
    old, old_eid = await resting(app_client, issuer, broker, taps, user, 1, symbol=symbol)
    new = (await patch(app_client, issuer, user, old["id"], limit_price="101.30")).json()
    await set_instrument(app_client, symbol, lot_size="100")  # changed while the cancel travels
    await report(
        broker, symbol, EngineEvent(type="canceled", id=old_eid, reason="user", qty=10), seq=2
    )
    assert await eventually(lambda: status_is(app_client, issuer, user, new["id"], "rejected"))
    assert (await get(app_client, issuer, user, new["id"]))["reject_reason"] == "invalid_lot_size"
    assert (await get(app_client, issuer, user, old["id"]))["status"] == "replaced"


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
