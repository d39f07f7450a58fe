"""Staging observers (bourse.messaging.staging): a service's own rows for the events it
stages, written in the same transaction, once per transaction, in staging order (the
outbox's order), whether the unit of work or the session staged them; nothing for a
transaction that rolls back, nor for a consumer's savepoint that rolls back."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import InstrumentChanged, Payload, UserRegistered
from bourse.contracts.topology import USERS
from bourse.messaging.broker import Broker
from bourse.messaging.consumer import Consumer
from bourse.messaging.outbox import stage
from bourse.messaging.staging import observe_staging
from bourse.messaging.tables import outbox
from bourse.messaging.topology import Binding, QueueSpec
from bourse.messaging.uow import Event, UnitOfWork, run_unit
from bourse.testing.polling import eventually

from messaging_support import consuming, observed

_ADD = "INSERT INTO observed (position, symbol) SELECT * FROM unnest($1::int[], $2::text[])"


class Symbols:
    """Observes instrument changes: writes their symbols, numbered in the order given."""

    def __init__(self, unpublished: frozenset[str] = frozenset()) -> None:
        self.writes: list[list[str]] = []
        self.unpublished = unpublished  # symbols whose changes stay out of the outbox

    def observe(self, payload: Payload) -> str | None:
        return payload.symbol if isinstance(payload, InstrumentChanged) else None

    def publishes(self, payload: Payload) -> bool:
        return not (isinstance(payload, InstrumentChanged) and payload.symbol in self.unpublished)

    async def write(self, pg: asyncpg.Connection, symbols: Sequence[str]) -> None:
        self.writes.append(list(symbols))
        first = await pg.fetchval("SELECT count(*) FROM observed")
        await pg.execute(_ADD, list(range(first, first + len(symbols))), list(symbols))


def instrument(symbol: str) -> InstrumentChanged:
    fields = {"symbol": symbol, "name": symbol, "tick_size": "0.01", "lot_size": "1"}
    return InstrumentChanged.model_validate(fields | {"status": "trading"})


def registered(name: str = "") -> UserRegistered:
    email = f"{name or uuid.uuid4().hex[:8]}@example.com"
    return UserRegistered(user_id=uuid.uuid4(), email=email)


@pytest.fixture
async def observing(db: Database) -> AsyncIterator[tuple[Database, Symbols]]:
    """The test database again, each of its transactions showing a Symbols what it stages."""
    database = Database(db.engine.url.render_as_string(hide_password=False), pool_size=2)
    symbols = Symbols()
    observe_staging(database, symbols)
    yield database, symbols
    await database.dispose()


async def written(db: Database) -> list[str]:
    async with db.transaction() as session:
        return list(await session.scalars(select(observed.c.symbol).order_by(observed.c.position)))


async def in_the_outbox(db: Database) -> list[str]:
    async with db.transaction() as session:
        bodies = await session.scalars(select(outbox.c.body).order_by(outbox.c.id))
        envelopes = [Envelope.from_bytes(body) for body in bodies]
    return [e.payload["symbol"] for e in envelopes if e.type == InstrumentChanged.TYPE]


async def test_both_staging_paths_are_observed_in_staging_order_and_written_once(
    observing: tuple[Database, Symbols],
) -> None:
    database, symbols = observing
    names = [f"S{n}" for n in range(8)]
    async with database.transaction() as session:
        uow = UnitOfWork(session)
        uow.stage(instrument(names[0]), registered(), instrument(names[1]))
        await stage(session, instrument(names[2]))
        uow.stage(instrument(names[3]))
        await stage(session, registered(), instrument(names[4]), instrument(names[5]))
        await uow.flush()
        uow.stage(instrument(names[6]))  # after a flush: still this transaction's
        await uow.flush()
        await stage(session, instrument(names[7]))
        assert symbols.writes == []  # not before the commit
    assert symbols.writes == [names]
    assert await written(database) == names
    assert await in_the_outbox(database) == names


async def test_a_driven_unit_observes_both_paths_in_staging_order(
    observing: tuple[Database, Symbols],
) -> None:
    """On the hot path's transaction the session is made only when staged on: what the
    unit staged before it and after it is written with it, in staging order, once."""
    database, symbols = observing
    names = [f"S{n}" for n in range(5)]

    async def work(uow: UnitOfWork) -> None:
        uow.stage(instrument(names[0]), registered(), instrument(names[1]))
        await stage(uow.session, instrument(names[2]))
        uow.stage(instrument(names[3]))
        await uow.flush()
        await stage(uow.session, instrument(names[4]))
        assert symbols.writes == []  # not before the commit

    await run_unit(database, work)
    assert symbols.writes == [names]
    assert await written(database) == names
    assert await in_the_outbox(database) == names


async def test_a_driven_unit_with_no_session_writes_what_it_observed_once(
    observing: tuple[Database, Symbols],
) -> None:
    database, symbols = observing

    async def work(uow: UnitOfWork) -> None:
        uow.stage(instrument("A"), registered(), instrument("B"))
        await uow.flush()

    await run_unit(database, work)
    assert symbols.writes == [["A", "B"]]
    assert await written(database) == ["A", "B"] == await in_the_outbox(database)


async def test_a_driven_unit_that_fails_writes_nothing(
    observing: tuple[Database, Symbols],
) -> None:
    database, symbols = observing

    async def work(uow: UnitOfWork) -> None:
        uow.stage(instrument("A"))
        await stage(uow.session, instrument("B"))
        await uow.flush()
        raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError):
        await run_unit(database, work)
    assert symbols.writes == [] and await written(database) == []
    assert await in_the_outbox(database) == []


async def test_an_event_the_observer_keeps_unpublished_is_written_but_not_in_the_outbox(
    db: Database,
) -> None:
    database = Database(db.engine.url.render_as_string(hide_password=False), pool_size=2)
    observe_staging(database, Symbols(unpublished=frozenset({"B", "D"})))
    try:
        async with database.transaction() as session:
            uow = UnitOfWork(session)
            uow.stage(instrument("A"), instrument("B"))
            await stage(session, instrument("C"), instrument("D"))
            await uow.flush()
        assert await written(database) == ["A", "B", "C", "D"]
        assert await in_the_outbox(database) == ["A", "C"]
    finally:
        await database.dispose()


async def test_a_rolled_back_transaction_writes_nothing(
    observing: tuple[Database, Symbols],
) -> None:
    database, symbols = observing
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            await stage(session, instrument("A"))
            UnitOfWork(session).stage(instrument("B"))
            raise RuntimeError("the work failed")
    assert symbols.writes == [] and await written(database) == []
    async with database.transaction() as session:
        await stage(session, instrument("C"))
    assert symbols.writes == [["C"]]


async def test_a_database_without_observers_writes_nothing_of_its_own(
    db: Database, observing: tuple[Database, Symbols]
) -> None:
    _, symbols = observing
    async with db.transaction() as session:
        await stage(session, instrument("A"))
        UnitOfWork(session).stage(instrument("B"))
    assert symbols.writes == [] and await written(db) == []


async def test_an_observed_event_cannot_be_staged_in_a_sqlalchemy_savepoint(
    observing: tuple[Database, Symbols],
) -> None:
    database, symbols = observing
    with pytest.raises(RuntimeError, match="savepoint"):
        async with database.transaction() as session, session.begin_nested():
            await stage(session, instrument("A"))
    assert symbols.writes == []


async def test_what_a_failed_event_staged_is_forgotten_with_its_savepoint(
    observing: tuple[Database, Symbols], broker: Broker
) -> None:
    """A batch fails, so each event is applied alone in a savepoint: the failing one's
    events, staged by both paths, leave neither outbox rows nor observed rows."""
    database, symbols = observing
    queue = QueueSpec(f"test.staging.{uuid.uuid4().hex[:8]}", [Binding(USERS, "user.#")], 0)
    names = [f"U{n}" for n in range(10)]

    async def picky(uow: UnitOfWork, events: Sequence[Event[Any]]) -> None:
        for event in events:
            name = event.payload.email.split("@")[0]
            uow.stage(instrument(name + "A"), cause=event)
            await stage(uow.session, instrument(name + "B"))
        if any(event.payload.email.startswith("U4@") for event in events):
            raise ValueError("cannot apply this one")

    consumer = Consumer(broker, database, queue, {}, batch={UserRegistered.TYPE: picky})
    await consumer.start()
    for name in names:  # queued before the consumer runs: one batch
        await broker.publish(registered(name))
    await asyncio.sleep(0.3)
    async with consuming(consumer):
        assert await eventually(lambda: _length_is(written(database), 18))
        await consumer.wait_idle()
    expected = [f"{name}{path}" for name in names if name != "U4" for path in "AB"]
    assert await written(database) == expected
    assert await in_the_outbox(database) == expected
    assert symbols.writes == [expected]  # the failed batch wrote nothing


async def _length_is(found: Any, expected: int) -> bool:
    return len(await found) == expected
