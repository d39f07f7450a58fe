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
from bourse.common.errors import Problem
from bourse.common.idempotency import claim, remember
from bourse.common.pagination import decode_cursor, encode_cursor
from bourse.contracts.events import SecuritiesDeposited
from bourse.messaging.outbox import stage
from bourse.trader import store
from bourse.trader.domain import amounts
from bourse.trader.domain.errors import DomainError
from bourse.trader.domain.ledger import Balance

T = TypeVar("T")


@dataclass(frozen=True)
class Idempotency:
    key: str
    fingerprint: str


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


@dataclass(frozen=True)
class ActivityPage:
    items: list[Any]
    next: str | None


async def get_account(db: Database, user_id: uuid.UUID) -> tuple[Balance, list[Any]]:
    async with db.transaction() as session:
        return await store.read_account(session, user_id)


async def deposit(
    db: Database, user_id: uuid.UUID, amount: Decimal, idempotency: Idempotency | None
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
    db: Database, user_id: uuid.UUID, amount: Decimal, idempotency: Idempotency | None
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
    db: Database, user_id: uuid.UUID, symbol: str, qty: Decimal, idempotency: Idempotency | None
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
) -> ActivityPage:
    before = _cursor_id(after) if after else None
    async with db.transaction() as session:
        rows = await store.activities_page(session, user_id, before, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return ActivityPage(rows, encode_cursor(str(rows[-1].id)) if more else None)


def _cursor_id(cursor: str) -> uuid.UUID:
    try:
        return uuid.UUID(decode_cursor(cursor))
    except ValueError as exc:
        raise Problem(422, "invalid_cursor", "the `after` cursor is not valid") from exc


def _checked(rule: Callable[[Decimal], Decimal], value: Decimal) -> Decimal:
    try:
        return rule(value)
    except DomainError as exc:
        raise Problem(422, exc.code, exc.detail) from exc


async def _mutate(
    db: Database,
    user_id: uuid.UUID,
    idempotency: Idempotency | None,
    result: type[T],
    apply: Callable[[AsyncSession], Awaitable[T]],
) -> T:
    """Run ``apply`` in a transaction, once per idempotency key; domain refusals are 422."""
    adapter = TypeAdapter(result)

    async def work(session: AsyncSession) -> T:
        if idempotency is not None:
            stored = await claim(session, user_id, idempotency.key, idempotency.fingerprint)
            if stored is not None:
                return adapter.validate_python(stored.body)
        answer = await apply(session)
        if idempotency is not None:
            body = adapter.dump_python(answer, mode="json")
            await remember(session, user_id, idempotency.key, 201, body)
        return answer

    try:
        return await db.run(work)
    except DomainError as exc:
        raise Problem(422, exc.code, exc.detail) from exc
