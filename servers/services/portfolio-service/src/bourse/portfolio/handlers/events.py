"""What portfolio-service does with the events it consumes, a batch at a time
(ARCHITECTURE §4a): record the batch's fills with one statement, lock the positions and
accounts it changes once, apply its events in message order to in-memory copies, write
each table back once. A change a user can see is announced as ``PortfolioUpdated``
through the outbox, so every instance learns of it only once it is committed."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bourse.contracts import Envelope
from bourse.contracts.events import (
    AccountUpdated,
    PortfolioUpdated,
    PriceChanged,
    SecuritiesDeposited,
)
from bourse.messaging.outbox import stage
from bourse.messaging.uow import Event, UnitOfWork
from bourse.portfolio import store
from bourse.portfolio.domain.books import apply
from bourse.portfolio.domain.positions import ZERO

PortfolioEvent = AccountUpdated | PriceChanged


async def on_portfolio_events(uow: UnitOfWork, events: Sequence[Event[PortfolioEvent]]) -> None:
    """Settled fills (with their cash), deposits, withdrawals and prices of one batch."""
    pg = await uow.pg()
    payloads = [event.payload for event in events]
    updates = [p for p in payloads if isinstance(p, AccountUpdated)]
    new_fills = await store.record_fills(pg, _fill_rows(updates))
    traded = [
        (u.user_id, u.settled.symbol)
        for u in updates
        if u.settled is not None and u.settled.fill.id in new_fills
    ]
    books = await store.lock_books(
        pg,
        new_fills,
        set(traded),
        {u.user_id for u in updates},
        {symbol for _, symbol in traded}
        | {p.symbol for p in payloads if isinstance(p, PriceChanged)},
    )
    for event in events:
        uow.stage(*apply(books, event.payload, event.envelope.occurred_at), cause=event)
    await store.save_books(pg, books)


def _fill_rows(updates: list[AccountUpdated]) -> list[tuple[object, ...]]:
    """The fills to record, each id once (its first copy), in id order: two batches
    that record the same fills take their row locks in the same order."""
    rows: dict[object, tuple[object, ...]] = {}
    for update in updates:
        settled = update.settled
        if settled is not None and settled.fill.id not in rows:
            fill = settled.fill
            rows[fill.id] = (
                fill.id,
                settled.order_id,
                update.user_id,
                settled.symbol,
                settled.side,
                fill.qty,
                fill.price,
                fill.ts,
            )
    return [rows[key] for key in sorted(rows, key=str)]


async def on_securities_deposited(
    session: AsyncSession, _: Envelope, event: SecuritiesDeposited
) -> None:
    """Shares transferred in from another broker, booked at the last price known for the
    symbol when the deposit is applied (0 when none is known: the cost elsewhere is not
    known here, and a made-up basis would invent P&L). Once per deposit id."""
    price = await store.last_price(session, event.symbol) or ZERO
    first = await store.record_deposit(
        session,
        id=event.deposit_id,
        user_id=event.user_id,
        symbol=event.symbol,
        qty=event.qty,
        cost_price=price,
    )
    if not first:
        return
    position = await store.lock_position(session, event.user_id, event.symbol)
    await store.save_position(
        session, event.user_id, event.symbol, position.trade(event.qty, price)
    )
    updated = PortfolioUpdated(
        user_id=event.user_id, reason="securities_deposit", symbols=[event.symbol]
    )
    await stage(session, updated)
