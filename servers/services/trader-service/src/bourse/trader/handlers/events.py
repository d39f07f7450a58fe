"""What trader-service does with the events it consumes, a batch at a time (ARCHITECTURE
§4a): lock every row the batch touches once, apply its events in message order to
in-memory copies, write each table back once. Runs inside the consumer's unit of work,
so the effects, the inbox rows and the announced events commit together."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bourse.contracts import Envelope
from bourse.contracts.events import (
    InstrumentChanged,
    OrderChanged,
    Payload,
    RiskRequested,
    UserRegistered,
)
from bourse.messaging.uow import Event, UnitOfWork
from bourse.trader import store
from bourse.trader.domain.books import LedgerBooks, needs, request_risk, settle_order

LedgerEvent = RiskRequested | OrderChanged


async def on_ledger_events(uow: UnitOfWork, events: Sequence[Event[LedgerEvent]]) -> None:
    """Risk requests (hold or reject) and order changes (settle fills, release what an
    ended order still holds) of one batch."""
    pg = await uow.pg()
    books = await store.lock_books(pg, needs([event.payload for event in events]))
    for event in events:
        uow.stage(*_apply(books, event.payload), cause=event)
    await store.save_books(pg, books)


def _apply(books: LedgerBooks, payload: LedgerEvent) -> list[Payload]:
    if isinstance(payload, RiskRequested):
        return request_risk(books, payload)
    return settle_order(books, payload)


async def on_users_registered(uow: UnitOfWork, events: Sequence[Event[UserRegistered]]) -> None:
    """Open an account (cash 0) for each new user."""
    await store.open_accounts(await uow.pg(), [event.payload.user_id for event in events])


async def on_instrument_changed(
    session: AsyncSession, _: Envelope, event: InstrumentChanged
) -> None:
    await store.upsert_instrument(
        session, event.symbol, event.lot_size, event.tick_size, event.status
    )
