"""The order path through the real broker: events published on the domain exchanges reach
the running service's queue, and its answers come back out on bourse.trader through the
outbox relay. A message delivered twice is applied once."""

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import Payload, SecuritiesDeposited, UserRegistered
from bourse.messaging.broker import Broker
from bourse.testing.messaging import envelope_of
from bourse.testing.polling import eventually
from bourse.trader.db import accounts

from trader_support import (
    D,
    Headers,
    Outbound,
    deliver,
    fill,
    instrument,
    order_changed,
    risk,
)


async def publish(broker: Broker, payload: Payload, envelope: Envelope | None = None) -> None:
    await broker.publish(payload, envelope or envelope_of(payload))


def about(order_id: uuid.UUID, kind: str) -> Any:
    return lambda e: e.type == kind and e.payload["order_id"] == str(order_id)


async def test_register_reserve_fill_cancel_through_the_broker(
    client: httpx.AsyncClient,
    app_db: Database,
    publisher: Broker,
    outbound: Outbound,
    headers_for: Headers,
) -> None:
    user_id = uuid.uuid4()
    headers = headers_for(user_id)
    await publish(publisher, UserRegistered(user_id=user_id, email=f"{user_id.hex}@example.com"))

    async def opened() -> bool:
        async with app_db.transaction() as session:
            found = await session.scalar(
                select(accounts.c.cash).where(accounts.c.user_id == user_id)
            )
        return found is not None

    assert await eventually(opened)
    await client.post("/api/v1/account/deposits", headers=headers, json={"amount": "1000"})

    accepted, rejected = risk(user_id, "buy", cash="500"), risk(user_id, "buy", cash="600")
    await publish(publisher, accepted)
    await outbound.wait_for(about(accepted.order_id, "risk.accepted"))
    await publish(publisher, rejected)
    answer = await outbound.wait_for(about(rejected.order_id, "risk.rejected"))
    assert answer.payload["reason"] == "insufficient_buying_power"

    partial = order_changed(accepted, "partially_filled", "20", fill("20", "10"))
    twice = envelope_of(partial)
    for envelope in (twice, twice, envelope_of(partial)):  # a redelivery, then a resend
        await publish(publisher, partial, envelope)
    await publish(publisher, order_changed(accepted, "canceled", "20"))

    async def settled() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get("/api/v1/account", headers=headers)).json()
        return body if body["reserved_cash"] == "0" else None

    state = await eventually(settled)
    assert (D(state["cash"]), D(state["buying_power"])) == (D("800"), D("800"))
    assert state["holdings"] == [
        {"symbol": "ACME", "qty": "20", "reserved_qty": "0", "available_qty": "20"}
    ]
    activity = (await client.get("/api/v1/account/activities", headers=headers)).json()
    assert [(i["type"], i["amount"]) for i in activity["items"]] == [
        ("release", "300"),
        ("fill", "-200"),
        ("deposit", "1000"),
    ]
    fill_entry = activity["items"][1]
    assert (fill_entry["symbol"], fill_entry["qty"], fill_entry["price"]) == ("ACME", "20", "10")
    assert fill_entry["order_id"] == str(accepted.order_id)
    update = await outbound.wait_for(
        lambda e: (
            e.type == "account.updated"
            and e.payload["user_id"] == str(user_id)
            and e.payload["reason"] == "fill"
        )
    )
    # the fill moved cash; the release after it moved reserved cash only, which no queue
    # wants, so it is not announced (ARCHITECTURE §4a)
    assert D(update.payload["cash"]) == D("800") and D(update.payload["reserved_cash"]) == 300


async def test_deposits_are_announced_with_their_amount_and_position(
    client: httpx.AsyncClient, app_db: Database, outbound: Outbound, headers_for: Headers
) -> None:
    user_id = uuid.uuid4()
    headers = headers_for(user_id)
    deposit = await client.post("/api/v1/account/deposits", headers=headers, json={"amount": "250"})
    assert deposit.status_code == 201, deposit.text
    cash = await outbound.wait_for(
        lambda e: e.type == "account.updated" and e.payload["user_id"] == str(user_id)
    )
    assert (cash.payload["reason"], cash.payload["amount"]) == ("deposit", "250")
    assert (cash.payload["cash"], cash.payload["activity_id"]) == ("250", deposit.json()["id"])

    await deliver(app_db, instrument("ACME"))
    done = await client.post(
        "/api/v1/account/securities-deposits", headers=headers, json={"symbol": "ACME", "qty": "30"}
    )
    assert done.status_code == 201, done.text
    shares = await outbound.wait_for(
        lambda e: e.type == "account.securities_deposited" and e.payload["user_id"] == str(user_id)
    )
    assert SecuritiesDeposited.model_validate(shares.payload).routing_key() == (
        "account.securities_deposited.ACME"
    )
    assert (shares.payload["qty"], shares.payload["position_qty"]) == ("30", "30")
