"""The other rules alone (pure): order specs, alert conditions, run outcomes,
deterministic client_order_ids, and a recurring order's life (create, change)."""

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bourse.auto.domain.alerts import AlertDraft, Condition, check_alert, fires
from bourse.auto.domain.errors import DomainError
from bourse.auto.domain.ids import alert_client_order_id, run_client_order_id
from bourse.auto.domain.orders import OrderSpec, check_order
from bourse.auto.domain.recurring import Changes, Draft, changed, new
from bourse.auto.domain.runs import RunResult, run_result
from bourse.auto.domain.schedule import ScheduleRequest

D = Decimal
NOW = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        (OrderSpec("buy"), "invalid_order"),
        (OrderSpec("buy", qty=D(1), notional=D(10)), "invalid_order"),
        (OrderSpec("sell", notional=D(10)), "invalid_order"),
        (OrderSpec("buy", notional=D(10), type="limit", limit_price=D(1)), "invalid_order"),
        (OrderSpec("buy", qty=D(0)), "invalid_qty"),
        (OrderSpec("buy", qty=D(-1)), "invalid_qty"),
        (OrderSpec("buy", qty=D("0.000000001")), "invalid_qty"),
        (OrderSpec("buy", qty=D("1e10")), "invalid_qty"),
        (OrderSpec("buy", notional=D("10.001")), "invalid_notional"),
        (OrderSpec("buy", qty=D(1), type="limit"), "invalid_order"),
        (OrderSpec("buy", qty=D(1), type="limit", limit_price=D(0)), "invalid_price"),
        (OrderSpec("buy", qty=D(1), limit_price=D(10)), "invalid_order"),
        (OrderSpec("buy", qty=D(1), time_in_force="fok"), "invalid_order"),
    ],
)
def test_invalid_orders(spec: OrderSpec, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_order(spec)
    assert refused.value.code == code


def test_valid_orders() -> None:
    for spec in (
        OrderSpec("buy", qty=D("0.5")),
        OrderSpec("sell", qty=D(3)),
        OrderSpec("buy", notional=D("100.25")),
        OrderSpec("sell", qty=D(1), type="limit", limit_price=D("10.5"), time_in_force="gtc"),
    ):
        assert check_order(spec) == spec
        assert OrderSpec.stored(spec.public()) == spec


@pytest.mark.parametrize(
    ("condition", "previous", "price", "expected"),
    [
        ("above", None, "100", True),
        ("above", "120", "99.99", False),
        ("below", None, "100", True),
        ("below", "90", "100.01", False),
        ("crosses_above", None, "150", False),  # no previous price: no crossing
        ("crosses_above", "99", "100", True),
        ("crosses_above", "99", "101", True),
        ("crosses_above", "100", "101", False),  # started at the level, not below it
        ("crosses_above", "101", "102", False),  # already above
        ("crosses_above", "101", "99", False),  # the other way
        ("crosses_below", "101", "100", True),
        ("crosses_below", "101", "99", True),
        ("crosses_below", "100", "99", False),
        ("crosses_below", "99", "101", False),
    ],
)
def test_alert_conditions(
    condition: Condition, previous: str | None, price: str, expected: bool
) -> None:
    previous_price = D(previous) if previous is not None else None
    assert fires(condition, D(100), previous_price, D(price)) is expected


@pytest.mark.parametrize(
    ("draft", "code"),
    [
        (AlertDraft("ACME", "above", D(0), "notify"), "invalid_price"),
        (AlertDraft("ACME", "above", D(10), "order"), "invalid_alert"),
        (AlertDraft("ACME", "above", D(10), "notify", OrderSpec("buy", qty=D(1))), "invalid_alert"),
        (
            AlertDraft("ACME", "above", D(10), "order", OrderSpec("sell", notional=D(1))),
            "invalid_order",
        ),
        (AlertDraft("ACME", "above", D(10), "notify", expires_at=NOW), "invalid_expiry"),
    ],
)
def test_invalid_alerts(draft: AlertDraft, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_alert(draft, NOW)
    assert refused.value.code == code


def test_run_outcomes() -> None:
    assert run_result("new", None) is None
    assert run_result("partially_filled", None) is None
    assert run_result("filled", None) == RunResult("succeeded", None)
    assert run_result("rejected", "insufficient_buying_power") == RunResult(
        "failed", "insufficient_buying_power"
    )
    assert run_result("canceled", None) == RunResult("failed", "canceled")
    assert run_result("expired", None) == RunResult("failed", "expired")


def test_client_order_ids_are_deterministic() -> None:
    recurring_id, alert_id = uuid.uuid4(), uuid.uuid4()
    slot = datetime(2026, 3, 2, 12, 1, tzinfo=UTC)
    same_instant = slot.astimezone(timezone(timedelta(hours=-5)))
    cid = run_client_order_id(recurring_id, slot)
    assert cid == run_client_order_id(recurring_id, same_instant)
    assert cid.startswith("auto-") and len(cid) == 37
    assert cid != run_client_order_id(recurring_id, slot + timedelta(minutes=1))
    assert cid != run_client_order_id(uuid.uuid4(), slot)
    assert alert_client_order_id(alert_id) == "alert-" + alert_id.hex


def test_a_recurring_order_and_a_change() -> None:
    draft = Draft("ACME", OrderSpec("buy", notional=D(50)), ScheduleRequest(frequency="daily"))
    recurring, first = new(draft, NOW)
    assert recurring.start_at == NOW
    assert first == datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    change = Changes(given=frozenset({"qty", "side"}), qty=D(2), side="sell")
    after, upcoming = changed(recurring, change, NOW)
    assert (after.order.side, after.order.qty, after.order.notional) == ("sell", D(2), None)
    assert upcoming == first


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (None, NOW - timedelta(days=1), "invalid_time_range"),
        (NOW + timedelta(days=2), NOW + timedelta(days=1), "invalid_time_range"),
        (None, NOW + timedelta(hours=1), "schedule_never_runs"),  # 09:30 comes after it
    ],
)
def test_bounds(start: datetime | None, end: datetime, code: str) -> None:
    draft = Draft(
        "ACME", OrderSpec("buy", qty=D(1)), ScheduleRequest(frequency="daily"), start, end
    )
    with pytest.raises(DomainError) as refused:
        new(draft, NOW)
    assert refused.value.code == code
