"""AttemptThrottle (bourse.user.throttle) on the real database, with explicit clocks:
the lock schedule, refusals that count nothing, scopes kept apart, forgetting."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bourse.common.db import Database
from bourse.common.errors import Problem
from bourse.user.config import Settings
from bourse.user.domain.throttle import ThrottlePolicy
from bourse.user.throttle import AttemptThrottle

T0 = datetime.now(UTC)  # near the real clock: other tests' purges use it
POLICY = ThrottlePolicy(free_failures=3, base_delay=timedelta(seconds=10))


@pytest.fixture(scope="module")
async def db(user_settings: Settings) -> AsyncIterator[Database]:
    database = Database(user_settings.database_url)
    yield database
    await database.dispose()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def admit(db: Database, throttle: AttemptThrottle, subject: str, now: datetime) -> str:
    """'ok', or the Retry-After of the 429."""
    try:
        async with db.transaction() as session:
            await throttle.admit(session, subject, now)
    except Problem as problem:
        assert problem.status == 429 and problem.code == "too_many_attempts"
        assert problem.headers is not None
        return problem.headers["Retry-After"]
    return "ok"


async def test_locks_double_and_refusals_never_extend_them(db: Database) -> None:
    throttle, subject = AttemptThrottle("test", POLICY), uuid.uuid4().hex
    assert [await admit(db, throttle, subject, at(0)) for _ in range(3)] == ["ok"] * 3
    assert await admit(db, throttle, subject, at(0.5)) == "10"  # the 3rd locked 10 s
    assert await admit(db, throttle, subject, at(9.5)) == "1"  # refusals counted nothing
    assert await admit(db, throttle, subject, at(10)) == "ok"  # the 4th: locked 20 s
    assert await admit(db, throttle, subject, at(29.9)) == "1"
    assert await admit(db, throttle, subject, at(30)) == "ok"  # the 5th: locked 40 s
    assert await admit(db, throttle, subject, at(31)) == "39"


async def test_forget_and_the_window_start_over(db: Database) -> None:
    throttle, subject = AttemptThrottle("test", POLICY), uuid.uuid4().hex
    for _ in range(3):
        await admit(db, throttle, subject, at(0))
    async with db.transaction() as session:
        await throttle.forget(session, subject)
    assert [await admit(db, throttle, subject, at(1)) for _ in range(3)] == ["ok"] * 3
    assert await admit(db, throttle, subject, at(2)) == "9"
    later = at(1) + POLICY.window
    assert [await admit(db, throttle, subject, later) for _ in range(3)] == ["ok"] * 3


async def test_scopes_are_counted_apart(db: Database) -> None:
    subject = uuid.uuid4().hex
    logins, keys = AttemptThrottle("test", POLICY), AttemptThrottle("test_key", POLICY)
    for _ in range(3):
        await admit(db, logins, subject, at(0))
    assert await admit(db, logins, subject, at(1)) == "9"
    assert await admit(db, keys, subject, at(1)) == "ok"


async def check_then_fail(
    db: Database, throttle: AttemptThrottle, subject: str, now: datetime
) -> str:
    """The after-the-fact use (API keys): refused when locked, else a failure recorded."""
    try:
        async with db.transaction() as session:
            await throttle.refuse_if_locked(session, subject, now)
            await throttle.record_failure(session, subject, now)
    except Problem as problem:
        assert problem.status == 429 and problem.headers is not None
        return problem.headers["Retry-After"]
    return "ok"


async def test_failures_recorded_after_the_fact_lock_on_the_same_schedule(db: Database) -> None:
    throttle, subject = AttemptThrottle("test_after", POLICY), uuid.uuid4().hex
    async with db.transaction() as session:
        await throttle.refuse_if_locked(session, subject, at(0))  # no row: no lock, no write
    assert [await check_then_fail(db, throttle, subject, at(0)) for _ in range(3)] == ["ok"] * 3
    assert await check_then_fail(db, throttle, subject, at(0.5)) == "10"
    async with db.transaction() as session:  # a failure recorded during a lock counts nothing
        await throttle.record_failure(session, subject, at(5))
    assert await check_then_fail(db, throttle, subject, at(10)) == "ok"  # the 4th: 20 s
    assert await check_then_fail(db, throttle, subject, at(11)) == "19"
