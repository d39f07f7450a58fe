"""The unit of work of a batch-native consumer (ARCHITECTURE §4a).

One :class:`UnitOfWork` is one consumer transaction. It offers the SQLAlchemy session for
cold paths and, for the hot path, the asyncpg connection *of the same transaction*
(statements run on it are prepared once per connection by asyncpg's cache). Events a
handler stages are kept in memory and written to the outbox with ONE statement when the
work is flushed, however many there are; their ids are UUIDv7 taken at staging time, so
the relay publishes them in the order they were staged. The service's staging observers
see them as they are staged (:mod:`bourse.messaging.staging`).
"""

from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar
from uuid import UUID

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import unnest_columns
from bourse.contracts import Envelope
from bourse.contracts.events import Payload
from bourse.messaging import staging

P = TypeVar("P", bound=Payload)

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
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._pg: asyncpg.Connection | None = None
        self._staged: list[tuple[UUID, str, str, str, bytes]] = []

    async def pg(self) -> asyncpg.Connection:
        """The asyncpg connection the session's transaction runs on."""
        if self._pg is None:
            connection = await self.session.connection()
            raw = await connection.get_raw_connection()
            await staging.begun(raw.dbapi_connection)
            self._pg = raw.driver_connection
        return self._pg

    def stage(self, *payloads: Payload, cause: Event[Any] | None = None) -> list[UUID]:
        """Queue events for the outbox, caused by ``cause`` (its correlation id carried on);
        they are written by :meth:`flush` and published only if the transaction commits."""
        correlation = cause.envelope.correlation_id if cause else None
        causation = str(cause.message_id) if cause else None
        ids = []
        for payload in staging.observe(self.session, payloads):
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

    def mark(self) -> Mark:
        """Where staging stands now, for :meth:`discard_since`."""
        return Mark(len(self._staged), staging.observed_count(self.session))

    def discard_since(self, mark: Mark) -> None:
        """Forget the events staged after ``mark`` (by this unit or on its session): their
        work was rolled back."""
        del self._staged[mark.staged :]
        staging.forget_since(self.session, mark.observed)

    async def flush(self) -> None:
        """Write the staged events to the outbox with one statement."""
        if not self._staged:
            return
        columns = unnest_columns(self._staged)
        self._staged = []
        pg = await self.pg()
        await pg.execute(_OUTBOX_INSERT, *columns)
