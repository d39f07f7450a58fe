"""The event handlers on a real database, delivered as the consumer delivers them (inbox
first, one transaction): positions from fills exactly once, cash newest-first, securities
deposits at the last known price, prices, what is announced, and equity samples."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.messaging.tables import outbox
from bourse.portfolio.db import equity_samples, positions, prices
from bourse.portfolio.domain.books import SEEDED
from bourse.portfolio.domain.positions import Position
from bourse.portfolio.queries import load_book
from bourse.portfolio.sampler import sample_equity, sample_forever
from bourse.testing.portfolio import cash, fill, price, securities

from portfolio_support import deliver

D = Decimal
T0 = datetime(2026, 3, 9, 14, tzinfo=UTC)


async def position(db: Database, user_id: uuid.UUID, symbol: str) -> Position | None:
    book = await load_book(db, user_id)
    return book.positions.get(symbol)


async def announced(db: Database, user_id: uuid.UUID) -> list[tuple[str, list[str]]]:
    """The PortfolioUpdated events staged for ``user_id``: (reason, symbols)."""
    async with db.transaction() as session:
        bodies = await session.scalars(
            select(outbox.c.body)
            .where(outbox.c.routing_key == "portfolio.updated")
            .order_by(outbox.c.id)
        )
        events = [Envelope.from_bytes(body).payload for body in bodies]
    return [(e["reason"], e["symbols"]) for e in events if e["user_id"] == str(user_id)]


async def test_fills_build_the_position(ledger: Database, symbol: str) -> None:
    user = uuid.uuid4()
    order = uuid.uuid4()
    await deliver(ledger, fill(user, symbol, "buy", "10", "100", order_id=order))
    await deliver(ledger, fill(user, symbol, "buy", "10", "110", order_id=order))
    await deliver(ledger, fill(user, symbol, "sell", "5", "120"))
    held = await position(ledger, user, symbol)
    assert held is not None
    assert (held.qty, held.avg_cost, held.realized_pl) == (D(15), D(105), D(75))
    assert await announced(ledger, user) == [("fill", [symbol])] * 3


async def test_a_fill_is_applied_once_whatever_carries_it(ledger: Database, symbol: str) -> None:
    user, message, fill_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    event = fill(user, symbol, "buy", "3", "10", fill_id=fill_id)
    assert await deliver(ledger, event, message_id=message)
    assert not await deliver(ledger, event, message_id=message)  # a redelivery: the inbox
    assert await deliver(ledger, event)  # the same fill in another message: its fill id
    held = await position(ledger, user, symbol)
    assert held == Position(D(3), D(30), D(0))
    assert await announced(ledger, user) == [("fill", [symbol])]


async def test_a_fill_seeds_the_price_of_a_symbol_never_priced(
    ledger: Database, symbol: str
) -> None:
    await deliver(ledger, fill(uuid.uuid4(), symbol, "buy", "1", "42"))
    assert await price_of(ledger, symbol) == (D(42), SEEDED)
    await deliver(ledger, price(symbol, "43", T0))
    await deliver(ledger, fill(uuid.uuid4(), symbol, "buy", "1", "44"))  # known: not seeded
    assert await price_of(ledger, symbol) == (D(43), T0)


async def test_the_newest_price_wins(ledger: Database, symbol: str) -> None:
    await deliver(ledger, price(symbol, "10", T0 + timedelta(seconds=2)))
    await deliver(ledger, price(symbol, "9", T0 + timedelta(seconds=1)))  # late: ignored
    assert await price_of(ledger, symbol) == (D(10), T0 + timedelta(seconds=2))
    await deliver(ledger, price(symbol, "11", T0 + timedelta(seconds=3)))
    assert await price_of(ledger, symbol) == (D(11), T0 + timedelta(seconds=3))


async def price_of(db: Database, symbol: str) -> tuple[Decimal, datetime]:
    async with db.transaction() as session:
        row = (await session.execute(select(prices).where(prices.c.symbol == symbol))).one()
    return row.price, row.ts


async def test_cash_is_the_newest_state_and_announced_when_it_moves(ledger: Database) -> None:
    user = uuid.uuid4()
    await deliver(ledger, cash(user, "100"), occurred_at=T0)
    await deliver(ledger, cash(user, "100", reserved="40"), occurred_at=T0 + timedelta(seconds=1))
    await deliver(ledger, cash(user, "70"), occurred_at=T0 + timedelta(seconds=3))
    await deliver(ledger, cash(user, "55"), occurred_at=T0 + timedelta(seconds=2))  # late
    assert (await load_book(ledger, user)).cash == D(70)
    # Only the reserve did not change what the user sees; the late state changed nothing.
    assert await announced(ledger, user) == [("cash", []), ("cash", [])]


async def test_deposited_shares_cost_the_last_known_price(ledger: Database, symbol: str) -> None:
    user, deposit_id = uuid.uuid4(), uuid.uuid4()
    await deliver(ledger, price(symbol, "25.5", T0))
    await deliver(ledger, securities(user, symbol, "4", deposit_id))
    await deliver(ledger, securities(user, symbol, "4", deposit_id))  # same deposit: once
    assert await position(ledger, user, symbol) == Position(D(4), D(102), D(0))
    assert await announced(ledger, user) == [("securities_deposit", [symbol])]


async def test_deposited_shares_of_a_symbol_never_priced_cost_nothing(
    ledger: Database, symbol: str
) -> None:
    user = uuid.uuid4()
    await deliver(ledger, securities(user, symbol, "7"))
    held = await position(ledger, user, symbol)
    assert held is not None and (held.qty, held.avg_cost) == (D(7), D(0))


async def test_equity_samples_one_per_user_and_slot(ledger: Database, symbol: str) -> None:
    user = uuid.uuid4()
    await deliver(ledger, cash(user, "1000"), occurred_at=T0)
    # the cash after the fill is left as it was, so that the sample's cash is the deposit
    await deliver(ledger, fill(user, symbol, "buy", "2", "100", cash_after="1000"))
    await deliver(ledger, price(symbol, "150", T0))
    slot = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(minutes=len(symbol))
    assert await ledger.run(lambda s: sample_equity(s, slot)) >= 1
    await deliver(ledger, price(symbol, "200", T0 + timedelta(seconds=1)))
    # Another instance trying the same slot: the first sample stays.
    assert await ledger.run(lambda s: sample_equity(s, slot)) == 0
    assert await samples(ledger, user) == [(slot, D(1000), D(300), D(1300))]


async def test_the_sampler_runs_in_the_background(ledger: Database) -> None:
    user = uuid.uuid4()
    await deliver(ledger, cash(user, "5"), occurred_at=T0)
    sampler = asyncio.create_task(sample_forever(ledger, interval_s=0.2))
    try:
        for _ in range(100):
            if len(await samples(ledger, user)) >= 2:
                break
            await asyncio.sleep(0.05)
    finally:
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
    taken = await samples(ledger, user)
    assert len(taken) >= 2 and {row[3] for row in taken} == {D(5)}


async def samples(
    db: Database, user: uuid.UUID
) -> list[tuple[datetime, Decimal, Decimal, Decimal]]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(equity_samples)
            .where(equity_samples.c.user_id == user)
            .order_by(equity_samples.c.bucket)
        )
        return [(r.bucket, r.cash, r.market_value, r.equity) for r in rows]


async def test_positions_are_per_user(ledger: Database, symbol: str) -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    await deliver(ledger, fill(alice, symbol, "buy", "1", "10"))
    await deliver(ledger, fill(bob, symbol, "buy", "2", "10"))
    async with ledger.transaction() as session:
        rows = await session.execute(
            select(positions.c.user_id, positions.c.qty).where(positions.c.symbol == symbol)
        )
        assert {r.user_id: r.qty for r in rows} == {alice: D(1), bob: D(2)}
