"""The consumer's batches (the hot path), on asyncpg: one statement per table to lock the
whole batch's rows, in the package's lock order (:func:`lock_books`), one statement to
write them all back (:func:`save_books`)."""

from functools import partial
from uuid import UUID

import asyncpg

from bourse.common.db import dataclass_columns, fetch_or_create_all, unnest_columns
from bourse.trader.domain.books import Activity, LedgerBooks, Needs
from bourse.trader.domain.ledger import Balance, Position
from bourse.trader.domain.reservations import Reservation

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
# Everything a batch changed, in one statement (one round trip): each part writes the rows
# of its arrays, none when they are empty. The parts touch different tables, so the
# snapshot they share hides nothing from any of them.
_SAVE_BOOKS = """
WITH saved_accounts AS (
  UPDATE accounts a SET cash = u.cash, reserved_cash = u.reserved_cash, updated_at = now()
  FROM unnest($1::uuid[], $2::numeric[], $3::numeric[]) AS u(user_id, cash, reserved_cash)
  WHERE a.user_id = u.user_id
), saved_holdings AS (
  INSERT INTO holdings (user_id, symbol, qty, reserved_qty)
  SELECT * FROM unnest($4::uuid[], $5::text[], $6::numeric[], $7::numeric[])
  ON CONFLICT (user_id, symbol) DO UPDATE
  SET qty = EXCLUDED.qty, reserved_qty = EXCLUDED.reserved_qty, updated_at = now()
), saved_reservations AS (
  INSERT INTO reservations (order_id, user_id, symbol, side, cash_remaining, qty_remaining,
                            filled_qty_applied, final_filled_qty, status, reject_reason)
  SELECT * FROM unnest($8::uuid[], $9::uuid[], $10::text[], $11::text[], $12::numeric[],
                       $13::numeric[], $14::numeric[], $15::numeric[], $16::text[], $17::text[])
  ON CONFLICT (order_id) DO UPDATE
  SET cash_remaining = EXCLUDED.cash_remaining, qty_remaining = EXCLUDED.qty_remaining,
      filled_qty_applied = EXCLUDED.filled_qty_applied,
      final_filled_qty = EXCLUDED.final_filled_qty, status = EXCLUDED.status,
      reject_reason = EXCLUDED.reject_reason, updated_at = now()
), added_activities AS (
  INSERT INTO activities (id, user_id, type, amount, symbol, qty, price, side, order_id,
                          fill_id)
  SELECT * FROM unnest($18::uuid[], $19::uuid[], $20::text[], $21::numeric[], $22::text[],
                       $23::numeric[], $24::numeric[], $25::text[], $26::uuid[], $27::uuid[])
)
SELECT 1
"""


async def open_accounts(pg: asyncpg.Connection, users: list[UUID]) -> None:
    """Create the accounts (cash 0) that do not exist."""
    await pg.execute(_OPEN_ACCOUNTS, sorted(users))


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
    """Write back what the batch changed, with one statement."""
    users = sorted(books.changed_accounts)
    balances = [books.accounts[user] for user in users]
    keys = sorted(books.changed_holdings)
    positions = [books.holdings[key] for key in keys]
    reservations = [books.reservations[oid] for oid in sorted(books.changed_reservations)]
    if not (users or keys or reservations or books.activities):
        return
    await pg.execute(
        _SAVE_BOOKS,
        users,
        [b.cash for b in balances],
        [b.reserved_cash for b in balances],
        [user for user, _ in keys],
        [symbol for _, symbol in keys],
        [p.qty for p in positions],
        [p.reserved_qty for p in positions],
        *dataclass_columns(Reservation, reservations),
        *dataclass_columns(Activity, books.activities),
    )
