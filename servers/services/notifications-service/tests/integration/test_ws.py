"""/ws/notifications on real servers: authentication (4401), a push for each stored
notification, delivery across instances (stored by A, pushed by B), per-user isolation,
and surviving the loss of the LISTEN connection."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import insert, text
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bourse.common.db import Database
from bourse.contracts.ids import uuid7
from bourse.messaging.broker import Broker
from bourse.notifications.db import notifications
from bourse.testing.auth import TestIssuer
from bourse.testing.messaging import envelope_of
from bourse.testing.polling import eventually
from bourse.testing.ws import nothing_more, receive

from notifications_support import alert, deliver, order

Json = dict[str, Any]


@contextlib.asynccontextmanager
async def feed(address: str, token: str) -> AsyncIterator[ClientConnection]:
    """A subscribed socket (its ``ready`` message read and checked)."""
    async with connect(f"ws://{address}/ws/notifications?token={token}", proxy=None) as ws:
        ready = await receive(ws)
        assert ready["type"] == "ready" and isinstance(ready["unread_count"], int)
        yield ws


@pytest.mark.parametrize("token", ["", "garbage", "expired"])
async def test_a_bad_token_closes_with_4401(address: str, issuer: TestIssuer, token: str) -> None:
    if token == "expired":
        token = issuer.token(uuid.uuid4(), ttl=-60)
    async with connect(f"ws://{address}/ws/notifications?token={token}", proxy=None) as ws:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
    assert ws.close_code == 4401


async def test_each_stored_notification_is_pushed(
    address: str, db: Database, consumer: str, issuer: TestIssuer, user: uuid.UUID
) -> None:
    async with feed(address, issuer.token(user)) as ws:
        await deliver(db, consumer, envelope_of(order(user, "filled", filled_qty="10")))
        await deliver(db, consumer, envelope_of(alert(user)))
        first, second = await receive(ws), await receive(ws)
        assert first["type"] == second["type"] == "notification"
        assert first["notification"]["type"] == "order.filled"
        assert second["notification"]["type"] == "alert.triggered"
        assert set(first["notification"]) == {
            "id",
            "type",
            "title",
            "body",
            "data",
            "created_at",
            "read_at",
        }
        await nothing_more(ws)


async def test_the_ready_message_carries_the_unread_count(
    address: str, db: Database, consumer: str, issuer: TestIssuer, user: uuid.UUID
) -> None:
    for _ in range(3):
        await deliver(db, consumer, envelope_of(order(user, "canceled")))
    url = f"ws://{address}/ws/notifications?token={issuer.token(user)}"
    async with connect(url, proxy=None) as ws:
        assert await receive(ws) == {"type": "ready", "unread_count": 3}


async def test_stored_by_instance_a_pushed_by_instance_b(
    app: FastAPI,
    app_b: FastAPI,
    address: str,
    address_b: str,
    consumer: str,
    issuer: TestIssuer,
    user: uuid.UUID,
) -> None:
    stranger = uuid.uuid4()
    async with (
        feed(address_b, issuer.token(user)) as on_b,
        feed(address, issuer.token(user)) as on_a,
        feed(address_b, issuer.token(stranger)) as strangers,
    ):
        await deliver(app.state.runtime.db, consumer, envelope_of(order(user, "expired")))
        pushed_b, pushed_a = await receive(on_b), await receive(on_a)
        assert pushed_b == pushed_a
        assert pushed_b["notification"]["type"] == "order.expired"
        await nothing_more(strangers)  # another user's socket hears nothing
        await deliver(app_b.state.runtime.db, consumer, envelope_of(order(stranger, "canceled")))
        assert (await receive(strangers))["notification"]["type"] == "order.canceled"
        await nothing_more(on_b, 0.1)


async def test_an_event_from_the_broker_reaches_sockets_on_both_instances(
    address: str, address_b: str, publisher: Broker, issuer: TestIssuer, user: uuid.UUID
) -> None:
    async with (
        feed(address, issuer.token(user)) as on_a,
        feed(address_b, issuer.token(user)) as on_b,
    ):
        await publisher.publish(alert(user, symbol="ACME"))
        for ws in (on_a, on_b):  # whichever instance consumed it
            assert (await receive(ws))["notification"]["data"]["symbol"] == "ACME"


async def test_the_live_feed_reconnects_and_misses_nothing(
    app: FastAPI,
    app_b: FastAPI,
    address_b: str,
    consumer: str,
    issuer: TestIssuer,
    user: uuid.UUID,
) -> None:
    db: Database = app.state.runtime.db
    listener = app_b.state.feed
    old_pid = listener.server_pid
    async with feed(address_b, issuer.token(user)) as ws:
        async with db.transaction() as session:
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": old_pid})
        # Stored while B's listener is (probably) still down: the catch-up sends it.
        await deliver(db, consumer, envelope_of(order(user, "canceled")))

        async def reconnected() -> bool:
            pid = listener.server_pid
            return pid is not None and pid != old_pid

        assert await eventually(reconnected)
        await deliver(db, consumer, envelope_of(order(user, "expired")))
        types = [(await receive(ws))["notification"]["type"] for _ in range(2)]
        assert types == ["order.canceled", "order.expired"]
        await nothing_more(ws)


async def test_a_catch_up_sends_what_no_notify_announced_once(
    app_b: FastAPI, address_b: str, issuer: TestIssuer, user: uuid.UUID
) -> None:
    db: Database = app_b.state.runtime.db
    async with feed(address_b, issuer.token(user)) as ws:
        lost_at = datetime.now(UTC)
        async with db.transaction() as session:  # stored without pg_notify: never announced
            await session.execute(
                insert(notifications).values(
                    id=uuid7(),
                    user_id=user,
                    type="order.canceled",
                    title="Order canceled",
                    body="...",
                    data={},
                    source_key=f"test:{uuid.uuid4()}",
                )
            )
        await nothing_more(ws)
        app_b.state.hub.on_reconnected(lost_at)
        assert (await receive(ws))["notification"]["type"] == "order.canceled"
        app_b.state.hub.on_reconnected(lost_at)  # a second catch-up repeats nothing
        await nothing_more(ws)


async def test_the_feed_ends_with_4401_when_its_token_expires(
    address: str, issuer: TestIssuer
) -> None:
    # Valid for the verifier's 5 s of leeway past its exp: the socket lives that long.
    token = issuer.token(uuid.uuid4(), ttl=0)
    async with connect(f"ws://{address}/ws/notifications?token={token}", proxy=None) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "ready"
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 15)
    assert (ws.close_code, ws.close_reason) == (4401, "access token expired")
