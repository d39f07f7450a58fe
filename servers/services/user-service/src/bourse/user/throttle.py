"""Failed-attempt throttling, the store: :mod:`bourse.user.domain.throttle`'s rule applied
to rows of ``failed_attempts``, so every replica sees the same counts. One instance per
scope: logins use ``AttemptThrottle("login", ...)`` keyed by normalized email.

    await throttle.admit(session, subject, now)  # before checking the secret; may raise 429
    ...check the secret...
    await throttle.forget(session, subject)      # on success only

``admit`` holds the subject's row lock until its transaction ends: commit it before the
expensive check, so concurrent attempts queue on the count, not on the check.

Where the check is cheap and runs in the same transaction (API keys: a hash compare),
failures are recorded after the fact instead, and a success writes nothing:

    await throttle.refuse_if_locked(session, subject, now)  # may raise 429
    ...check the secret...
    await throttle.record_failure(session, subject, now)    # on failure
    await throttle.forget(session, subject)                 # on success, if it forgives
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import fetch_or_create
from bourse.common.errors import Problem
from bourse.user.db import failed_attempts
from bourse.user.domain.throttle import (
    Failures,
    ThrottlePolicy,
    count_failure,
    retry_after,
    retry_after_header,
)

PURGE_BATCH = 100  # stale rows deleted whenever a new one is created


def too_many_attempts(wait: timedelta) -> Problem:
    return Problem(
        429,
        "too_many_attempts",
        "too many failed attempts; retry after the delay in Retry-After",
        headers={"Retry-After": retry_after_header(wait)},
    )


class AttemptThrottle:
    def __init__(self, scope: str, policy: ThrottlePolicy) -> None:
        self.scope = scope
        self.policy = policy

    async def admit(self, session: AsyncSession, subject: str, now: datetime) -> None:
        """Count an attempt at ``subject`` as a failure, unless the subject is locked:
        then raise a 429 ``too_many_attempts`` with Retry-After, and count nothing."""
        state = await self._locked_state(session, subject, now)
        wait = retry_after(state, now)
        if wait is not None:
            raise too_many_attempts(wait)
        await self._count(session, subject, state, now)

    async def refuse_if_locked(self, session: AsyncSession, subject: str, now: datetime) -> None:
        """Raise a 429 ``too_many_attempts`` when ``subject`` is locked; count nothing."""
        query = select(failed_attempts).where(*self._key(subject))
        row = (await session.execute(query)).one_or_none()
        if row is not None:
            wait = retry_after(Failures(row.failures, row.last_failure_at, row.locked_until), now)
            if wait is not None:
                raise too_many_attempts(wait)

    async def record_failure(self, session: AsyncSession, subject: str, now: datetime) -> None:
        """Count a failed attempt at ``subject`` (nothing while it is locked: attempts made
        during a lock never extend it). Never raises a 429."""
        state = await self._locked_state(session, subject, now)
        if retry_after(state, now) is None:
            await self._count(session, subject, state, now)

    async def _locked_state(self, session: AsyncSession, subject: str, now: datetime) -> Failures:
        """The subject's failures, its row locked (created when missing)."""
        row = await fetch_or_create(
            lambda: self._locked_row(session, subject),
            lambda: self._create(session, subject, now),
        )
        return Failures(row.failures, row.last_failure_at, row.locked_until)

    async def _count(
        self, session: AsyncSession, subject: str, state: Failures, now: datetime
    ) -> None:
        counted = count_failure(self.policy, state, now)
        await session.execute(
            update(failed_attempts)
            .where(*self._key(subject))
            .values(
                failures=counted.count,
                last_failure_at=counted.last_at,
                locked_until=counted.locked_until,
            )
        )

    async def forget(self, session: AsyncSession, subject: str) -> None:
        """A success: the subject's failures are forgiven."""
        await session.execute(delete(failed_attempts).where(*self._key(subject)))

    def _key(self, subject: str) -> tuple[Any, Any]:
        return failed_attempts.c.scope == self.scope, failed_attempts.c.subject == subject

    async def _locked_row(self, session: AsyncSession, subject: str) -> Any:
        query = select(failed_attempts).where(*self._key(subject)).with_for_update()
        return (await session.execute(query)).one_or_none()

    async def _create(self, session: AsyncSession, subject: str, now: datetime) -> None:
        await self._purge(session, now - self.policy.window)
        await session.execute(
            pg_insert(failed_attempts)
            .values(scope=self.scope, subject=subject)
            .on_conflict_do_nothing()
        )

    async def _purge(self, session: AsyncSession, before: datetime) -> None:
        """Rows whose last failure is forgotten (older than the window, which outlasts
        any lock) are dead weight: unknown emails tried once, owners who gave up."""
        stale = (
            select(failed_attempts.c.scope, failed_attempts.c.subject)
            .where(failed_attempts.c.last_failure_at < before)
            .limit(PURGE_BATCH)
            .with_for_update(skip_locked=True)
        )
        key = tuple_(failed_attempts.c.scope, failed_attempts.c.subject)
        await session.execute(delete(failed_attempts).where(key.in_(stale)))
