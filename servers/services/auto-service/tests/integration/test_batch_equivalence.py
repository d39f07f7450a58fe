"""Property: applying prices in batches (of any cut) leaves exactly the alert and price
rows and the outbox events (same order) that applying them one at a time leaves
(ARCHITECTURE §4a).

Each example draws a random flow of prices for two symbols (moves up and down across the
alerts' levels, prices older than the one held, repeats under a new message id and
redeliveries) over a fixed set of alerts of every condition, some with an expiry and some
that place an order; applies it once message by message and once cut into random
batches, on a database of its own, and compares."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from bourse.auto.consumers import QUEUE
from bourse.auto.main import MIGRATIONS
from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.testing.infra import migrated_database
from bourse.testing.messaging import (
    BATCH_CUTS,
    applied_both_ways,
    batch_property,
    envelope_of,
    rows_and_outbox,
)

from auto_support import CONSUMED, T0, price

SYMBOLS = ("ACME", "BRK.B")
LEVELS = ("95", "98", "99.5", "100", "100.5", "102", "105")
CONDITIONS = ("above", "below", "crosses_above", "crosses_below")
ORDER = '{"side": "buy", "qty": "2", "type": "market", "time_in_force": "day"}'

Op = tuple[str, int, int, int]
ops = st.lists(
    st.tuples(
        st.sampled_from(["price", "price", "price", "stale", "again", "dup"]),
        st.integers(0, len(SYMBOLS) - 1),
        st.integers(0, len(LEVELS) - 1),
        st.integers(0, 59),
    ),
    min_size=5,
    max_size=50,
)


def flow(drawn: list[Op]) -> list[Envelope]:
    """Prices a second apart (a stale one is dated before the price held), repeats."""
    out: list[Envelope] = []
    for n, (kind, symbol, level, pick) in enumerate(drawn):
        at = T0 + timedelta(seconds=10 * n)
        if kind == "stale":
            at -= timedelta(seconds=15)
        if kind in ("price", "stale"):
            out.append(envelope_of(price(SYMBOLS[symbol], LEVELS[level], at)))
        elif kind == "again" and out:  # the same price under a new message id
            again = out[pick % len(out)]
            out.append(Envelope(type=again.type, payload=again.payload))
        elif kind == "dup" and out:
            out.append(out[pick % len(out)])
    return out


@pytest.fixture(scope="module")
async def alerts_db() -> AsyncIterator[Database]:
    async with migrated_database("bourse_auto_batch", MIGRATIONS) as database:
        yield database


async def fresh(db: Database) -> None:
    """No price held; for each symbol, an alert of every condition at every other level
    (one in three expiring mid-flow, one in four placing an order)."""
    async with db.transaction() as session:
        await session.execute(text("TRUNCATE alerts, prices, outbox, inbox"))
        n = 0
        for symbol in SYMBOLS:
            for condition in CONDITIONS:
                for level in LEVELS[::2]:
                    n += 1
                    expires = T0 + timedelta(seconds=10 * n) if n % 3 == 0 else None
                    await session.execute(
                        text(
                            "INSERT INTO alerts (id, user_id, symbol, condition, price, action,"
                            ' "order", status, expires_at)'
                            " VALUES (:id, :user, :symbol, :condition, :price, :action,"
                            " CAST(:order AS jsonb), 'active', :expires)"
                        ),
                        {
                            "id": uuid.UUID(int=n),
                            "user": uuid.UUID(int=1 + n % 2),
                            "symbol": symbol,
                            "condition": condition,
                            "price": Decimal(level),
                            "action": "order" if n % 4 == 0 else "notify",
                            "order": ORDER if n % 4 == 0 else None,
                            "expires": expires,
                        },
                    )


QUERIES = {
    "alerts": (
        "SELECT id, status, triggered_at, triggered_price, client_order_id FROM alerts ORDER BY id"
    ),
    "prices": "SELECT symbol, price, ts FROM prices ORDER BY symbol",
    "inbox": "SELECT message_id FROM inbox ORDER BY 1",
}


async def state(db: Database) -> dict[str, list[Any]]:
    return await rows_and_outbox(db, QUERIES)


@batch_property()
@given(drawn=ops, sizes=BATCH_CUTS)
async def test_any_cut_into_batches_gives_what_one_at_a_time_gives(
    alerts_db: Database, drawn: list[Op], sizes: list[int]
) -> None:
    one_at_a_time, batched = await applied_both_ways(
        alerts_db, QUEUE, CONSUMED, flow(drawn), sizes, reset=fresh, read=state
    )
    assert batched == one_at_a_time


async def test_the_flow_fires_and_expires_alerts(alerts_db: Database) -> None:
    """The fixture's alerts fire, expire and order (a guard against a property that
    compares nothing)."""
    drawn: list[Op] = [("price", 0, 3, 0), ("price", 0, 0, 0), ("price", 0, 6, 0)]
    drawn += [("price", 1, 3, 0)] + [("price", 1, 1, 0)] * 25
    one_at_a_time, batched = await applied_both_ways(
        alerts_db, QUEUE, CONSUMED, flow(drawn), [4], reset=fresh, read=state
    )
    assert batched == one_at_a_time
    statuses = {row[1] for row in batched["alerts"]}
    assert {"active", "triggered", "expired"} <= statuses
    types = {event[0] for event in batched["outbox"]}
    assert types == {"alert.triggered", "auto.order_requested"}
