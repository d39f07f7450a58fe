"""The instruments auto-service knows: kept from instrument.changed events (stock-service
announces every instrument when it starts, and each change), looked up when a recurring
order or an alert is created or changed."""

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.auto.db import instruments
from bourse.auto.domain.instruments import Instrument, unknown
from bourse.common.db import Database
from bourse.contracts.events import InstrumentChanged


async def on_instrument_changed(session: AsyncSession, event: InstrumentChanged) -> None:
    values = {"tick_size": event.tick_size, "lot_size": event.lot_size, "status": event.status}
    statement = insert(instruments).values(symbol=event.symbol, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[instruments.c.symbol], set_={**values, "updated_at": func.now()}
        )
    )


async def listed(session: AsyncSession, symbol: str) -> Instrument:
    """The instrument ``symbol``; 422 ``unknown_symbol`` when it is not listed."""
    row = (
        await session.execute(select(instruments).where(instruments.c.symbol == symbol))
    ).one_or_none()
    if row is None:
        raise unknown(symbol)
    return Instrument(row.symbol, row.tick_size, row.lot_size)


async def any_known(db: Database) -> bool:
    async with db.reading() as session:
        return bool(await session.scalar(select(func.count()).select_from(instruments)))


async def upsert_listed(db: Database, items: list[dict[str, Any]]) -> None:
    """Stock-service's list (``GET /api/v1/stocks`` items), stored as events would be."""
    async with db.transaction() as session:
        for item in items:
            await on_instrument_changed(
                session,
                InstrumentChanged(
                    symbol=item["symbol"],
                    name=item.get("name", item["symbol"]),
                    tick_size=Decimal(item["tick_size"]),
                    lot_size=Decimal(item["lot_size"]),
                    status=item["status"],
                ),
            )
