"""Rows a service writes of its own for the events it stages, in the same transaction.

A :class:`StagingObserver` registered on a database (:func:`observe_staging`) is shown
every event that a transaction of that database stages for the outbox, by either path
(:meth:`bourse.messaging.uow.UnitOfWork.stage` or :func:`bourse.messaging.outbox.stage`),
in staging order, which is the outbox's order too (message ids are UUIDv7 taken at
staging). What it keeps of an event is taken at staging, as the envelope is; all it kept
is handed to :meth:`StagingObserver.write` ONCE, just before the transaction commits, on
the transaction's own asyncpg connection: one call per transaction whatever the number of
events and of staging calls (so a statement per table, not per event), and none for a
transaction that rolls back.

Savepoints: what was staged in a consumer's savepoint that rolls back is forgotten with
its events (:meth:`UnitOfWork.discard_since`). SQLAlchemy savepoints (``begin_nested``)
are not followed, so staging an observed event inside one raises."""

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from bourse.common.db import Database
from bourse.common.driven import begun
from bourse.contracts.events import Payload

T = TypeVar("T")
Observers = tuple["StagingObserver[Any]", ...]
Observed = list[tuple["StagingObserver[Any]", Any]]  # (observer, what it kept), in order
_OBSERVERS = "bourse.staging.observers"  # keys of Session.info
_OBSERVED = "bourse.staging.observed"


class StagingObserver(Protocol[T]):
    def observe(self, payload: Payload) -> T | None:
        """What to write for ``payload`` (None: nothing); called as it is staged."""

    def publishes(self, payload: Payload) -> bool:
        """Whether ``payload`` also goes to the outbox. False for an event that no queue
        binds (ARCHITECTURE §4a: nothing is published that no queue consumes) and that is
        staged only for this observer's rows."""

    async def write(self, pg: asyncpg.Connection, observed: Sequence[T]) -> None:
        """Write what the transaction's staged events gave, in staging order."""


def observe_staging(db: Database, *observers: StagingObserver[Any]) -> None:
    """From now on, every transaction of ``db`` shows ``observers`` what it stages."""
    info = dict(db.sessions.kw.get("info") or {})
    info[_OBSERVERS] = (*info.get(_OBSERVERS, ()), *observers)
    db.sessions.configure(info=info)


def observe(session: AsyncSession, payloads: Sequence[Payload]) -> Sequence[Payload]:
    """Show the session's observers ``payloads``, which are being staged, in order; the
    ones to write to the outbox (those every observer lets be published)."""
    observers: Observers = session.info.get(_OBSERVERS, ())
    if not observers:
        return payloads
    if session.in_nested_transaction():
        raise RuntimeError("observed events cannot be staged inside a SQLAlchemy savepoint")
    return observe_into(observers, session.info.setdefault(_OBSERVED, []), payloads)


def observe_into(
    observers: Observers, observed: Observed, payloads: Sequence[Payload]
) -> Sequence[Payload]:
    """:func:`observe` with the observers and what they kept held by the caller (a unit of
    work with no session: :class:`bourse.messaging.uow.UnitOfWork`)."""
    if not observers:
        return payloads
    for payload in payloads:
        for observer in observers:
            kept = observer.observe(payload)
            if kept is not None:
                observed.append((observer, kept))
    return [p for p in payloads if all(observer.publishes(p) for observer in observers)]


def observers_of(db: Database) -> Observers:
    """The observers every transaction of ``db`` shows what it stages."""
    info = db.sessions.kw.get("info") or {}
    observers: Observers = info.get(_OBSERVERS, ())
    return observers


def observed_of(session: AsyncSession) -> Observed:
    """What ``session``'s observers kept so far in its transaction (the list itself)."""
    observed: Observed = session.info.setdefault(_OBSERVED, [])
    return observed


def share(session: AsyncSession, observed: Observed) -> None:
    """``session`` keeps what it observes in ``observed`` (a unit of work's list, so that
    events staged either way stay in staging order) and writes it before it commits."""
    session.info[_OBSERVED] = observed


@event.listens_for(Session, "before_commit")
def _write_observed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's commit: the transaction goes on
    observed = session.info.pop(_OBSERVED, None)
    if not observed:
        return
    adapted: Any = session.connection().connection.dbapi_connection
    adapted.run_async(lambda pg: _write(adapted, pg, observed))


async def _write(adapted: Any, pg: asyncpg.Connection, observed: Observed) -> None:
    await begun(adapted)
    await write(pg, observed)


async def write(pg: asyncpg.Connection, observed: Observed) -> None:
    """Hand each observer what it kept, in staging order: one call per observer."""
    by_observer: dict[int, tuple[StagingObserver[Any], list[Any]]] = {}
    for observer, kept in observed:
        by_observer.setdefault(id(observer), (observer, []))[1].append(kept)
    for observer, kept_in_order in by_observer.values():
        await observer.write(pg, kept_in_order)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without its commit (rolled back) wrote nothing."""
    if transaction.parent is None:
        session.info.pop(_OBSERVED, None)
