"""Use cases, one per event, each inside the consumer's transaction. A change that a
user can see is announced as ``PortfolioUpdated`` through the outbox, so every instance
learns about it only once it is committed."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bourse.contracts.events import (
    AccountUpdated,
    Fill,
    OrderSnapshot,
    PortfolioUpdated,
    PriceChanged,
    SecuritiesDeposited,
)
from bourse.messaging.outbox import stage
from bourse.portfolio import store
from bourse.portfolio.domain.positions import ZERO


async def apply_fill(session: AsyncSession, order: OrderSnapshot, fill: Fill) -> bool:
    """Trade the order's position by the fill, once per fill id; True when applied now."""
    first = await store.record_fill(
        session,
        id=fill.id,
        order_id=order.id,
        user_id=order.user_id,
        symbol=order.symbol,
        side=order.side,
        qty=fill.qty,
        price=fill.price,
        ts=fill.ts,
    )
    if not first:
        return False
    position = await store.lock_position(session, order.user_id, order.symbol)
    position = position.fill(order.side, fill.qty, fill.price)
    await store.save_position(session, order.user_id, order.symbol, position)
    await store.seed_price(session, order.symbol, fill.price)
    await stage(
        session, PortfolioUpdated(user_id=order.user_id, reason="fill", symbols=[order.symbol])
    )
    return True


async def update_cash(session: AsyncSession, event: AccountUpdated, occurred_at: datetime) -> bool:
    """Take the account's cash as of ``occurred_at`` (an older state is ignored: events
    may arrive out of order); True when the cash a user sees changed."""
    previous = await store.set_cash(
        session, event.user_id, event.cash, event.reserved_cash, occurred_at
    )
    if previous is None or previous == event.cash:
        return False  # older, or only the reserved part moved: nothing visible changed
    await stage(session, PortfolioUpdated(user_id=event.user_id, reason="cash"))
    return True


async def deposit_securities(session: AsyncSession, event: SecuritiesDeposited) -> bool:
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
        return False
    position = await store.lock_position(session, event.user_id, event.symbol)
    await store.save_position(
        session, event.user_id, event.symbol, position.trade(event.qty, price)
    )
    updated = PortfolioUpdated(
        user_id=event.user_id, reason="securities_deposit", symbols=[event.symbol]
    )
    await stage(session, updated)
    return True


async def record_price(session: AsyncSession, event: PriceChanged) -> None:
    """Live feeds take prices from their own fan-out queues; this keeps the last price of
    every symbol for valuations read from the database (API, samples, deposits)."""
    await store.set_price(session, event.symbol, event.price, event.ts)
