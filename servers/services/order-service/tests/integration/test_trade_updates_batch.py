"""Properties of the trade updates written with the order events a transaction stages:
staging a flow cut into transactions of any sizes, by either staging path, numbers and
stores exactly what one event per transaction gives (ARCHITECTURE §4a): one update per
event, each user's seqs 1..n in staging order, each message byte for byte what the event
published gives; and a transaction that rolls back leaves no update and takes no seq.

Each example draws a flow of order events (status changes, fills, accepted cancels) for
three users, stages it on a database of its own, and compares. (Redeliveries are the
consumers' inbox's: a message applied before stages nothing, test_batch_equivalence.)"""

import uuid
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import OrderStatus, Payload
from bourse.messaging.outbox import stage
from bourse.messaging.uow import UnitOfWork
from bourse.testing.messaging import BATCH_CUTS, batch_property, rows_and_outbox

from order_support import assert_trade_updates_follow, cancel_event, order_event

USERS = [uuid.UUID(int=n) for n in (1, 2, 3)]
STATUSES: list[OrderStatus] = [
    "pending_new", "new", "partially_filled", "filled", "canceled", "rejected", "expired",
    "replaced", "pending_cancel",
]  # fmt: skip

Op = tuple[str, int, int, bool]
ops = st.lists(
    st.tuples(
        st.sampled_from(["order", "order", "order", "cancel"]),
        st.integers(0, 2),
        st.integers(0, 50),
        st.booleans(),  # staged by the unit of work (else on the session)
    ),
    min_size=5,
    max_size=60,
)


def flow(drawn: list[Op]) -> list[tuple[Payload, bool]]:
    out: list[tuple[Payload, bool]] = []
    for kind, who, pick, by_uow in drawn:
        user = USERS[who]
        if kind == "order":
            status = STATUSES[pick % len(STATUSES)]
            fill = ("2", "101.5") if status in ("partially_filled", "filled") else None
            out.append((order_event(user, status, filled_qty="2", avg="101.5", fill=fill), by_uow))
        else:
            out.append((cancel_event(user), by_uow))
    return out


async def staged(db: Database, events: list[tuple[Payload, bool]], *, fails: bool) -> None:
    """Stage ``events`` in one transaction, each by its path; rolled back when ``fails``."""
    try:
        async with db.transaction() as session:
            uow = UnitOfWork(session)
            for payload, by_uow in events:
                if by_uow:
                    uow.stage(payload)
                else:
                    await stage(session, payload)
            await uow.flush()
            if fails:
                raise _RolledBackError
    except _RolledBackError:
        pass


class _RolledBackError(Exception):
    pass


async def empty(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(text("TRUNCATE trade_updates, trade_update_counters, outbox"))


async def cut(
    db: Database, events: list[tuple[Payload, bool]], sizes: list[int], fails: list[bool]
) -> list[tuple[Payload, bool]]:
    """Stage ``events`` in transactions of ``sizes`` (in turn), the n-th failing when
    ``fails[n]`` (in turn); what was committed, in order."""
    await empty(db)
    committed = []
    start, turn = 0, 0
    while start < len(events):
        part = events[start : start + sizes[turn % len(sizes)]]
        failing = bool(fails) and fails[turn % len(fails)]
        await staged(db, part, fails=failing)
        committed += [] if failing else part
        start, turn = start + len(part), turn + 1
    return committed


QUERIES = {
    "updates": "SELECT user_id, seq, event, message::text FROM trade_updates ORDER BY 1, 2",
    "counters": "SELECT user_id, last_seq FROM trade_update_counters ORDER BY 1",
}


async def state(db: Database) -> dict[str, list[Any]]:
    return await rows_and_outbox(db, QUERIES)


async def one_per_transaction(db: Database, events: list[tuple[Payload, bool]]) -> dict[str, Any]:
    await empty(db)
    for event in events:
        await staged(db, [event], fails=False)
    return await state(db)


SETTINGS = batch_property()


@SETTINGS
@given(drawn=ops, sizes=BATCH_CUTS)
async def test_any_cut_into_transactions_gives_what_one_per_transaction_gives(
    log_db: Database, drawn: list[Op], sizes: list[int]
) -> None:
    events = flow(drawn)
    one_by_one = await one_per_transaction(log_db, events)
    await cut(log_db, events, sizes, fails=[])
    batched = await state(log_db)
    assert batched == one_by_one
    assert len(batched["updates"]) == len(events)  # one update per event
    for user in USERS:  # each user's seqs are 1..n
        seqs = [row[1] for row in batched["updates"] if row[0] == user]
        assert seqs == list(range(1, len(seqs) + 1))
    async with log_db.transaction() as session:
        bodies = await session.scalars(text("SELECT body FROM outbox ORDER BY id"))
        published = [Envelope.from_bytes(body) for body in bodies]
    await assert_trade_updates_follow(log_db, published)  # in staging (= outbox) order


@SETTINGS
@given(drawn=ops, sizes=BATCH_CUTS, fails=st.lists(st.booleans(), min_size=1, max_size=8))
async def test_a_rolled_back_transaction_leaves_no_update_and_takes_no_seq(
    log_db: Database, drawn: list[Op], sizes: list[int], fails: list[bool]
) -> None:
    events = flow(drawn)
    committed = await cut(log_db, events, sizes, fails)
    after_failures = await state(log_db)
    assert after_failures == await one_per_transaction(log_db, committed)
