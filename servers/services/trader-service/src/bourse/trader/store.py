"""All of trader-service's SQL, inside the caller's transaction.

Lock order, everywhere: account rows (in user id order when there are several), then
holdings and reservations; the account lock serializes everything that touches one
user's money. The consumer's batches (the hot path) run on asyncpg with one statement
per table for the whole batch (:func:`lock_books`, :func:`save_books`); the HTTP use
cases use SQLAlchemy Core.
"""

from dataclasses import asdict, astuple
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import fetch_or_create, fetch_or_create_all, unnest_columns
from bourse.contracts.events import AccountUpdated
from bourse.contracts.ids import uuid7
from bourse.messaging.outbox import stage
from bourse.trader.db import (
    accounts,
    activities,
    holdings,
    instruments,
    reservations,
    watchlists,
)
from bourse.trader.domain.books import LedgerBooks, Needs
from bourse.trader.domain.ledger import Balance, Position
from bourse.trader.domain.reservations import Reservation


async def open_accounts(pg: asyncpg.Connection, users: list[UUID]) -> None:
    """Create the accounts (cash 0) that do not exist."""
    await pg.execute(_OPEN_ACCOUNTS, sorted(users))


async def open_account(session: AsyncSession, user_id: UUID) -> None:
    """Create the account (cash 0) unless it exists."""
    await session.execute(insert(accounts).values(user_id=user_id).on_conflict_do_nothing())


async def lock_account(session: AsyncSession, user_id: UUID) -> Balance:
    """The account, locked for this transaction (opened on demand)."""
    row = await fetch_or_create(
        lambda: _account(session, user_id, lock=True), lambda: open_account(session, user_id)
    )
    return Balance(row.cash, row.reserved_cash)


async def _account(session: AsyncSession, user_id: UUID, *, lock: bool) -> Any:
    query = select(accounts.c.cash, accounts.c.reserved_cash).where(accounts.c.user_id == user_id)
    return (await session.execute(query.with_for_update() if lock else query)).one_or_none()


async def save_account(session: AsyncSession, user_id: UUID, balance: Balance) -> None:
    await session.execute(
        update(accounts)
        .where(accounts.c.user_id == user_id)
        .values(cash=balance.cash, reserved_cash=balance.reserved_cash, updated_at=func.now())
    )


async def save_balance(
    session: AsyncSession,
    user_id: UUID,
    balance: Balance,
    reason: str,
    *,
    amount: Decimal | None = None,
    activity_id: UUID | None = None,
) -> None:
    """Save the account's cash and announce it (AccountUpdated, in this transaction);
    ``amount`` is the signed change of a deposit or withdrawal."""
    await save_account(session, user_id, balance)
    updated = AccountUpdated(
        user_id=user_id,
        cash=balance.cash,
        reserved_cash=balance.reserved_cash,
        reason=reason,
        amount=amount,
        activity_id=activity_id,
    )
    await stage(session, updated)


async def lock_holding(session: AsyncSession, user_id: UUID, symbol: str) -> Position:
    """The holding of ``symbol`` (zero when there is none yet), locked. Call with the
    account locked: that is what makes a missing row safe to insert later."""
    row = (
        await session.execute(
            select(holdings.c.qty, holdings.c.reserved_qty)
            .where(holdings.c.user_id == user_id, holdings.c.symbol == symbol)
            .with_for_update()
        )
    ).one_or_none()
    return Position(row.qty, row.reserved_qty) if row else Position()


async def save_holding(
    session: AsyncSession, user_id: UUID, symbol: str, position: Position
) -> None:
    values = {"qty": position.qty, "reserved_qty": position.reserved_qty}
    await session.execute(
        insert(holdings)
        .values(user_id=user_id, symbol=symbol, **values)
        .on_conflict_do_update(
            index_elements=[holdings.c.user_id, holdings.c.symbol],
            set_={**values, "updated_at": func.now()},
        )
    )


def _reservation(row: Any) -> Reservation:
    return Reservation(
        order_id=row.order_id,
        user_id=row.user_id,
        symbol=row.symbol,
        side=row.side,
        cash_remaining=row.cash_remaining,
        qty_remaining=row.qty_remaining,
        filled_qty_applied=row.filled_qty_applied,
        final_filled_qty=row.final_filled_qty,
        status=row.status,
        reject_reason=row.reject_reason,
    )


async def lock_reservation(session: AsyncSession, order_id: UUID) -> Reservation | None:
    row = (
        await session.execute(
            select(reservations).where(reservations.c.order_id == order_id).with_for_update()
        )
    ).one_or_none()
    return _reservation(row) if row else None


async def add_reservation(session: AsyncSession, reservation: Reservation) -> None:
    await session.execute(insert(reservations).values(**asdict(reservation)))


async def save_reservation(session: AsyncSession, reservation: Reservation) -> None:
    values = asdict(reservation) | {"updated_at": func.now()}
    await session.execute(
        update(reservations).where(reservations.c.order_id == reservation.order_id).values(**values)
    )


async def fill_applied(session: AsyncSession, order_id: UUID, fill_id: UUID) -> bool:
    found = await session.scalar(
        select(activities.c.id).where(
            activities.c.order_id == order_id, activities.c.fill_id == fill_id
        )
    )
    return found is not None


async def add_activity(
    session: AsyncSession, user_id: UUID, kind: str, **fields: Any
) -> tuple[UUID, datetime]:
    """Write a ledger entry; returns its id and time."""
    row = (
        await session.execute(
            insert(activities)
            .values(id=uuid7(), user_id=user_id, type=kind, **fields)
            .returning(activities.c.id, activities.c.created_at)
        )
    ).one()
    return row.id, row.created_at


async def lot_size(session: AsyncSession, symbol: str) -> Decimal | None:
    """The lot size of a known instrument; None for an unknown symbol."""
    value: Decimal | None = await session.scalar(
        select(instruments.c.lot_size).where(instruments.c.symbol == symbol)
    )
    return value


async def upsert_instrument(
    session: AsyncSession, symbol: str, lot: Decimal, tick: Decimal, status: str
) -> None:
    values = {"lot_size": lot, "tick_size": tick, "status": status}
    await session.execute(
        insert(instruments)
        .values(symbol=symbol, **values)
        .on_conflict_do_update(
            index_elements=[instruments.c.symbol], set_={**values, "updated_at": func.now()}
        )
    )


async def read_account(session: AsyncSession, user_id: UUID) -> tuple[Balance, list[Any]]:
    """The account (opened on demand) and its non-empty holdings, by symbol."""
    row = await fetch_or_create(
        lambda: _account(session, user_id, lock=False), lambda: open_account(session, user_id)
    )
    rows = await session.execute(
        select(holdings.c.symbol, holdings.c.qty, holdings.c.reserved_qty)
        .where(holdings.c.user_id == user_id, holdings.c.qty > 0)
        .order_by(holdings.c.symbol)
    )
    return Balance(row.cash, row.reserved_cash), list(rows.all())


async def activities_page(
    session: AsyncSession, user_id: UUID, before: UUID | None, limit: int
) -> list[Any]:
    """Up to ``limit`` ledger entries of the user, newest first, older than ``before``."""
    query = select(activities).where(activities.c.user_id == user_id)
    if before is not None:
        query = query.where(activities.c.id < before)
    query = query.order_by(activities.c.id.desc()).limit(limit)
    return list((await session.execute(query)).all())


# ---------------------------------------------------------------- watchlists


async def known_symbols(session: AsyncSession, symbols: list[str]) -> set[str]:
    """Those of ``symbols`` that are listed instruments (as instrument.changed told us)."""
    if not symbols:
        return set()
    rows = await session.scalars(
        select(instruments.c.symbol).where(instruments.c.symbol.in_(symbols))
    )
    return set(rows)


async def lock_watchlists_of(session: AsyncSession, user_id: UUID) -> None:
    """Serialize this transaction with the user's other watchlist changes (the count and
    name checks hold until commit). An advisory lock: it touches no account row."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"watchlists:{user_id}"},
    )


async def count_watchlists(session: AsyncSession, user_id: UUID) -> int:
    count = await session.scalar(
        select(func.count()).select_from(watchlists).where(watchlists.c.user_id == user_id)
    )
    return count or 0


async def watchlist_name_taken(
    session: AsyncSession, user_id: UUID, name: str, other_than: UUID | None = None
) -> bool:
    query = select(watchlists.c.id).where(
        watchlists.c.user_id == user_id, watchlists.c.name == name
    )
    if other_than is not None:
        query = query.where(watchlists.c.id != other_than)
    return (await session.scalar(query)) is not None


async def add_watchlist(session: AsyncSession, user_id: UUID, name: str, symbols: list[str]) -> Any:
    return (
        await session.execute(
            insert(watchlists)
            .values(id=uuid7(), user_id=user_id, name=name, symbols=symbols)
            .returning(*watchlists.c)
        )
    ).one()


async def get_watchlist(
    session: AsyncSession, user_id: UUID, watchlist_id: UUID, *, lock: bool = False
) -> Any:
    """The user's watchlist; None when there is none or it is another user's."""
    query = select(watchlists).where(
        watchlists.c.id == watchlist_id, watchlists.c.user_id == user_id
    )
    return (await session.execute(query.with_for_update() if lock else query)).one_or_none()


async def save_watchlist(
    session: AsyncSession, watchlist_id: UUID, name: str, symbols: list[str]
) -> Any:
    return (
        await session.execute(
            update(watchlists)
            .where(watchlists.c.id == watchlist_id)
            .values(name=name, symbols=symbols, updated_at=func.now())
            .returning(*watchlists.c)
        )
    ).one()


async def delete_watchlist(session: AsyncSession, user_id: UUID, watchlist_id: UUID) -> bool:
    deleted = await session.scalar(
        delete(watchlists)
        .where(watchlists.c.id == watchlist_id, watchlists.c.user_id == user_id)
        .returning(watchlists.c.id)
    )
    return deleted is not None


async def watchlists_page(
    session: AsyncSession, user_id: UUID, after: UUID | None, limit: int
) -> list[Any]:
    """Up to ``limit`` watchlists of the user, oldest first, created after ``after``."""
    query = select(watchlists).where(watchlists.c.user_id == user_id)
    if after is not None:
        query = query.where(watchlists.c.id > after)
    query = query.order_by(watchlists.c.id).limit(limit)
    return list((await session.execute(query)).all())


# ---------------------------------------------------------------- the consumer's batches

_LOCK_ACCOUNTS = """
SELECT user_id, cash, reserved_cash FROM accounts
WHERE user_id = ANY($1::uuid[]) ORDER BY user_id FOR UPDATE
"""
_OPEN_ACCOUNTS = """
INSERT INTO accounts (user_id) SELECT unnest($1::uuid[]) ORDER BY 1 ON CONFLICT DO NOTHING
"""
_LOCK_RESERVATIONS = """
SELECT order_id, user_id, symbol, side, cash_remaining, qty_remaining, filled_qty_applied,
       final_filled_qty, status, reject_reason
FROM reservations WHERE order_id = ANY($1::uuid[]) ORDER BY order_id FOR UPDATE
"""
_LOCK_HOLDINGS = """
SELECT h.user_id, h.symbol, h.qty, h.reserved_qty
FROM holdings h JOIN unnest($1::uuid[], $2::text[]) AS k(user_id, symbol)
  ON h.user_id = k.user_id AND h.symbol = k.symbol
ORDER BY h.user_id, h.symbol FOR UPDATE OF h
"""
_APPLIED_FILLS = """
SELECT order_id, fill_id FROM activities
WHERE order_id = ANY($1::uuid[]) AND fill_id = ANY($2::uuid[])
"""
_SAVE_ACCOUNTS = """
UPDATE accounts a SET cash = u.cash, reserved_cash = u.reserved_cash, updated_at = now()
FROM unnest($1::uuid[], $2::numeric[], $3::numeric[]) AS u(user_id, cash, reserved_cash)
WHERE a.user_id = u.user_id
"""
_SAVE_HOLDINGS = """
INSERT INTO holdings (user_id, symbol, qty, reserved_qty)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::numeric[], $4::numeric[])
ON CONFLICT (user_id, symbol) DO UPDATE
SET qty = EXCLUDED.qty, reserved_qty = EXCLUDED.reserved_qty, updated_at = now()
"""
_SAVE_RESERVATIONS = """
INSERT INTO reservations (order_id, user_id, symbol, side, cash_remaining, qty_remaining,
                          filled_qty_applied, final_filled_qty, status, reject_reason)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::numeric[],
                     $6::numeric[], $7::numeric[], $8::numeric[], $9::text[], $10::text[])
ON CONFLICT (order_id) DO UPDATE
SET cash_remaining = EXCLUDED.cash_remaining, qty_remaining = EXCLUDED.qty_remaining,
    filled_qty_applied = EXCLUDED.filled_qty_applied,
    final_filled_qty = EXCLUDED.final_filled_qty, status = EXCLUDED.status,
    reject_reason = EXCLUDED.reject_reason, updated_at = now()
"""
_ADD_ACTIVITIES = """
INSERT INTO activities (id, user_id, type, amount, symbol, qty, price, side, order_id, fill_id)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::numeric[], $5::text[],
                     $6::numeric[], $7::numeric[], $8::text[], $9::uuid[], $10::uuid[])
"""


async def lock_books(pg: asyncpg.Connection, needs: Needs) -> LedgerBooks:
    """Lock every row the batch needs, accounts first (opened on demand)."""
    accounts_ = await _lock_accounts(pg, sorted(needs.users))
    rows = await pg.fetch(_LOCK_RESERVATIONS, sorted(needs.orders))
    reservations_ = {row["order_id"]: Reservation(**dict(row)) for row in rows}
    keys = needs.holdings | {(r.user_id, r.symbol) for r in reservations_.values()}
    holdings_ = await _lock_holdings(pg, sorted(keys))
    fills = set()
    if needs.fills:
        orders, fill_ids = unnest_columns(sorted(needs.fills))
        fills = {(row[0], row[1]) for row in await pg.fetch(_APPLIED_FILLS, orders, fill_ids)}
    return LedgerBooks(accounts_, holdings_, reservations_, fills & needs.fills)


async def _lock_accounts(pg: asyncpg.Connection, users: list[UUID]) -> dict[UUID, Balance]:
    """Locked; opened when missing (rare: an account is opened at registration)."""

    async def locked(keys: list[UUID]) -> dict[UUID, Balance]:
        return {row[0]: Balance(row[1], row[2]) for row in await pg.fetch(_LOCK_ACCOUNTS, keys)}

    return await fetch_or_create_all(locked, partial(open_accounts, pg), users)


async def _lock_holdings(
    pg: asyncpg.Connection, keys: list[tuple[UUID, str]]
) -> dict[tuple[UUID, str], Position]:
    held = {key: Position() for key in keys}
    if keys:
        users, symbols = unnest_columns(keys)
        for row in await pg.fetch(_LOCK_HOLDINGS, users, symbols):
            held[(row[0], row[1])] = Position(row[2], row[3])
    return held


async def save_books(pg: asyncpg.Connection, books: LedgerBooks) -> None:
    """Write back what the batch changed: one statement per table."""
    if books.changed_accounts:
        users = sorted(books.changed_accounts)
        balances = [books.accounts[user] for user in users]
        await pg.execute(
            _SAVE_ACCOUNTS, users, [b.cash for b in balances], [b.reserved_cash for b in balances]
        )
    if books.changed_holdings:
        keys = sorted(books.changed_holdings)
        positions = [books.holdings[key] for key in keys]
        await pg.execute(
            _SAVE_HOLDINGS,
            [user for user, _ in keys],
            [symbol for _, symbol in keys],
            [p.qty for p in positions],
            [p.reserved_qty for p in positions],
        )
    if books.changed_reservations:
        rows = [astuple(books.reservations[oid]) for oid in sorted(books.changed_reservations)]
        await pg.execute(_SAVE_RESERVATIONS, *unnest_columns(rows))
    if books.activities:
        await pg.execute(_ADD_ACTIVITIES, *unnest_columns([astuple(a) for a in books.activities]))
