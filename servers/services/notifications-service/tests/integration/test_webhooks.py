"""Webhooks against a real local HTTP receiver: configuration, signed deliveries that a
receiver can verify, retries with exponential backoff, dead-lettering, and the durable
queue's claims (leases, SKIP LOCKED, stale attempts)."""

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bourse.common.db import Database
from bourse.messaging.uow import UnitOfWork
from bourse.notifications import store as inbox
from bourse.notifications.db import webhook_deliveries
from bourse.notifications.domain import webhooks as rules
from bourse.notifications.domain.messages import Draft
from bourse.notifications.main import MIGRATIONS
from bourse.notifications.webhooks import store
from bourse.testing.infra import migrated_database
from bourse.testing.messaging import envelope_of
from bourse.testing.polling import eventually

from notifications_support import Headers, Receiver, deliver, order, serve

Json = dict[str, Any]
HOOK = "/api/v1/notifications/webhook"


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    """A receiver that answers 200 (tests script other answers) and its URL."""
    endpoint = Receiver()
    async with serve(endpoint.app(), lifespan="off") as where:
        yield endpoint, f"http://{where}/hook"


async def register(
    client: httpx.AsyncClient, headers: dict[str, str], url: str, **extra: Any
) -> Json:
    response = await client.put(HOOK, headers=headers, json={"url": url, **extra})
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def deliveries(client: httpx.AsyncClient, headers: dict[str, str], query: str = "") -> Json:
    response = await client.get(f"{HOOK}/deliveries{query}", headers=headers)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def settled(client: httpx.AsyncClient, headers: dict[str, str], status: str) -> Json:
    async def check() -> Json | None:
        items = (await deliveries(client, headers))["items"]
        return items[0] if items and items[0]["status"] == status else None

    found: Json = await eventually(check)
    return found


async def test_configure_read_and_delete(
    client: httpx.AsyncClient, headers_for: Headers, user: uuid.UUID
) -> None:
    headers = headers_for(user)
    assert (await client.get(HOOK, headers=headers)).status_code == 404
    created = await register(client, headers, "https://hooks.example.com/a")
    assert set(created) == {"url", "secret", "created_at", "updated_at"}
    assert created["secret"].startswith("whsec_")
    shown = (await client.get(HOOK, headers=headers)).json()
    assert shown == {k: v for k, v in created.items() if k != "secret"}  # never the secret
    mine = await register(client, headers, "https://hooks.example.com/b", secret="s" * 20)
    assert (mine["url"], mine["secret"]) == ("https://hooks.example.com/b", "s" * 20)
    assert (await client.get(HOOK, headers=headers_for(uuid.uuid4()))).status_code == 404
    bad = await client.put(HOOK, headers=headers, json={"url": "ftp://example.com/x"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_webhook_url"
    short = await client.put(HOOK, headers=headers, json={"url": "https://x.io/", "secret": "s"})
    assert short.status_code == 422
    assert (await client.delete(HOOK, headers=headers)).status_code == 204
    assert (await client.get(HOOK, headers=headers)).status_code == 404
    assert (await client.delete(HOOK, headers=headers)).status_code == 404


async def test_an_idempotency_key_replays_the_first_answer(
    client: httpx.AsyncClient, headers_for: Headers, user: uuid.UUID
) -> None:
    headers = headers_for(user) | {"Idempotency-Key": "hook-1"}
    body = {"url": "https://hooks.example.com/a"}
    first = await client.put(HOOK, headers=headers, json=body)
    again = await client.put(HOOK, headers=headers, json=body)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()  # the same generated secret, not a new one
    other = await client.put(HOOK, headers=headers, json={"url": "https://hooks.example.com/b"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


async def test_a_delivery_is_signed_and_retried_with_backoff_until_it_succeeds(
    client: httpx.AsyncClient,
    db: Database,
    consumer: str,
    headers_for: Headers,
    user: uuid.UUID,
    receiver: tuple[Receiver, str],
) -> None:
    endpoint, url = receiver
    endpoint.statuses = [500, 503, 204]
    headers = headers_for(user)
    secret = (await register(client, headers, url))["secret"]
    await deliver(db, consumer, envelope_of(order(user, "filled", filled_qty="10")))

    done = await settled(client, headers, "delivered")
    assert (done["attempts"], done["last_status_code"], done["last_error"]) == (3, 204, None)
    assert done["delivered_at"] is not None
    assert len(endpoint.received) == 3
    notification = (await client.get("/api/v1/notifications", headers=headers)).json()["items"][0]
    assert done["notification_id"] == notification["id"]
    for got in endpoint.received:
        timestamp = int(got.headers["x-bourse-timestamp"])
        assert rules.verify(secret, timestamp, got.body, got.headers["x-bourse-signature"])
        assert not rules.verify(secret, timestamp + 1, got.body, got.headers["x-bourse-signature"])
        assert got.headers["x-bourse-delivery"] == done["id"]
        assert got.headers["x-bourse-event"] == "order.filled"
        assert got.headers["content-type"] == "application/json"
        assert json.loads(got.body) == {"type": "notification", "notification": notification}
    first, second, third = (got.at for got in endpoint.received)
    assert second - first >= 0.18  # base 200 ms
    assert third - second >= 0.38  # then doubled


async def test_a_delivery_that_always_fails_is_dead_after_max_attempts(
    client: httpx.AsyncClient,
    db: Database,
    consumer: str,
    headers_for: Headers,
    user: uuid.UUID,
    receiver: tuple[Receiver, str],
) -> None:
    endpoint, url = receiver
    endpoint.statuses = [500]
    headers = headers_for(user)
    await register(client, headers, url)
    await deliver(db, consumer, envelope_of(order(user, "canceled")))

    dead = await settled(client, headers, "dead")
    assert (dead["attempts"], dead["last_status_code"], dead["last_error"]) == (3, 500, "HTTP 500")
    await asyncio.sleep(0.5)  # nothing more is tried
    assert len(endpoint.received) == 3
    listed = await deliveries(client, headers, "?status=dead")
    assert [item["id"] for item in listed["items"]] == [dead["id"]]
    assert (await deliveries(client, headers, "?status=pending"))["items"] == []
    assert (await deliveries(client, headers_for(uuid.uuid4())))["items"] == []  # scoped
    metrics = (await client.get("/metrics")).text
    assert 'bourse_notifications_webhook_attempts_total{outcome="dead"}' in metrics


async def test_an_unreachable_receiver_is_retried_then_dead(
    client: httpx.AsyncClient, db: Database, consumer: str, headers_for: Headers, user: uuid.UUID
) -> None:
    with socket.socket() as sock:  # a port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    headers = headers_for(user)
    await register(client, headers, f"http://127.0.0.1:{port}/hook")
    await deliver(db, consumer, envelope_of(order(user, "expired")))
    dead = await settled(client, headers, "dead")
    assert dead["attempts"] == 3 and dead["last_status_code"] is None
    assert dead["last_error"].startswith("ConnectError")


@pytest.mark.parametrize(
    "url",
    [
        "http://167772161:8001/",  # 10.0.0.1 (the tests allow 127.0.0.0/8 only)
        "http://0x0a000001/",
        "http://10.1/",
        "http://0/",
        "http://2852039166/latest/meta-data",  # 169.254.169.254
        "http://localhost./",
        "http://LOCALHOST:8001/",
        "http://%31%30.0.0.1/",
        "http://[::1]:8001/",
        "http://[::ffff:127.0.0.1]/",
        "http://metadata.google.internal/",
        "http://user-service:8001/",
    ],
)
async def test_internal_urls_are_refused_at_registration(
    client: httpx.AsyncClient, headers_for: Headers, user: uuid.UUID, url: str
) -> None:
    refused = await client.put(HOOK, headers=headers_for(user), json={"url": url})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "webhook_url_not_allowed"
    tricked = await client.put(HOOK, headers=headers_for(user), json={"url": "http://a.io@0/"})
    assert tricked.status_code == 422 and tricked.json()["code"] == "invalid_webhook_url"
    assert (await client.get(HOOK, headers=headers_for(user))).status_code == 404


async def test_a_stored_internal_url_is_refused_at_delivery(
    client: httpx.AsyncClient, db: Database, consumer: str, headers_for: Headers, user: uuid.UUID
) -> None:
    """A webhook stored before the rule (or by hand): the delivery applies it again."""
    async with db.transaction() as session:
        await store.put_webhook(session, user, "http://0x0a000001:9/hook", "s" * 20)
    headers = headers_for(user)
    await deliver(db, consumer, envelope_of(order(user, "expired")))
    dead = await settled(client, headers, "dead")
    assert dead["last_status_code"] is None
    assert dead["last_error"] == "refused: 10.0.0.1 is not a public address"


async def test_deleting_the_webhook_cancels_pending_deliveries(
    client: httpx.AsyncClient,
    db: Database,
    consumer: str,
    headers_for: Headers,
    user: uuid.UUID,
    receiver: tuple[Receiver, str],
) -> None:
    endpoint, url = receiver
    endpoint.statuses = [500]
    headers = headers_for(user)
    await register(client, headers, url)
    await deliver(db, consumer, envelope_of(order(user, "canceled")))
    await eventually(lambda: _received(endpoint))
    assert (await client.delete(HOOK, headers=headers)).status_code == 204
    assert (await settled(client, headers, "canceled"))["attempts"] >= 1


async def _received(endpoint: Receiver) -> bool:
    return bool(endpoint.received)


async def test_no_webhook_no_delivery(
    client: httpx.AsyncClient, db: Database, consumer: str, headers_for: Headers, user: uuid.UUID
) -> None:
    await deliver(db, consumer, envelope_of(order(user, "canceled")))
    assert (await deliveries(client, headers_for(user)))["items"] == []


# -- the queue itself, on a database of its own (no worker competes for its rows) ---------


@pytest.fixture(scope="module")
async def queue_db() -> AsyncIterator[Database]:
    async with migrated_database("bourse_notifications_queue", MIGRATIONS, pool_size=3) as database:
        yield database


async def test_claims_skip_locked_rows_and_leases_expire(queue_db: Database) -> None:
    user_id = uuid.uuid4()
    async with queue_db.transaction() as session:
        await store.put_webhook(session, user_id, "https://hooks.example.com/x", "secret")
        pg = await UnitOfWork(session).pg()
        await inbox.add_all(pg, [(user_id, Draft("order.canceled", "t", "b", "k1"))])
    lease = timedelta(milliseconds=300)

    async with queue_db.transaction() as holder:
        (claimed,) = await store.claim(holder, 10, lease)
        # Another worker, while the first one's claim is uncommitted: skips, never waits.
        async with queue_db.transaction() as other:
            assert await asyncio.wait_for(store.claim(other, 10, lease), 2) == []
    assert (claimed.number, claimed.url, claimed.secret) == (
        1,
        "https://hooks.example.com/x",
        "secret",
    )
    assert json.loads(claimed.body)["notification"]["type"] == "order.canceled"
    async with queue_db.transaction() as session:
        assert await store.claim(session, 10, lease) == []  # leased

    await asyncio.sleep(0.4)  # the first worker "crashed": its lease runs out
    async with queue_db.transaction() as session:
        (retry,) = await store.claim(session, 10, lease)
    assert (retry.delivery_id, retry.number) == (claimed.delivery_id, 2)
    async with queue_db.transaction() as session:  # the crashed worker's late answer
        await store.record(session, claimed, store.Outcome(True, 200), None)
    assert await _status(queue_db, claimed.delivery_id) == ("pending", 2)
    async with queue_db.transaction() as session:
        await store.record(session, retry, store.Outcome(True, 200), None)
    assert await _status(queue_db, claimed.delivery_id) == ("delivered", 2)


async def _status(db: Database, delivery_id: uuid.UUID) -> tuple[str, int]:
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(webhook_deliveries.c.status, webhook_deliveries.c.attempts).where(
                    webhook_deliveries.c.id == delivery_id
                )
            )
        ).one()
    return row.status, row.attempts
