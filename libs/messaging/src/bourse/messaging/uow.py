"""The unit of work of a batch-native consumer (ARCHITECTURE §4a).

One :class:`UnitOfWork` is one consumer transaction. It offers, for the hot path, the
asyncpg connection of the transaction (statements run on it are prepared once per
connection by asyncpg's cache) and, for cold paths, a SQLAlchemy session *in the same
transaction*. :func:`run_unit` drives the transaction on asyncpg and makes the session
only when a handler asks for it (:mod:`bourse.common.driven`: half the Python CPU of a
small transaction); ``UnitOfWork(session)`` works inside a session's transaction. Events a
handler stages are kept in memory and written to the outbox with ONE statement when the
work is flushed, however many there are; their ids are UUIDv7 taken at staging time, so
the relay publishes them in the order they were staged. The service's staging observers
see them as they are staged (:mod:`bourse.messaging.staging`).
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar
from uuid import UUID

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database, unnest_columns
from bourse.common.driven import DrivenTransaction, begun
from bourse.contracts import Envelope
from bourse.contracts.events import Payload
from bourse.messaging import staging

P = TypeVar("P", bound=Payload)
T = TypeVar("T")

# unnest of parallel arrays: one statement (and one plan) whatever the number of rows, and
# the statement-level NOTIFY trigger fires once.
_OUTBOX_INSERT = """
INSERT INTO outbox (id, exchange, routing_key, message_type, body)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[])
"""


@dataclass(frozen=True, slots=True)
class Event(Generic[P]):
    """One consumed event: its envelope and its decoded payload."""

    envelope: Envelope
    payload: P

    @property
    def message_id(self) -> UUID:
        return self.envelope.message_id


class Mark(NamedTuple):
    """How much was staged at a moment (see :meth:`UnitOfWork.discard_since`)."""

    staged: int
    observed: int


class UnitOfWork:
    def __init__(
        self,
        session: AsyncSession | None = None,
        *,
        driven: DrivenTransaction | None = None,
        observers: staging.Observers = (),
    ) -> None:
        """A unit of work inside ``session``'s transaction, or on a ``driven`` one whose
        staged events ``observers`` see (:func:`run_unit`)."""
        if (session is None) == (driven is None):
            raise TypeError("a unit of work needs a session or a driven transaction")
        self._session = session
        self._driven = driven
        self._pg: asyncpg.Connection | None = None if driven is None else driven.pg
        self._staged: list[tuple[UUID, str, str, str, bytes]] = []
        self._observers = observers
        self._observed: staging.Observed = [] if session is None else staging.observed_of(session)

    @property
    def session(self) -> AsyncSession:
        """The SQLAlchemy session of this transaction (for cold paths)."""
        if self._session is None:
            assert self._driven is not None
            self._session = self._driven.session
            staging.share(self._session, self._observed)
        return self._session

    async def pg(self) -> asyncpg.Connection:
        """The asyncpg connection the transaction runs on."""
        if self._pg is None:
            connection = await self.session.connection()
            raw = await connection.get_raw_connection()
            await begun(raw.dbapi_connection)
            self._pg = raw.driver_connection
        return self._pg

    def stage(self, *payloads: Payload, cause: Event[Any] | None = None) -> list[UUID]:
        """Queue events for the outbox, caused by ``cause`` (its correlation id carried on);
        they are written by :meth:`flush` and published only if the transaction commits."""
        correlation = cause.envelope.correlation_id if cause else None
        causation = str(cause.message_id) if cause else None
        ids = []
        for payload in self._observe(payloads):
            envelope = Envelope(
                type=payload.TYPE,
                version=payload.VERSION,
                correlation_id=correlation,
                causation_id=causation,
                payload=payload.model_dump(mode="json"),
            )
            self._staged.append(
                (
                    envelope.message_id,
                    payload.EXCHANGE,
                    payload.routing_key(),
                    payload.TYPE,
                    envelope.to_bytes(),
                )
            )
            ids.append(envelope.message_id)
        return ids

    def _observe(self, payloads: Sequence[Payload]) -> Sequence[Payload]:
        if self._driven is None:
            assert self._session is not None
            return staging.observe(self._session, payloads)
        return staging.observe_into(self._observers, self._observed, payloads)

    def mark(self) -> Mark:
        """Where staging stands now, for :meth:`discard_since`."""
        return Mark(len(self._staged), len(self._observed))

    def discard_since(self, mark: Mark) -> None:
        """Forget the events staged after ``mark`` (by this unit or on its session): their
        work was rolled back."""
        del self._staged[mark.staged :]
        del self._observed[mark.observed :]

    async def flush(self) -> None:
        """Write the staged events to the outbox with one statement."""
        if not self._staged:
            return
        columns = unnest_columns(self._staged)
        self._staged = []
        pg = await self.pg()
        await pg.execute(_OUTBOX_INSERT, *columns)

    async def before_commit(self) -> None:
        """On a driven transaction with no session, hand the observers what they kept (a
        session, if one was made, does it as it commits)."""
        if self._driven is not None and not self._driven.has_session and self._observed:
            observed, self._observed = self._observed, []
            await staging.write(self._driven.pg, observed)


async def run_unit(db: Database, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """``work`` in one driven transaction (:meth:`Database.run_driven`), its observed
    events written before the commit; retried like :meth:`Database.run`."""
    observers = staging.observers_of(db)

    async def attempt(transaction: DrivenTransaction) -> T:
        uow = UnitOfWork(driven=transaction, observers=observers)
        result = await work(uow)
        await uow.before_commit()
        return result

    return await db.run_driven(attempt)
