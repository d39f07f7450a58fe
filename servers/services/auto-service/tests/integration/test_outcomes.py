"""How runs end: OrderChanged events for a run's order (matched by client_order_id and
user), applied as the consumer applies them. The outcome is recorded once and announced
(auto.run.succeeded / auto.run.failed with the reason); a failed run never stops the
schedule; orders that are not runs are ignored."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bourse.auto.db import recurring_orders, runs
from bourse.auto.domain.orders import OrderSpec
from bourse.auto.domain.recurring import Draft
from bourse.auto.domain.schedule import ScheduleRequest
from bourse.auto.handlers import recurring
from bourse.auto.scheduler import Scheduler
from bourse.common.db import Database
from bourse.contracts.events import OrderStatus

from auto_support import T0, Headers, ManualClock, deliver, order_changed, staged

M1 = datetime(2026, 3, 2, 12, 1, tzinfo=UTC)


class Placed:
    """A recurring order whose first run (at M1) has been placed."""

    def __init__(self, db: Database, row: Any, clock: ManualClock, client_order_id: str) -> None:
        self.db, self.row, self.clock = db, row, clock
        self.user_id: uuid.UUID = row.user_id
        self.client_order_id = client_order_id

    async def run(self) -> Any:
        async with self.db.transaction() as session:
            query = select(runs).where(runs.c.client_order_id == self.client_order_id)
            return (await session.execute(query)).one()

    async def finished(self) -> list[dict[str, Any]]:
        """The AutoRunFinished staged, each with its routing key as ``_key``."""
        keys = ("auto.run.succeeded", "auto.run.failed")
        return [e.payload | {"_key": key} for key in keys for e in await staged(self.db, key)]


@pytest.fixture
async def placed(scheduled: Database) -> Placed:
    clock = ManualClock(T0)
    draft = Draft("ACME", OrderSpec("buy", qty=Decimal(2)), ScheduleRequest(cron="* * * * *"))
    row = await recurring.create(scheduled, uuid.uuid4(), draft, T0, None)
    clock.set(M1)
    [run] = await Scheduler(scheduled, clock).tick()
    return Placed(scheduled, row, clock, run.client_order_id)


async def test_a_filled_order_succeeds(
    placed: Placed, start_app: Any, headers_for: Headers
) -> None:
    order_id = uuid.uuid4()
    event = order_changed(
        placed.user_id,
        placed.client_order_id,
        "filled",
        filled_qty="2",
        avg_price="101.5",
        order_id=order_id,
    )
    assert await deliver(placed.db, event)
    run = await placed.run()
    assert (run.status, run.order_id, run.order_status) == ("succeeded", order_id, "filled")
    assert (run.filled_qty, run.filled_avg_price, run.reason) == (
        Decimal(2),
        Decimal("101.5"),
        None,
    )
    [finished] = await placed.finished()
    assert finished == {
        "_key": "auto.run.succeeded",
        "run_id": str(run.id),
        "recurring_order_id": str(placed.row.id),
        "user_id": str(placed.user_id),
        "symbol": "ACME",
        "side": "buy",
        "outcome": "succeeded",
        "scheduled_for": "2026-03-02T12:01:00Z",
        "order_id": str(order_id),
        "client_order_id": placed.client_order_id,
        "filled_qty": "2",
        "filled_avg_price": "101.5",
        "reason": None,
    }
    async with start_app(placed.clock, scheduler=False) as app:
        path = f"/api/v1/auto/recurring-orders/{placed.row.id}/runs"
        [item] = (await app.state.http.get(path, headers=headers_for(placed.user_id))).json()[
            "items"
        ]
    assert (item["outcome"], item["order_id"], item["filled_qty"]) == (
        "succeeded",
        str(order_id),
        "2",
    )
    assert item["finished_at"] is not None


@pytest.mark.parametrize(
    ("status", "reject_reason", "reason"),
    [
        ("rejected", "insufficient_buying_power", "insufficient_buying_power"),
        ("rejected", "symbol_halted", "symbol_halted"),
        ("canceled", None, "canceled"),
        ("expired", None, "expired"),
    ],
)
async def test_a_failed_run_does_not_stop_the_schedule(
    placed: Placed, status: OrderStatus, reject_reason: str | None, reason: str
) -> None:
    event = order_changed(
        placed.user_id, placed.client_order_id, status, reject_reason=reject_reason
    )
    assert await deliver(placed.db, event)
    run = await placed.run()
    assert (run.status, run.reason, run.order_status) == ("failed", reason, status)
    [finished] = await placed.finished()
    assert (finished["_key"], finished["outcome"], finished["reason"]) == (
        "auto.run.failed",
        "failed",
        reason,
    )
    async with placed.db.transaction() as session:
        query = select(recurring_orders.c.status).where(recurring_orders.c.id == placed.row.id)
        assert await session.scalar(query) == "active"
    placed.clock.set(M1 + timedelta(minutes=1))
    assert len(await Scheduler(placed.db, placed.clock).tick()) == 1  # the next run comes


async def test_an_outcome_is_recorded_once(placed: Placed) -> None:
    filled = order_changed(placed.user_id, placed.client_order_id, "filled", filled_qty="2")
    assert await deliver(placed.db, filled)
    message_id = uuid.uuid4()
    late = order_changed(placed.user_id, placed.client_order_id, "canceled")
    assert await deliver(placed.db, late, message_id)
    assert not await deliver(placed.db, late, message_id)  # a redelivery: the inbox drops it
    assert await deliver(placed.db, filled)  # the same state again, a new message
    assert (await placed.run()).status == "succeeded"
    assert len(await placed.finished()) == 1


@pytest.mark.parametrize("status", ["new", "partially_filled", "pending_cancel"])
async def test_open_states_change_nothing(placed: Placed, status: OrderStatus) -> None:
    assert await deliver(placed.db, order_changed(placed.user_id, placed.client_order_id, status))
    assert (await placed.run()).status == "placed"
    assert await placed.finished() == []


async def test_orders_that_are_not_runs_are_ignored(placed: Placed) -> None:
    for event in (
        order_changed(uuid.uuid4(), placed.client_order_id, "filled"),  # another user's
        order_changed(placed.user_id, None, "filled"),
        order_changed(placed.user_id, "my-own-id", "rejected", reject_reason="x"),
        order_changed(placed.user_id, "auto-" + uuid.uuid4().hex, "filled"),
    ):
        assert await deliver(placed.db, event)
    assert (await placed.run()).status == "placed"
    assert await placed.finished() == []
