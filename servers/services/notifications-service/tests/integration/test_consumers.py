"""The consumer: every event type becomes the user's notification, through the real
broker into whichever instance takes it; duplicates never make a second one."""

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from bourse.common.db import Database
from bourse.contracts.events import Payload
from bourse.messaging.broker import Broker
from bourse.notifications.db import notifications
from bourse.testing.messaging import envelope_of
from bourse.testing.polling import eventually

from notifications_support import (
    Headers,
    account,
    alert,
    auto_run,
    deliver,
    order,
    registered,
)

Json = dict[str, Any]


async def inbox_of(client: httpx.AsyncClient, headers: dict[str, str]) -> Json:
    response = await client.get("/api/v1/notifications", headers=headers)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def count(db: Database, user_id: uuid.UUID) -> int:
    async with db.transaction() as session:
        total = await session.scalar(
            select(func.count())
            .select_from(notifications)
            .where(notifications.c.user_id == user_id)
        )
    return int(total or 0)


async def test_every_event_type_becomes_a_notification_through_the_broker(
    client: httpx.AsyncClient, publisher: Broker, headers_for: Headers, user: uuid.UUID
) -> None:
    events: list[Payload] = [
        registered(user),
        account(user),
        account(user, reason="withdrawal", amount="-5"),  # not a deposit: nothing
        order(user, "partially_filled", filled_qty="4", avg="100", fill=("4", "100")),
        order(user, "filled", filled_qty="10", avg="100.5"),
        order(user, "new"),  # not routed to the queue at all
        order(user, "canceled"),
        order(user, "rejected", reject_reason="insufficient_buying_power"),
        order(user, "expired"),
        auto_run(user, "succeeded"),
        auto_run(user, "failed", "insufficient_buying_power"),
        alert(user),  # routed alert.triggered.BRK.B: a symbol with a dot
    ]
    for event in events:
        await publisher.publish(event)
    headers = headers_for(user)

    async def all_there() -> Json | None:
        body = await inbox_of(client, headers)
        return body if len(body["items"]) >= 10 else None

    body = await eventually(all_there)
    assert sorted(item["type"] for item in body["items"]) == sorted(
        [
            "user.registered",
            "account.deposit",
            "order.partially_filled",
            "order.filled",
            "order.canceled",
            "order.rejected",
            "order.expired",
            "auto.run.succeeded",
            "auto.run.failed",
            "alert.triggered",
        ]
    )
    assert body["unread_count"] == 10
    for item in body["items"]:
        assert set(item) == {"id", "type", "title", "body", "data", "created_at", "read_at"}
        assert item["title"] and item["body"] and item["read_at"] is None
    by_type = {item["type"]: item for item in body["items"]}
    assert by_type["account.deposit"]["data"]["amount"] == "1000.5"
    assert by_type["order.filled"]["data"]["filled_avg_price"] == "100.5"
    assert by_type["alert.triggered"]["data"]["symbol"] == "BRK.B"


async def test_the_same_envelope_twice_is_applied_once(
    db: Database, consumer: str, user: uuid.UUID
) -> None:
    envelope = envelope_of(order(user, "filled", filled_qty="10"))
    assert await deliver(db, consumer, envelope)
    assert not await deliver(db, consumer, envelope)  # the inbox: a redelivery
    assert await count(db, user) == 1


async def test_the_same_event_under_new_message_ids_is_one_notification(
    db: Database, consumer: str, user: uuid.UUID
) -> None:
    order_id = uuid.uuid4()
    once = [
        order(user, "filled", order_id=order_id, filled_qty="10"),
        order(user, "partially_filled", order_id=order_id, filled_qty="3", fill=("3", "1")),
        auto_run(user, "succeeded"),
        alert(user),
        account(user),
        registered(user),
    ]
    for event in once:
        for _ in range(2):  # a resend: same event, new envelope (new message id)
            assert await deliver(db, consumer, envelope_of(event))
    assert await count(db, user) == len(once)


async def test_duplicates_through_the_broker_and_two_competing_instances(
    app: FastAPI,
    app_b: FastAPI,
    client: httpx.AsyncClient,
    db: Database,
    publisher: Broker,
    headers_for: Headers,
    user: uuid.UUID,
) -> None:
    event = order(user, "canceled")
    envelope = envelope_of(event)
    resend = envelope_of(event)
    for each in (envelope, envelope, resend, resend):
        await publisher.publish(event, each)
    await publisher.publish(order(user, "expired"))

    async def both() -> bool:
        return await count(db, user) >= 2

    assert await eventually(both)
    for instance in (app, app_b):  # both are idle: nothing is still in flight
        for running in instance.state.runtime.consumers:
            await running.wait_idle()
    body = await inbox_of(client, headers_for(user))
    assert sorted(item["type"] for item in body["items"]) == ["order.canceled", "order.expired"]
