"""Property: the trade updates consumer numbers and stores, cut into batches of any sizes,
exactly the rows that applying its messages one at a time gives (ARCHITECTURE §4a); and a
redelivery of any subset of the messages afterwards changes nothing (inbox).

Each example draws a flow of order events (status changes, fills, accepted cancels) for
three users, with repeated deliveries of one message, applies it once message by
message and once cut into random batches, on a database of its own, and compares."""

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
    TRADE_UPDATE_HANDLERS,
    TRADE_UPDATES_CONSUMER,
    cancel_requested,
    deliver_trade_updates,
    order,
)

USERS = [uuid.UUID(int=n) for n in (1, 2, 3)]
STATUSES: list[OrderStatus] = [
    "pending_new", "new", "partially_filled", "filled", "canceled", "rejected", "expired",
    "replaced", "pending_cancel",
]  # fmt: skip

Op = tuple[str, int, int]
ops = st.lists(
    st.tuples(
        st.sampled_from(["order", "order", "order", "cancel", "dup"]),
        st.integers(0, 2),
        st.integers(0, 50),
    ),
    min_size=5,
    max_size=60,
)


def flow(drawn: list[Op]) -> list[Envelope]:
    out: list[Envelope] = []
    for kind, who, pick in drawn:
        user = USERS[who]
        if kind == "order":
            status = STATUSES[pick % len(STATUSES)]
            fill = ("2", "101.5") if status in ("partially_filled", "filled") else None
            changed = order(user, status, filled_qty="2", avg="101.5", fill=fill)
            out.append(envelope_of(changed))
        elif kind == "cancel":
            out.append(envelope_of(cancel_requested(user)))
        elif kind == "dup" and out:  # the same message delivered again
            out.append(out[pick % len(out)])
    return out


@pytest.fixture(scope="module")
async def stream_db() -> AsyncIterator[Database]:
    async with migrated_database("bourse_trade_updates_batch", MIGRATIONS) as database:
        yield database


async def empty(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(text("TRUNCATE trade_updates, trade_update_counters, inbox"))


QUERIES = {
    "updates": "SELECT user_id, seq, event, message::text FROM trade_updates ORDER BY 1, 2",
    "counters": "SELECT user_id, last_seq FROM trade_update_counters ORDER BY 1",
    "inbox": "SELECT message_id FROM inbox ORDER BY 1",
}


async def state(db: Database) -> dict[str, list[Any]]:
    return await rows_and_outbox(db, QUERIES)


SETTINGS = batch_property()


@SETTINGS
@given(drawn=ops, sizes=BATCH_CUTS)
async def test_any_cut_into_batches_gives_what_one_at_a_time_gives(
    stream_db: Database, drawn: list[Op], sizes: list[int]
) -> None:
    envelopes = flow(drawn)
    one_at_a_time, batched = await applied_both_ways(
        stream_db,
        TRADE_UPDATES_CONSUMER,
        TRADE_UPDATE_HANDLERS,
        envelopes,
        sizes,
        reset=empty,
        read=state,
    )
    assert batched == one_at_a_time
    distinct = len({envelope.message_id for envelope in envelopes})
    assert len(batched["updates"]) == distinct  # one update per message, a repeat none
    for user in USERS:  # each user's seqs are 1..n, in message order
        seqs = [row[1] for row in batched["updates"] if row[0] == user]
        assert seqs == list(range(1, len(seqs) + 1))


@SETTINGS
@given(drawn=ops, again=st.lists(st.integers(0, 59), max_size=15), sizes=BATCH_CUTS)
async def test_redelivering_any_subset_changes_nothing(
    stream_db: Database, drawn: list[Op], again: list[int], sizes: list[int]
) -> None:
    envelopes = flow(drawn)
    await empty(stream_db)
    await deliver_trade_updates(stream_db, envelopes)
    before = await state(stream_db)
    repeated = [envelopes[i % len(envelopes)] for i in again] if envelopes else []
    start, turn = 0, 0
    while start < len(repeated):
        size = sizes[turn % len(sizes)]
        assert await deliver_trade_updates(stream_db, repeated[start : start + size]) == []
        start, turn = start + size, turn + 1
    assert await state(stream_db) == before
