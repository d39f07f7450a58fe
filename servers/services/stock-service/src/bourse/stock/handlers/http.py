"""Instrument use cases (admin commands, the start-up announcement), each inside the
caller's transaction. Market events are in :mod:`bourse.stock.market`."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.errors import Problem, conflict
from bourse.contracts import fees
from bourse.contracts.events import InstrumentChanged
from bourse.messaging.outbox import stage
from bourse.stock.db import instruments, quotes
from bourse.stock.domain.instruments import Status


@dataclass(frozen=True)
class NewInstrument:
    symbol: str
    name: str
    tick_size: Decimal
    lot_size: Decimal
    maker_fee_bps: int = fees.DEFAULT_MAKER_FEE_BPS
    taker_fee_bps: int = fees.DEFAULT_TAKER_FEE_BPS


def unknown_symbol(symbol: str) -> Problem:
    return Problem(404, "unknown_symbol", f"no instrument with symbol {symbol!r}")


def instrument_changed(row: Any) -> InstrumentChanged:
    return InstrumentChanged(
        symbol=row.symbol,
        name=row.name,
        tick_size=row.tick_size,
        lot_size=row.lot_size,
        status=row.status,
        last_price=row.last_price,
        maker_fee_bps=row.maker_fee_bps,
        taker_fee_bps=row.taker_fee_bps,
    )


async def create_instrument(session: AsyncSession, new: NewInstrument) -> Any:
    row = (
        await session.execute(
            upsert(instruments)
            .values(
                symbol=new.symbol,
                name=new.name,
                tick_size=new.tick_size,
                lot_size=new.lot_size,
                maker_fee_bps=new.maker_fee_bps,
                taker_fee_bps=new.taker_fee_bps,
            )
            .on_conflict_do_nothing()
            .returning(instruments)
        )
    ).one_or_none()
    if row is None:
        raise conflict("symbol_exists", f"an instrument with symbol {new.symbol!r} exists")
    await session.execute(insert(quotes).values(symbol=new.symbol))
    await stage(session, instrument_changed(row))
    return row


async def set_status(session: AsyncSession, symbol: str, status: Status) -> Any:
    """Halt or resume trading; the (full) new state is announced either way."""
    row = (
        await session.execute(
            update(instruments)
            .where(instruments.c.symbol == symbol)
            .values(status=status, updated_at=func.now())
            .returning(instruments)
        )
    ).one_or_none()
    if row is None:
        raise unknown_symbol(symbol)
    await stage(session, instrument_changed(row))
    return row


async def announce_instruments(session: AsyncSession) -> int:
    """Stage every instrument's state: services that start later (or missed an event)
    learn the instruments from these; consumers upsert, so repeats are harmless."""
    rows = (await session.execute(select(instruments).order_by(instruments.c.symbol))).all()
    await stage(session, *(instrument_changed(row) for row in rows))
    return len(rows)
