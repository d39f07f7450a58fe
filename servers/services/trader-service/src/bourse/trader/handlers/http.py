"""Use cases behind the HTTP API, each in one transaction, scoped to one user. Mutations
honour an ``Idempotency-Key``: the key is claimed in the same transaction, so a repeat
gets the first answer and changes nothing."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.common.errors import Problem, not_found
from bourse.common.idempotency import Idempotency, StoredResponse, once
from bourse.common.pagination import Page, cursor_id, page_of
from bourse.contracts.events import SecuritiesDeposited
from bourse.messaging.outbox import stage
from bourse.trader import store
from bourse.trader.domain import amounts, watchlists
from bourse.trader.domain.errors import DomainError
from bourse.trader.domain.ledger import Balance

T = TypeVar("T")
V = TypeVar("V")


@dataclass(frozen=True)
class CashTransfer:
    id: uuid.UUID
    amount: Decimal
    created_at: datetime


@dataclass(frozen=True)
class SecuritiesTransfer:
    id: uuid.UUID
    symbol: str
    qty: Decimal
    created_at: datetime


async def get_account(db: Database, user_id: uuid.UUID) -> tuple[Balance, list[Any]]:
    """The account and its non-empty holdings (the account opened on the first read)."""
    async with db.connection() as pg:
        found = await store.account_as_read(pg, user_id)
    if found is not None:
        return found
    async with db.transaction() as session:
        return await store.read_account(session, user_id)


async def deposit(
    db: Database, user_id: uuid.UUID, amount: Decimal, idempotency: Idempotency[CashTransfer] | None
) -> CashTransfer:
    amount = _checked(amounts.cash_amount, amount)

    async def apply(session: AsyncSession) -> CashTransfer:
        balance = await store.lock_account(session, user_id)
        balance.deposit(amount)
        entry, at = await store.add_activity(session, user_id, "deposit", amount=amount)
        await store.save_balance(
            session, user_id, balance, "deposit", amount=amount, activity_id=entry
        )
        return CashTransfer(entry, amount, at)

    return await _mutate(db, user_id, idempotency, CashTransfer, apply)


async def withdraw(
    db: Database, user_id: uuid.UUID, amount: Decimal, idempotency: Idempotency[CashTransfer] | None
) -> CashTransfer:
    amount = _checked(amounts.cash_amount, amount)

    async def apply(session: AsyncSession) -> CashTransfer:
        balance = await store.lock_account(session, user_id)
        balance.withdraw(amount)
        entry, at = await store.add_activity(session, user_id, "withdrawal", amount=-amount)
        await store.save_balance(
            session, user_id, balance, "withdrawal", amount=-amount, activity_id=entry
        )
        return CashTransfer(entry, amount, at)

    return await _mutate(db, user_id, idempotency, CashTransfer, apply)


async def deposit_securities(
    db: Database,
    user_id: uuid.UUID,
    symbol: str,
    qty: Decimal,
    idempotency: Idempotency[SecuritiesTransfer] | None,
) -> SecuritiesTransfer:
    """A simulated transfer-in of whole lots of a known instrument."""
    symbol = symbol.upper()

    async def apply(session: AsyncSession) -> SecuritiesTransfer:
        await store.lock_account(session, user_id)  # holdings change under the account lock
        lot = await store.lot_size(session, symbol)
        if lot is None:
            raise DomainError("unknown_symbol", f"{symbol} is not a listed instrument")
        shares = amounts.lot_qty(qty, lot)
        position = await store.lock_holding(session, user_id, symbol)
        position.add(shares)
        await store.save_holding(session, user_id, symbol, position)
        entry, at = await store.add_activity(
            session, user_id, "securities_deposit", symbol=symbol, qty=shares
        )
        deposited = SecuritiesDeposited(
            symbol=symbol,
            user_id=user_id,
            deposit_id=entry,
            qty=shares,
            position_qty=position.qty,
        )
        await stage(session, deposited)
        return SecuritiesTransfer(entry, symbol, shares, at)

    return await _mutate(db, user_id, idempotency, SecuritiesTransfer, apply)


async def list_activities(
    db: Database, user_id: uuid.UUID, limit: int, after: str | None
) -> Page[Any]:
    before = cursor_id(after) if after else None
    async with db.reading() as session:
        rows = await store.activities_page(session, user_id, before, limit + 1)
    return page_of(rows, limit)


def _checked(rule: Callable[[V], V], value: V) -> V:
    try:
        return rule(value)
    except DomainError as exc:
        raise Problem(422, exc.code, exc.detail) from exc


async def _mutate(
    db: Database,
    user_id: uuid.UUID,
    idempotency: Idempotency[T] | None,
    result: type[T],
    apply: Callable[[AsyncSession], Awaitable[T]],
) -> T:
    """Run ``apply`` in a transaction, once per idempotency key (a repeat gets the first
    answer, read back as a ``result``); domain refusals are 422."""

    async def work(session: AsyncSession) -> T:
        outcome = await once(session, user_id, idempotency, apply)
        if isinstance(outcome, StoredResponse):
            return TypeAdapter(result).validate_python(outcome.body)
        return outcome

    try:
        return await db.run(work)
    except DomainError as exc:
        raise Problem(422, exc.code, exc.detail) from exc


# ---------------------------------------------------------------- watchlists


@dataclass(frozen=True)
class Watchlist:
    id: uuid.UUID
    name: str
    symbols: list[str]
    created_at: datetime
    updated_at: datetime


def _watchlist(row: Any) -> Watchlist:
    return Watchlist(row.id, row.name, list(row.symbols), row.created_at, row.updated_at)


async def list_watchlists(
    db: Database, user_id: uuid.UUID, limit: int, after: str | None
) -> Page[Any]:
    """A page of the user's watchlists (as :class:`Watchlist`)."""
    start = cursor_id(after) if after else None
    async with db.reading() as session:
        rows = await store.watchlists_page(session, user_id, start, limit + 1)
    page = page_of(rows, limit)
    return Page[Any](items=[_watchlist(row) for row in page.items], next=page.next)


async def get_watchlist(db: Database, user_id: uuid.UUID, watchlist_id: uuid.UUID) -> Watchlist:
    async with db.reading() as session:
        row = await store.get_watchlist(session, user_id, watchlist_id)
    if row is None:
        raise not_found("watchlist")
    return _watchlist(row)


async def create_watchlist(
    db: Database,
    user_id: uuid.UUID,
    name: str,
    symbols: list[str],
    idempotency: Idempotency[Watchlist] | None,
) -> Watchlist:
    name = _checked(watchlists.watchlist_name, name)
    symbols = _checked(watchlists.symbol_list, symbols)

    async def apply(session: AsyncSession) -> Watchlist:
        await store.lock_watchlists_of(session, user_id)
        watchlists.may_add_watchlist(await store.count_watchlists(session, user_id))
        await _refuse_taken_name(session, user_id, name)
        await _refuse_unknown_symbols(session, symbols)
        return _watchlist(await store.add_watchlist(session, user_id, name, symbols))

    return await _mutate(db, user_id, idempotency, Watchlist, apply)


async def update_watchlist(
    db: Database,
    user_id: uuid.UUID,
    watchlist_id: uuid.UUID,
    name: str | None,
    symbols: list[str] | None,
    idempotency: Idempotency[Watchlist] | None,
) -> Watchlist:
    """Rename and/or replace the symbols; what is not sent is kept."""
    new_name = None if name is None else _checked(watchlists.watchlist_name, name)
    new_symbols = None if symbols is None else _checked(watchlists.symbol_list, symbols)

    async def apply(session: AsyncSession) -> Watchlist:
        await store.lock_watchlists_of(session, user_id)
        current = await _owned_watchlist(session, user_id, watchlist_id)
        if new_name is not None:
            await _refuse_taken_name(session, user_id, new_name, other_than=watchlist_id)
        if new_symbols is not None:
            await _refuse_unknown_symbols(session, new_symbols)
        row = await store.save_watchlist(
            session,
            watchlist_id,
            current.name if new_name is None else new_name,
            list(current.symbols) if new_symbols is None else new_symbols,
        )
        return _watchlist(row)

    return await _mutate(db, user_id, idempotency, Watchlist, apply)


async def delete_watchlist(
    db: Database, user_id: uuid.UUID, watchlist_id: uuid.UUID, idempotency: Idempotency[None] | None
) -> None:
    async def apply(session: AsyncSession) -> None:
        if not await store.delete_watchlist(session, user_id, watchlist_id):
            raise not_found("watchlist")

    await _mutate(db, user_id, idempotency, type(None), apply)


async def add_watchlist_symbol(
    db: Database,
    user_id: uuid.UUID,
    watchlist_id: uuid.UUID,
    symbol: str,
    idempotency: Idempotency[Watchlist] | None,
) -> Watchlist:
    """Append ``symbol``; a symbol already in the list is a no-op (the list, unchanged)."""

    async def apply(session: AsyncSession) -> Watchlist:
        current = await _owned_watchlist(session, user_id, watchlist_id)
        if symbol in current.symbols:
            return _watchlist(current)
        await _refuse_unknown_symbols(session, [symbol])
        symbols = watchlists.with_symbol(current.symbols, symbol)
        return _watchlist(await store.save_watchlist(session, watchlist_id, current.name, symbols))

    return await _mutate(db, user_id, idempotency, Watchlist, apply)


async def remove_watchlist_symbol(
    db: Database,
    user_id: uuid.UUID,
    watchlist_id: uuid.UUID,
    symbol: str,
    idempotency: Idempotency[Watchlist] | None,
) -> Watchlist:
    async def apply(session: AsyncSession) -> Watchlist:
        current = await _owned_watchlist(session, user_id, watchlist_id)
        symbols = watchlists.without_symbol(current.symbols, symbol)
        if symbols is None:
            raise Problem(404, "symbol_not_in_watchlist", f"{symbol} is not in this watchlist")
        return _watchlist(await store.save_watchlist(session, watchlist_id, current.name, symbols))

    return await _mutate(db, user_id, idempotency, Watchlist, apply)


async def _owned_watchlist(
    session: AsyncSession, user_id: uuid.UUID, watchlist_id: uuid.UUID
) -> Any:
    """The caller's watchlist, locked; 404 when it is missing or another user's."""
    row = await store.get_watchlist(session, user_id, watchlist_id, lock=True)
    if row is None:
        raise not_found("watchlist")
    return row


async def _refuse_taken_name(
    session: AsyncSession, user_id: uuid.UUID, name: str, other_than: uuid.UUID | None = None
) -> None:
    if await store.watchlist_name_taken(session, user_id, name, other_than):
        raise Problem(409, "watchlist_name_taken", f"you already have a watchlist named {name!r}")


async def _refuse_unknown_symbols(session: AsyncSession, symbols: list[str]) -> None:
    known = await store.known_symbols(session, symbols)
    unknown = [symbol for symbol in symbols if symbol not in known]
    if unknown:
        raise DomainError("unknown_symbol", f"not listed instruments: {', '.join(unknown)}")
