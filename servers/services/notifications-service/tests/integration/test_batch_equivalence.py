"""Property: applying messages in batches (of any cut) stores exactly the notifications
and webhook deliveries, in the same order, that applying them one at a time stores
(ARCHITECTURE §4a).

Each example draws a random flow of order changes (the same cause again under a new
message id included), auto runs, alerts, deposits and registrations for three users, one
of whom has a webhook, plus redeliveries; applies it once message by message and once cut
into random batches, on a database of its own, and compares."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import OrderStatus
from bourse.notifications.main import MIGRATIONS
from bourse.testing.infra import migrated_database
from bourse.testing.messaging import (
    BATCH_CUTS,
    applied_both_ways,
    batch_property,
    envelope_of,
    rows_and_outbox,
)

from notifications_support import (
    HANDLERS,
    account,
    alert,
    auto_run,
    order,
    registered,
)

USERS = [uuid.UUID(int=n) for n in (1, 2, 3)]
HOOKED = USERS[0]
STATUSES: list[OrderStatus] = ["new", "partially_filled", "filled", "canceled", "rejected"]
CONSUMER = "notifications.events"

Op = tuple[str, int, int]
ops = st.lists(
    st.tuples(
        st.sampled_from(["order", "again", "run", "alert", "deposit", "hello", "dup"]),
        st.integers(0, 2),
        st.integers(0, 50),
    ),
    min_size=10,
    max_size=60,
)


def flow(drawn: list[Op]) -> list[Envelope]:
    out: list[Envelope] = []
    for kind, who, pick in drawn:
        user = USERS[who]
        if kind == "order":
            status = STATUSES[pick % len(STATUSES)]
            fill = ("2", "101.5") if status in ("partially_filled", "filled") else None
            out.append(envelope_of(order(user, status, filled_qty="2", avg="101.5", fill=fill)))
        elif kind == "again" and out:  # the same cause, published again under a new id
            again = out[pick % len(out)]
            out.append(Envelope(type=again.type, payload=again.payload))
        elif kind == "run":
            out.append(envelope_of(auto_run(user, "succeeded" if pick % 2 else "failed", "x")))
        elif kind == "alert":
            out.append(envelope_of(alert(user)))
        elif kind == "deposit":
            out.append(envelope_of(account(user, "deposit" if pick % 3 else "reservation")))
        elif kind == "hello":
            out.append(envelope_of(registered(user)))
        elif kind == "dup" and out:
            out.append(out[pick % len(out)])
    return out


@pytest.fixture(scope="module")
async def inbox_db() -> AsyncIterator[Database]:
    async with migrated_database("bourse_notifications_batch", MIGRATIONS) as database:
        yield database


async def empty(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(text("TRUNCATE notifications, webhooks, inbox CASCADE"))
        await session.execute(
            text("INSERT INTO webhooks (user_id, url, secret) VALUES (:u, 'https://h.test/', 's')"),
            {"u": HOOKED},
        )


QUERIES = {
    "notifications": (
        "SELECT user_id, type, title, body, data, source_key FROM notifications ORDER BY id"
    ),
    "deliveries": (
        "SELECT d.user_id, n.source_key FROM webhook_deliveries d"
        " JOIN notifications n ON n.id = d.notification_id ORDER BY d.id"
    ),
    "inbox": "SELECT message_id FROM inbox ORDER BY 1",
}


async def state(db: Database) -> dict[str, list[Any]]:
    """Notifications and deliveries in the order they were made (ids are UUIDv7)."""
    return await rows_and_outbox(db, QUERIES)


@batch_property()
@given(drawn=ops, sizes=BATCH_CUTS)
async def test_any_cut_into_batches_gives_what_one_at_a_time_gives(
    inbox_db: Database, drawn: list[Op], sizes: list[int]
) -> None:
    one_at_a_time, batched = await applied_both_ways(
        inbox_db, CONSUMER, HANDLERS, flow(drawn), sizes, reset=empty, read=state
    )
    assert batched == one_at_a_time
