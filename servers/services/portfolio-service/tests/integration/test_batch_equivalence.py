"""Property: applying messages in batches (of any cut) leaves exactly the rows and the
outbox events (same order) that applying them one at a time leaves (ARCHITECTURE §4a).

Each example draws a random flow of fills (some repeated under a new message id), cash
updates and prices (both out of time order), securities deposits and redeliveries for
three users and two symbols, applies it once message by message and once cut into random
batches, on the real database, and compares."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import Side
from bourse.portfolio.consumers import QUEUE
from bourse.testing.messaging import (
    BATCH_CUTS,
    applied_both_ways,
    batch_property,
    envelope_of,
    rows_and_outbox,
)
from bourse.testing.portfolio import cash, fill, price, securities

from portfolio_support import HANDLERS

USERS = [uuid.UUID(int=n) for n in (1, 2, 3)]
SYMBOLS = ["ACME", "BOLT"]
T0 = datetime(2026, 3, 9, 14, tzinfo=UTC)
TABLES = "positions, fills, securities_deposits, accounts, prices, outbox, inbox"

Op = tuple[str, int, int, int]
ops = st.lists(
    st.tuples(
        st.sampled_from(["buy", "sell", "refill", "cash", "price", "deposit", "dup"]),
        st.integers(0, 5),
        st.integers(1, 9),
        st.integers(0, 50),
    ),
    min_size=10,
    max_size=60,
)


def flow(drawn: list[Op]) -> list[Envelope]:
    """The envelopes a consumer would receive for the drawn operations."""
    out: list[Envelope] = []
    fills: list[Envelope] = []
    for kind, who, n, pick in drawn:
        user, symbol, at = USERS[who % 3], SYMBOLS[who % 2], T0 + timedelta(seconds=pick)
        if kind in {"buy", "sell"}:
            side: Side = "buy" if kind == "buy" else "sell"
            out.append(envelope_of(fill(user, symbol, side, str(n), f"{90 + pick}.5")))
            fills.append(out[-1])
        elif kind == "refill" and fills:  # the same fill again, as a new message
            again = fills[pick % len(fills)]
            out.append(Envelope(type=again.type, payload=again.payload))
        elif kind == "cash":  # occurred_at out of order: older states must be ignored
            out.append(envelope_of(cash(user, str(1000 * n), str(n)), occurred_at=at))
        elif kind == "price":
            out.append(envelope_of(price(symbol, f"{100 + n}", at)))
        elif kind == "deposit":
            out.append(envelope_of(securities(user, symbol, str(n))))
        elif kind == "dup" and out:
            out.append(out[pick % len(out)])
    return out


async def empty(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(text(f"TRUNCATE {TABLES}"))


QUERIES = {
    "positions": "SELECT user_id, symbol, qty, cost, realized_pl FROM positions ORDER BY 1, 2",
    "fills": "SELECT id, order_id, user_id, symbol, side, qty, price, ts FROM fills ORDER BY 1",
    "deposits": ("SELECT id, user_id, symbol, qty, cost_price FROM securities_deposits ORDER BY 1"),
    "accounts": "SELECT user_id, cash, reserved_cash, as_of FROM accounts ORDER BY 1",
    "prices": "SELECT symbol, price, ts FROM prices ORDER BY 1",
    "inbox": "SELECT message_id FROM inbox ORDER BY 1",
}


async def state(db: Database) -> dict[str, list[Any]]:
    """Every row that matters, in a stable order; outbox events in publishing order."""
    return await rows_and_outbox(db, QUERIES)


@batch_property(max_examples=60)
@given(drawn=ops, sizes=BATCH_CUTS)
async def test_any_cut_into_batches_gives_what_one_at_a_time_gives(
    ledger: Database, drawn: list[Op], sizes: list[int]
) -> None:
    one_at_a_time, batched = await applied_both_ways(
        ledger, QUEUE, HANDLERS, flow(drawn), sizes, reset=empty, read=state
    )
    assert batched == one_at_a_time
