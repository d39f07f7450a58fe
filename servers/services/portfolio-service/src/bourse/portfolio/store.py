"""All of portfolio-service's SQL, inside the caller's transaction. The consumer's
batches (the hot path) run on asyncpg with one statement per table for the whole batch
(:func:`lock_books`, :func:`save_books`); the rest uses SQLAlchemy Core."""

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import fetch_or_create, fetch_or_create_all, unnest_columns
from bourse.portfolio.db import accounts, fills, positions, prices, securities_deposits
from bourse.portfolio.domain.books import SEEDED, Cash, PortfolioBooks, PositionKey, Price
from bourse.portfolio.domain.positions import ZERO, Position


async def lock_position(session: AsyncSession, user_id: UUID, symbol: str) -> Position:
    """The position (created flat when missing), locked for this transaction."""
    flat = insert(positions).values(user_id=user_id, symbol=symbol).on_conflict_do_nothing()
    row = await fetch_or_create(
        lambda: _locked_position(session, user_id, symbol), lambda: session.execute(flat)
    )
    return Position(row.qty, row.cost, row.realized_pl)


async def _locked_position(session: AsyncSession, user_id: UUID, symbol: str) -> Any:
    return (
        await session.execute(
            select(positions.c.qty, positions.c.cost, positions.c.realized_pl)
            .where(positions.c.user_id == user_id, positions.c.symbol == symbol)
            .with_for_update()
        )
    ).one_or_none()


async def save_position(
    session: AsyncSession, user_id: UUID, symbol: str, position: Position
) -> None:
    await session.execute(
        update(positions)
        .where(positions.c.user_id == user_id, positions.c.symbol == symbol)
        .values(
            qty=position.qty,
            cost=position.cost,
            realized_pl=position.realized_pl,
            updated_at=func.now(),
        )
    )


async def record_fill(session: AsyncSession, **values: Any) -> bool:
    """Remember a fill; False when it was applied before (same fill id)."""
    inserted = await session.scalar(
        insert(fills).values(**values).on_conflict_do_nothing().returning(fills.c.id)
    )
    return inserted is not None


async def record_deposit(session: AsyncSession, **values: Any) -> bool:
    """Remember a securities deposit; False when it was applied before (same id)."""
    inserted = await session.scalar(
        insert(securities_deposits)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(securities_deposits.c.id)
    )
    return inserted is not None


async def set_cash(
    session: AsyncSession, user_id: UUID, cash: Decimal, reserved: Decimal, as_of: datetime
) -> Decimal | None:
    """Store the account's cash unless a newer state is stored already. Returns the cash
    before (0 for a new account), or None when this state was older and ignored."""
    new_account = (
        insert(accounts)
        .values(user_id=user_id, cash=ZERO, reserved_cash=ZERO, as_of=SEEDED)
        .on_conflict_do_nothing()
    )
    row = await fetch_or_create(
        lambda: _locked_account(session, user_id), lambda: session.execute(new_account)
    )
    if row.as_of > as_of:
        return None
    await session.execute(
        update(accounts)
        .where(accounts.c.user_id == user_id)
        .values(cash=cash, reserved_cash=reserved, as_of=as_of, updated_at=func.now())
    )
    previous: Decimal = row.cash
    return previous


async def _locked_account(session: AsyncSession, user_id: UUID) -> Any:
    return (
        await session.execute(
            select(accounts.c.cash, accounts.c.as_of)
            .where(accounts.c.user_id == user_id)
            .with_for_update()
        )
    ).one_or_none()


async def set_price(session: AsyncSession, symbol: str, price: Decimal, ts: datetime) -> None:
    """The symbol's last price, unless a later trade's price is stored already."""
    statement = insert(prices).values(symbol=symbol, price=price, ts=ts)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[prices.c.symbol],
            set_={"price": statement.excluded.price, "ts": statement.excluded.ts},
            where=prices.c.ts <= statement.excluded.ts,
        )
    )


async def seed_price(session: AsyncSession, symbol: str, price: Decimal) -> None:
    """A fill's price for a symbol with no known price yet (any market price wins)."""
    await session.execute(
        insert(prices).values(symbol=symbol, price=price, ts=SEEDED).on_conflict_do_nothing()
    )


async def last_price(session: AsyncSession, symbol: str) -> Decimal | None:
    price: Decimal | None = await session.scalar(
        select(prices.c.price).where(prices.c.symbol == symbol)
    )
    return price


# ---------------------------------------------------------------- the consumer's batches

_RECORD_FILLS = """
INSERT INTO fills (id, order_id, user_id, symbol, side, qty, price, ts)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[],
                     $6::numeric[], $7::numeric[], $8::timestamptz[])
ON CONFLICT DO NOTHING RETURNING id
"""
_LOCK_POSITIONS = """
SELECT p.user_id, p.symbol, p.qty, p.cost, p.realized_pl
FROM positions p JOIN unnest($1::uuid[], $2::text[]) AS k(user_id, symbol)
  ON p.user_id = k.user_id AND p.symbol = k.symbol
ORDER BY p.user_id, p.symbol FOR UPDATE OF p
"""
_OPEN_POSITIONS = """
INSERT INTO positions (user_id, symbol) SELECT * FROM unnest($1::uuid[], $2::text[])
ON CONFLICT DO NOTHING
"""
_LOCK_ACCOUNTS = """
SELECT user_id, cash, reserved_cash, as_of FROM accounts
WHERE user_id = ANY($1::uuid[]) ORDER BY user_id FOR UPDATE
"""
_OPEN_ACCOUNTS = """
INSERT INTO accounts (user_id, cash, reserved_cash, as_of)
SELECT unnest($1::uuid[]), 0, 0, $2::timestamptz ON CONFLICT DO NOTHING
"""
_PRICES = "SELECT symbol, price, ts FROM prices WHERE symbol = ANY($1::text[])"
# What a batch changed, in one statement (one round trip): each part writes the rows of
# its arrays, none when they are empty; the parts touch different tables. Prices are not
# locked: another instance may store a later one meanwhile, so the write keeps the newest
# trade's price, and a price seeded from a fill never replaces any.
_SAVE_BOOKS = """
WITH saved_positions AS (
  UPDATE positions p SET qty = u.qty, cost = u.cost, realized_pl = u.realized_pl,
                         updated_at = now()
  FROM unnest($1::uuid[], $2::text[], $3::numeric[], $4::numeric[], $5::numeric[])
       AS u(user_id, symbol, qty, cost, realized_pl)
  WHERE p.user_id = u.user_id AND p.symbol = u.symbol
), saved_accounts AS (
  UPDATE accounts a SET cash = u.cash, reserved_cash = u.reserved_cash, as_of = u.as_of,
                        updated_at = now()
  FROM unnest($6::uuid[], $7::numeric[], $8::numeric[], $9::timestamptz[])
       AS u(user_id, cash, reserved_cash, as_of)
  WHERE a.user_id = u.user_id
), saved_prices AS (
  INSERT INTO prices (symbol, price, ts)
  SELECT * FROM unnest($10::text[], $11::numeric[], $12::timestamptz[])
  ON CONFLICT (symbol) DO UPDATE SET price = EXCLUDED.price, ts = EXCLUDED.ts
  WHERE prices.ts <= EXCLUDED.ts AND EXCLUDED.ts > $13::timestamptz
)
SELECT 1
"""


async def record_fills(pg: asyncpg.Connection, fills_: list[tuple[Any, ...]]) -> set[UUID]:
    """Remember fills (id, order, user, symbol, side, qty, price, ts); returns the ids
    that were not recorded before."""
    if not fills_:
        return set()
    rows = await pg.fetch(_RECORD_FILLS, *unnest_columns(fills_))
    return {row[0] for row in rows}


async def lock_books(
    pg: asyncpg.Connection,
    new_fills: set[UUID],
    positions_: set[PositionKey],
    users: set[UUID],
    symbols: set[str],
) -> PortfolioBooks:
    """Lock the positions and accounts a batch changes (creating the missing ones), in
    key order, and read the prices of its symbols."""
    rows = await pg.fetch(_PRICES, sorted(symbols))
    return PortfolioBooks(
        positions=await _lock_positions(pg, sorted(positions_)),
        accounts=await _lock_accounts(pg, sorted(users)),
        prices={row[0]: Price(row[1], row[2]) for row in rows},
        new_fills=new_fills,
    )


async def _lock_positions(
    pg: asyncpg.Connection, keys: list[PositionKey]
) -> dict[PositionKey, Position]:
    """Locked; created flat when missing."""

    async def locked(some: list[PositionKey]) -> dict[PositionKey, Position]:
        rows = await pg.fetch(_LOCK_POSITIONS, *unnest_columns(some))
        return {(r[0], r[1]): Position(r[2], r[3], r[4]) for r in rows}

    async def create(some: list[PositionKey]) -> None:
        await pg.execute(_OPEN_POSITIONS, *unnest_columns(some))

    return await fetch_or_create_all(locked, create, keys)


async def _lock_accounts(pg: asyncpg.Connection, users: list[UUID]) -> dict[UUID, Cash]:
    """Locked; created (cash 0, as of long ago) when missing."""

    async def locked(some: list[UUID]) -> dict[UUID, Cash]:
        return {r[0]: Cash(r[1], r[2], r[3]) for r in await pg.fetch(_LOCK_ACCOUNTS, some)}

    async def create(some: list[UUID]) -> None:
        await pg.execute(_OPEN_ACCOUNTS, some, SEEDED)

    return await fetch_or_create_all(locked, create, users)


async def save_books(pg: asyncpg.Connection, books: PortfolioBooks) -> None:
    """Write back what the batch changed, with one statement."""
    keys = sorted(books.changed_positions)
    held = [books.positions[key] for key in keys]
    users = sorted(books.changed_accounts)
    cash = [books.accounts[user] for user in users]
    symbols = sorted(books.changed_prices)
    known = [books.prices[symbol] for symbol in symbols]
    if not (keys or users or symbols):
        return
    await pg.execute(
        _SAVE_BOOKS,
        [user for user, _ in keys],
        [symbol for _, symbol in keys],
        [p.qty for p in held],
        [p.cost for p in held],
        [p.realized_pl for p in held],
        users,
        [c.cash for c in cash],
        [c.reserved_cash for c in cash],
        [c.as_of for c in cash],
        symbols,
        [p.price for p in known],
        [p.ts for p in known],
        SEEDED,
    )
