"""The scheduler on a real database, driven by a hand-moved clock: a cron firing every
minute; exactly one run per slot across a restart in the middle of a run, and with two
instances racing; one catch-up run after downtime; frequency schedules across DST; end
dates, pauses and deletes; the alert expiry sweep."""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bourse.auto.db import recurring_orders, runs
from bourse.auto.domain.alerts import AlertDraft
from bourse.auto.domain.ids import run_client_order_id
from bourse.auto.domain.orders import OrderSpec
from bourse.auto.domain.recurring import Draft
from bourse.auto.domain.schedule import ScheduleRequest
from bourse.auto.handlers import alerts, recurring
from bourse.auto.handlers.runs import Placed
from bourse.auto.scheduler import Scheduler
from bourse.common.calendar import MarketCalendar
from bourse.common.db import Database
from bourse.testing.polling import eventually

from auto_support import T0, Headers, ManualClock, staged

EVERY_MINUTE = {"cron": "* * * * *"}
M1 = datetime(2026, 3, 2, 12, 1, tzinfo=UTC)  # the first minute after T0
MINUTE = timedelta(minutes=1)
BASE = "/api/v1/auto/recurring-orders"
NY = "America/New_York"


async def make(db: Database, now: datetime, schedule: dict[str, Any], **fields: Any) -> Any:
    """A recurring buy of 1 ACME for a new user, created at ``now``."""
    draft = Draft("ACME", OrderSpec("buy", qty=Decimal(1)), ScheduleRequest(**schedule), **fields)
    return await recurring.create(db, uuid.uuid4(), draft, now, None)


async def requested(db: Database) -> list[str]:
    """The client_order_ids of the OrderRequested staged in the outbox, oldest first."""
    return [e.payload["client_order_id"] for e in await staged(db, "auto.order_requested")]


async def runs_of(db: Database, recurring_id: uuid.UUID) -> list[Any]:
    async with db.transaction() as session:
        query = select(runs).where(runs.c.recurring_order_id == recurring_id)
        return list((await session.execute(query.order_by(runs.c.scheduled_for))).all())


async def current(db: Database, recurring_id: uuid.UUID) -> Any:
    async with db.transaction() as session:
        query = select(recurring_orders).where(recurring_orders.c.id == recurring_id)
        return (await session.execute(query)).one()


def cids(recurring_id: uuid.UUID, *slots: datetime) -> list[str]:
    return [run_client_order_id(recurring_id, slot) for slot in slots]


async def test_a_cron_every_minute_driven_by_the_clock(
    scheduled: Database, start_app: Any, headers_for: Headers
) -> None:
    clock = ManualClock(T0)
    me = headers_for(uuid.uuid4())
    async with start_app(clock) as app:
        body = {"symbol": "ACME", "side": "buy", "notional": "25", "schedule": EVERY_MINUTE}
        created = (
            await app.state.http.post("/api/v1/auto/recurring-orders", json=body, headers=me)
        ).json()
        item = uuid.UUID(created["id"])
        assert created["next_run_at"] == "2026-03-02T12:01:00Z"
        await asyncio.sleep(0.2)  # ten scheduler rounds: nothing is due yet
        assert await requested(scheduled) == []
        clock.set(M1)  # exactly on the slot
        await eventually(lambda: _count(scheduled, 1))
        clock.set(M1 + MINUTE + timedelta(seconds=5))
        await eventually(lambda: _count(scheduled, 2))
        await asyncio.sleep(0.2)
        assert await requested(scheduled) == cids(item, M1, M1 + MINUTE)
        path = f"{BASE}/{item}"
        listed = (await app.state.http.get(f"{path}/runs", headers=me)).json()["items"]
        state = (await app.state.http.get(path, headers=me)).json()
    assert [(r["scheduled_for"], r["outcome"], r["order_id"]) for r in listed] == [
        ("2026-03-02T12:02:00Z", "pending", None),
        ("2026-03-02T12:01:00Z", "pending", None),
    ]
    assert [r["client_order_id"] for r in listed] == cids(item, M1 + MINUTE, M1)
    assert (state["last_run_at"], state["next_run_at"]) == (
        "2026-03-02T12:02:00Z",
        "2026-03-02T12:03:00Z",
    )
    request = (await staged(scheduled, "auto.order_requested"))[0].payload
    assert request["notional"] == "25" and request["qty"] is None and request["type"] == "market"


async def _count(db: Database, expected: int) -> bool:
    found = len(await requested(db))
    assert found <= expected, f"{found} requests staged, expected {expected}"
    return found == expected


async def test_exactly_once_across_a_restart_in_the_middle_of_a_run(
    scheduled: Database, start_app: Any
) -> None:
    clock = ManualClock(T0)
    created = await make(scheduled, T0, EVERY_MINUTE)
    inside = asyncio.Event()
    block = False

    async def crash_point(placed: list[Placed]) -> None:
        if block and placed:
            inside.set()
            await asyncio.Event().wait()  # hangs with the run staged, uncommitted

    async with start_app(clock, before_commit=crash_point):
        clock.set(M1 + timedelta(seconds=10))
        await eventually(lambda: _count(scheduled, 1))
        block = True
        clock.set(M1 + MINUTE + timedelta(seconds=10))
        await asyncio.wait_for(inside.wait(), 5)
    # Stopped mid-run: the second slot's run was rolled back with its request.
    assert await requested(scheduled) == cids(created.id, M1)
    assert (await current(scheduled, created.id)).next_run_at == M1 + MINUTE
    async with start_app(clock):  # the restart
        await eventually(lambda: _count(scheduled, 2))
        await asyncio.sleep(0.2)
    async with start_app(clock):  # and again, at the same time: nothing new
        await asyncio.sleep(0.2)
    placed = await requested(scheduled)
    assert placed == cids(created.id, M1, M1 + MINUTE)  # one OrderRequested per slot
    assert [r.scheduled_for for r in await runs_of(scheduled, created.id)] == [M1, M1 + MINUTE]


async def test_two_instances_claim_each_run_once(
    scheduled: Database, scheduled_settings: Any
) -> None:
    clock = ManualClock(T0)
    items = [await make(scheduled, T0, EVERY_MINUTE) for _ in range(30)]
    clock.set(M1)
    other_db = Database(scheduled_settings.database_url, pool_size=4)
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold(_: list[Placed]) -> None:
        holding.set()
        await release.wait()

    first = Scheduler(scheduled, clock, batch=10, before_commit=hold)
    second = Scheduler(other_db, clock, batch=100)
    try:
        # The first holds 10 due orders locked mid-run; the second skips them (no wait).
        first_run = asyncio.create_task(first.tick())
        await asyncio.wait_for(holding.wait(), 5)
        taken_second = await asyncio.wait_for(second.tick(), 5)
        release.set()
        taken_first = await first_run
        assert (len(taken_first), len(taken_second)) == (10, 20)
        # Then a free-for-all, both instances at once, on the next minute's slot.
        clock.set(M1 + MINUTE)
        first.before_commit, first.batch, second.batch = None, 3, 4
        rounds = await asyncio.gather(*(s.tick() for s in (first, second) * 4))
    finally:
        await other_db.dispose()
    assert sum(len(r) for r in rounds) == 30
    placed = await requested(scheduled)
    assert len(placed) == 60 and len(set(placed)) == 60
    expected = {cid for item in items for cid in cids(item.id, M1, M1 + MINUTE)}
    assert set(placed) == expected
    for item in items[:3]:
        assert [r.scheduled_for for r in await runs_of(scheduled, item.id)] == [M1, M1 + MINUTE]


async def test_catch_up_after_downtime_is_one_run(scheduled: Database) -> None:
    clock = ManualClock(T0)
    scheduler = Scheduler(scheduled, clock)
    daily = await make(scheduled, T0, {"frequency": "daily", "at": "10:00"})
    minutely = await make(scheduled, T0, EVERY_MINUTE)
    tuesday = datetime(2026, 3, 3, 10, tzinfo=UTC)
    assert daily.next_run_at == tuesday
    clock.set(datetime(2026, 3, 6, 12, 0, 30, tzinfo=UTC))  # down from Monday to Friday noon
    await scheduler.tick()
    await scheduler.tick()
    assert [r.scheduled_for for r in await runs_of(scheduled, daily.id)] == [tuesday]
    assert [r.scheduled_for for r in await runs_of(scheduled, minutely.id)] == [M1]
    assert (await current(scheduled, daily.id)).next_run_at == datetime(2026, 3, 7, 10, tzinfo=UTC)
    assert (await current(scheduled, minutely.id)).next_run_at == datetime(
        2026, 3, 6, 12, 1, tzinfo=UTC
    )
    assert Counter(await requested(scheduled)) == Counter(
        cids(daily.id, tuesday) + cids(minutely.id, M1)
    )


async def test_with_the_session_calendar_runs_wait_for_the_open(scheduled: Database) -> None:
    clock = ManualClock(T0)  # Monday 07:00 in New York: the market is closed
    scheduler = Scheduler(scheduled, clock, session_calendar=MarketCalendar())
    minutely = await make(scheduled, T0, EVERY_MINUTE)
    clock.set(M1 + 10 * MINUTE)
    assert await scheduler.tick() == []
    opening = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # 09:30 EST
    clock.set(opening)
    assert [p.scheduled_for for p in await scheduler.tick()] == [M1]  # what fell due: once
    assert (await current(scheduled, minutely.id)).next_run_at == opening + MINUTE


async def test_a_weekly_schedule_in_new_york_across_dst(scheduled: Database) -> None:
    clock = ManualClock(T0)
    scheduler = Scheduler(scheduled, clock)
    schedule = {
        "frequency": "weekly",
        "day_of_week": "monday",
        "at": "09:30",
        "timezone": "America/New_York",
    }
    item = await make(scheduled, T0, schedule)
    before, after = (
        datetime(2026, 3, 2, 14, 30, tzinfo=UTC),
        datetime(2026, 3, 9, 13, 30, tzinfo=UTC),
    )
    assert item.next_run_at == before  # 09:30 EST
    clock.set(before + MINUTE)
    await scheduler.tick()
    assert (await current(scheduled, item.id)).next_run_at == after  # 09:30 EDT
    clock.set(after)
    await scheduler.tick()
    assert [r.scheduled_for for r in await runs_of(scheduled, item.id)] == [before, after]


async def test_the_end_date_completes_the_schedule(scheduled: Database) -> None:
    clock = ManualClock(T0)
    scheduler = Scheduler(scheduled, clock)
    item = await make(scheduled, T0, EVERY_MINUTE, end_at=M1 + 2 * MINUTE)
    for minute in range(4):
        clock.set(M1 + minute * MINUTE + timedelta(seconds=1))
        await scheduler.tick()
    assert [r.scheduled_for for r in await runs_of(scheduled, item.id)] == [
        M1,
        M1 + MINUTE,
        M1 + 2 * MINUTE,
    ]
    state = await current(scheduled, item.id)
    assert (state.status, state.next_run_at, state.last_run_at) == (
        "completed",
        None,
        M1 + 2 * MINUTE,
    )


async def test_paused_and_deleted_orders_do_not_run(scheduled: Database) -> None:
    clock = ManualClock(T0)
    scheduler = Scheduler(scheduled, clock)
    paused = await make(scheduled, T0, EVERY_MINUTE)
    deleted = await make(scheduled, T0, EVERY_MINUTE)
    await recurring.pause(scheduled, paused.user_id, paused.id, None)
    await recurring.delete(scheduled, deleted.user_id, deleted.id, None)
    clock.set(M1 + 5 * MINUTE)
    assert await scheduler.tick() == []
    assert await requested(scheduled) == []


async def test_the_tick_expires_alerts(scheduled: Database) -> None:
    clock = ManualClock(T0)
    draft = AlertDraft("ACME", "above", Decimal(10), "notify", expires_at=M1)
    alert: Any = await alerts.create(scheduled, uuid.uuid4(), draft, T0, None)
    await Scheduler(scheduled, clock).tick()
    assert (await alerts.get(scheduled, alert.user_id, alert.id)).status == "active"
    clock.set(M1)
    await Scheduler(scheduled, clock).tick()
    assert (await alerts.get(scheduled, alert.user_id, alert.id)).status == "expired"


async def test_a_broken_recurring_order_does_not_hold_up_the_others(scheduled: Database) -> None:
    clock = ManualClock(T0)
    broken = await make(scheduled, T0, EVERY_MINUTE)
    stopped = await make(scheduled, T0, EVERY_MINUTE)
    fine = await make(scheduled, T0, EVERY_MINUTE)
    damage = {broken.id: {}, stopped.id: stopped.schedule | {"timezone": "Gone/Away"}}
    async with scheduled.transaction() as session:
        for item_id, schedule in damage.items():
            where = recurring_orders.c.id == item_id
            await session.execute(recurring_orders.update().where(where).values(schedule=schedule))
    clock.set(M1)
    placed = await Scheduler(scheduled, clock, batch=2).tick()
    expected = cids(fine.id, M1) + cids(stopped.id, M1)
    assert sorted(p.client_order_id for p in placed) == sorted(expected)
    assert await runs_of(scheduled, broken.id) == []  # rolled back to its savepoint
    assert (await current(scheduled, broken.id)).next_run_at == M1  # still due
    assert (await current(scheduled, stopped.id)).status == "completed"  # no next slot
    assert Counter(await requested(scheduled)) == Counter(expected)
