"""Property: applying messages in batches (of any cut) leaves exactly the rows and the
outbox events (same order) that applying them one at a time leaves (ARCHITECTURE §4a).

Each example draws a random flow of risk requests, fills (some repeated under a new
message id), cancels and redeliveries for three users, applies it once message by
message and once cut into random batches, on the real database, and compares."""

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import OrderStatus, RiskRequested
from bourse.testing.messaging import (
    BATCH_CUTS,
    applied_both_ways,
    batch_property,
    envelope_of,
    rows_and_outbox,
)

from trader_support import CONSUMER, HANDLERS, fill, order_changed, risk

USERS = [uuid.UUID(int=n) for n in (1, 2, 3)]
CASH, SHARES = Decimal(1_000_000), Decimal(1_000)
TABLES = "accounts, holdings, reservations, activities, outbox, inbox"

Op = tuple[str, int, int, int]
ops = st.lists(
    st.tuples(
        st.sampled_from(["buy", "sell", "bad", "fill", "refill", "cancel", "dup"]),
        st.integers(0, 2),
        st.integers(1, 5),
        st.integers(0, 50),
    ),
    min_size=10,
    max_size=60,
)


@dataclass
class Order:
    request: RiskRequested
    qty: int
    filled: int = 0
    ended: bool = False


@dataclass
class Flow:
    """Turns drawn operations into the envelopes a consumer would receive."""

    envelopes: list[Envelope] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    fills: list[Envelope] = field(default_factory=list)

    def add(self, op: Op) -> None:
        kind, user, qty, pick = op
        if kind in ("buy", "sell", "bad"):
            self._request(kind, USERS[user], qty)
        elif kind == "dup" and self.envelopes:
            self.envelopes.append(self.envelopes[pick % len(self.envelopes)])
        elif kind == "refill" and self.fills:  # the same fill again, as a new message
            again = self.fills[pick % len(self.fills)]
            self.envelopes.append(Envelope(type=again.type, payload=again.payload))
        elif kind in ("fill", "cancel"):
            self._change(kind, qty, pick)

    def _request(self, kind: str, user: uuid.UUID, qty: int) -> None:
        if kind == "buy":
            request = risk(user, "buy", cash=str(qty * 10))
        elif kind == "sell":
            request = risk(user, "sell", qty=str(qty))
        else:  # nothing to hold: rejected
            request = risk(user, "buy", cash="0")
        self.envelopes.append(envelope_of(request))
        if kind != "bad":
            self.orders.append(Order(request, qty))

    def _change(self, kind: str, qty: int, pick: int) -> None:
        live = [order for order in self.orders if not order.ended]
        if not live:
            return
        order = live[pick % len(live)]
        if kind == "cancel":
            order.ended = True
            change = order_changed(order.request, "canceled", str(order.filled))
            self.envelopes.append(envelope_of(change))
            return
        qty = min(qty, order.qty - order.filled)
        order.filled += qty
        order.ended = order.filled == order.qty
        status: OrderStatus = "filled" if order.ended else "partially_filled"
        price = "10" if pick % 2 else "9.5"
        fee = "0.05" if pick % 3 else "0"  # a fee entry, and the house account credited
        made = fill(str(qty), price, fee=fee)
        change = order_changed(order.request, status, str(order.filled), made)
        self.envelopes.append(envelope_of(change))
        self.fills.append(self.envelopes[-1])


async def fresh_ledger(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(text(f"TRUNCATE {TABLES}"))
        for user in USERS:
            await session.execute(
                text("INSERT INTO accounts (user_id, cash) VALUES (:u, :c)"),
                {"u": user, "c": CASH},
            )
            await session.execute(
                text("INSERT INTO holdings (user_id, symbol, qty) VALUES (:u, 'ACME', :q)"),
                {"u": user, "q": SHARES},
            )


QUERIES = {
    "accounts": "SELECT user_id, cash, reserved_cash FROM accounts ORDER BY user_id",
    "holdings": "SELECT user_id, symbol, qty, reserved_qty FROM holdings ORDER BY 1, 2",
    "reservations": (
        "SELECT order_id, user_id, symbol, side, cash_remaining, qty_remaining,"
        " filled_qty_applied, final_filled_qty, status, reject_reason"
        " FROM reservations ORDER BY order_id"
    ),
    "activities": (
        "SELECT user_id, type, amount, symbol, qty, price, side, order_id, fill_id"
        " FROM activities ORDER BY id"
    ),
    "inbox": "SELECT message_id FROM inbox ORDER BY message_id",
}


async def state(db: Database) -> dict[str, list[Any]]:
    """Every row that matters, in a stable order; outbox events in publishing order."""
    return await rows_and_outbox(db, QUERIES)


@batch_property(max_examples=60)
@given(drawn=ops, sizes=BATCH_CUTS)
async def test_any_cut_into_batches_gives_what_one_at_a_time_gives(
    ledger: Database, drawn: list[Op], sizes: list[int]
) -> None:
    flow = Flow()
    for op in drawn:
        flow.add(op)
    one_at_a_time, batched = await applied_both_ways(
        ledger, CONSUMER, HANDLERS, flow.envelopes, sizes, reset=fresh_ledger, read=state
    )
    assert batched == one_at_a_time
