"""Property: applying risk answers and execution reports in batches (of any cut) leaves
exactly the order rows, fills, outbox events (same order) and trade updates that applying
them one at a time leaves (ARCHITECTURE §4a); and either way, every order event in the
outbox has exactly its trade update, in the outbox's order (each user's seqs 1..n).

Each example draws a random flow over twelve orders: risk answers (some for orders whose
owner cancelled meanwhile), engine acceptances, trades between any two orders, cancels,
reports repeated under a new message id and redeliveries; applies it once message by
message and once cut into random batches, on a database of its own, and compares. Times
and fill ids are made at application time, so they are left out of the comparison."""

import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from bourse.common.db import Database
from bourse.common.driven import DrivenTransaction
from bourse.contracts import Envelope
from bourse.contracts.events import EngineEvent, ExecutionsReported, RiskAccepted, RiskRejected
from bourse.messaging.consumer import apply_batch, batch_handlers
from bourse.messaging.staging import observe_staging
from bourse.messaging.uow import run_unit
from bourse.order.config import Settings
from bourse.order.consumers import subscriptions
from bourse.order.main import MIGRATIONS
from bourse.testing.infra import migrated_database
from bourse.testing.messaging import (
    BATCH_CUTS,
    applied_both_ways,
    batch_property,
    decoded,
    envelope_of,
    rows_and_outbox,
)

from order_support import PublishingLog, assert_trade_updates_follow

ORDERS = 12
USERS = [uuid.UUID(int=n) for n in (1, 2, 3)]
EPOCH = uuid.UUID("01900000-0000-7000-8000-000000000001")
CONSUMER = "order.test"
HANDLERS = {
    kind: handler
    for sub in subscriptions(Settings(database_url="postgresql+asyncpg://unused/x"))
    for kind, handler in batch_handlers(sub.handlers, sub.batch).items()
}

Op = tuple[str, int, int, int]
ops = st.lists(
    st.tuples(
        st.sampled_from(["accept", "reject", "rest", "trade", "cancel", "again", "dup"]),
        st.integers(0, ORDERS - 1),
        st.integers(0, ORDERS - 1),
        st.integers(1, 6),
    ),
    min_size=10,
    max_size=60,
)


def order_id(n: int) -> uuid.UUID:
    return uuid.UUID(int=1000 + n)


def report(seq: int, *events: EngineEvent) -> Envelope:
    payload = ExecutionsReported(
        symbol="AAPL",
        command_id=uuid.uuid4(),
        first_seq=seq,
        events=list(events),
        epoch=EPOCH,
        shard=0,
    )
    return envelope_of(payload)


def flow(drawn: list[Op]) -> list[Envelope]:
    out: list[Envelope] = []
    seq = 1
    for kind, a, b, qty in drawn:
        ids = {"order_id": order_id(a), "user_id": USERS[a % 3]}
        if kind == "accept":
            out.append(envelope_of(RiskAccepted(**ids)))
        elif kind == "reject":
            out.append(envelope_of(RiskRejected(**ids, reason="insufficient_buying_power")))
        elif kind == "rest":
            out.append(report(seq, EngineEvent(type="accepted", id=a + 1)))
        elif kind == "trade" and a != b:
            trade = EngineEvent(type="trade", taker=a + 1, maker=b + 1, price=10_000, qty=qty)
            out.append(report(seq, trade))
        elif kind == "cancel":
            out.append(report(seq, EngineEvent(type="canceled", id=a + 1, reason="user")))
        elif kind == "again" and out:  # the same payload under a new message id
            again = out[qty % len(out)]
            out.append(Envelope(type=again.type, payload=again.payload))
        elif kind == "dup" and out:
            out.append(out[qty % len(out)])
        seq += 1
    return out


@pytest.fixture(scope="module")
async def orders_db() -> AsyncIterator[Database]:
    async with migrated_database("bourse_order_batch", MIGRATIONS) as database:
        observe_staging(database, PublishingLog())  # the service's log, every event published
        yield database


async def fresh(db: Database) -> None:
    """Twelve limit orders of 10 at 100: the even ones already on the exchange, every
    third one cancelled by its owner while its risk check ran."""
    async with db.transaction() as session:
        await session.execute(text("TRUNCATE orders, fills, instruments, exchange_epochs"))
        await session.execute(text("TRUNCATE outbox, inbox, trade_updates, trade_update_counters"))
        await session.execute(
            text(
                "INSERT INTO instruments (symbol, tick_size, lot_size, status, last_price)"
                " VALUES ('AAPL', 0.01, 1, 'trading', 100)"
            )
        )
        await session.execute(
            text("INSERT INTO exchange_epochs (epoch, shard) VALUES (:e, 0)"), {"e": EPOCH}
        )
        for n in range(ORDERS):
            await session.execute(
                text(
                    "INSERT INTO orders (id, user_id, symbol, side, type, time_in_force, qty,"
                    " limit_price, status, engine_id, reserve_cash, reserve_qty,"
                    " sent_to_exchange, cancel_requested)"
                    " VALUES (:id, :user, 'AAPL', :side, 'limit', 'gtc', 10, 100,"
                    " 'pending_new', :engine, 1000, 0, :sent, :cancel)"
                ),
                {
                    "id": order_id(n),
                    "user": USERS[n % 3],
                    "side": "buy" if n % 2 else "sell",
                    "engine": n + 1,
                    "sent": n % 2 == 0,
                    "cancel": n % 3 == 0,
                },
            )


QUERIES = {
    "orders": (
        "SELECT id, status, filled_qty, filled_notional, reject_reason, sent_to_exchange,"
        " exchange_epoch, filled_at IS NULL, canceled_at IS NULL FROM orders ORDER BY id"
    ),
    "fills": (
        "SELECT order_id, user_id, side, qty, price, liquidity, trade_id FROM fills ORDER BY id"
    ),
    "inbox": "SELECT message_id FROM inbox ORDER BY 1",
}


async def state(db: Database) -> dict[str, list[Any]]:
    """The rows, the outbox and the trade updates, once it is checked that every order
    event in the outbox has exactly its trade update."""
    async with db.transaction() as session:
        bodies = await session.scalars(text("SELECT body FROM outbox ORDER BY id"))
        published = [Envelope.from_bytes(body) for body in bodies]
        updates = await session.execute(
            text("SELECT user_id, seq, message::text FROM trade_updates ORDER BY 1, 2")
        )
    await assert_trade_updates_follow(db, published)
    found = await rows_and_outbox(db, QUERIES, _published)
    found["trade_updates"] = [(user, seq, _update(json.loads(m))) for user, seq, m in updates]
    return found


ORDER_TIMES = ("created_at", "filled_at", "canceled_at")


def _order(order: dict[str, Any]) -> dict[str, Any]:
    """Times made at application (or set-up) time: only whether set."""
    return {k: v is None if k in ORDER_TIMES else v for k, v in order.items() if k != "updated_at"}


def _published(envelope: Envelope) -> tuple[str, str | None, dict[str, Any]]:
    payload = dict(envelope.payload)
    if "order" in payload:
        payload["order"] = _order(payload["order"])
    if payload.get("fill"):
        payload["fill"] = {k: v for k, v in payload["fill"].items() if k not in ("id", "ts")}
    return envelope.type, envelope.causation_id, payload


def _update(message: dict[str, Any]) -> dict[str, Any]:
    return {**message, "order": _order(message["order"]), "timestamp": None}


@batch_property()
@given(drawn=ops, sizes=BATCH_CUTS)
async def test_any_cut_into_batches_gives_what_one_at_a_time_gives(
    orders_db: Database, drawn: list[Op], sizes: list[int]
) -> None:
    one_at_a_time, batched = await applied_both_ways(
        orders_db, CONSUMER, HANDLERS, flow(drawn), sizes, reset=fresh, read=state
    )
    assert batched == one_at_a_time


def test_the_flow_exercises_fills() -> None:
    """The generator can make trades (a guard against a flow that tests nothing)."""
    envelopes = flow([("trade", 0, 1, 3), ("rest", 2, 0, 1)])
    assert [e.type for e in envelopes] == [ExecutionsReported.TYPE] * 2
    assert Decimal(envelopes[0].payload["events"][0]["qty"]) == 3


async def test_a_batch_of_simple_orders_needs_no_session(
    orders_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Risk answers and reports that fill, cancel and reject simple orders run on the
    driven transaction alone: only a classed order (an entry's exits, a take-profit's
    stop-loss, a held order) takes the session's cold path."""
    await fresh(orders_db)
    drawn: list[Op] = [("accept", n, 0, 1) for n in range(ORDERS) if n != 1]
    drawn += [("reject", 1, 0, 1), ("rest", 2, 0, 1), ("trade", 5, 4, 10)]
    drawn += [("trade", 7, 8, 4), ("cancel", 8, 0, 1)]
    events = [decoded(envelope) for envelope in flow(drawn)]

    def no_session(_: DrivenTransaction) -> None:
        raise AssertionError("the batch made a session")

    monkeypatch.setattr(DrivenTransaction, "session", property(no_session))
    await run_unit(orders_db, lambda uow: apply_batch(uow, HANDLERS, events))

    found = await state(orders_db)
    statuses = {row[0]: row[1] for row in found["orders"]}
    assert statuses[order_id(1)] == "rejected"
    assert statuses[order_id(3)] == "canceled"  # its owner cancelled during the check
    assert statuses[order_id(2)] == "new"
    assert statuses[order_id(4)] == statuses[order_id(5)] == "filled"
    assert statuses[order_id(7)] == "partially_filled"
    assert statuses[order_id(8)] == "canceled"
    assert len(found["fills"]) == 4  # each trade fills both sides
