"""The pure model: what each event says, its dedupe key, and the webhook rules."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from bourse.notifications.domain import messages
from bourse.notifications.domain import webhooks as rules
from bourse.notifications.domain.formatting import money, number, reason
from bourse.notifications.live.hub import Subscriber

from notifications_support import account, alert, auto_run, order, registered

USER = uuid.UUID("0190c3f2-0000-7000-8000-000000000001")


def test_amounts_are_formatted_from_decimals() -> None:
    assert money(Decimal("1000.5")) == "$1,000.50"
    assert money(Decimal("-3")) == "-$3.00"
    assert money(Decimal("0.0125")) == "$0.0125"
    assert money(Decimal("1E+3")) == "$1,000.00"
    assert number(Decimal("101.2500")) == "101.25"
    assert number(Decimal("1E+2")) == "100"
    assert reason("insufficient_buying_power") == "insufficient buying power"
    assert reason(None) == "unknown reason"


def test_a_filled_order() -> None:
    draft = messages.for_order(order(USER, "filled", filled_qty="10", avg="101.2"))
    assert draft is not None
    assert (draft.type, draft.title) == ("order.filled", "Order filled")
    assert draft.body == (
        "Your buy order for 10 ACME was filled: 10 ACME at an average price of 101.2."
    )
    assert draft.data["filled_qty"] == "10" and draft.data["filled_avg_price"] == "101.2"
    assert draft.data["limit_price"] == "101.25" and draft.data["symbol"] == "ACME"
    assert draft.source_key == f"order:{draft.data['order_id']}:filled"


def test_each_partial_fill_is_its_own_notification() -> None:
    order_id = uuid.uuid4()
    first = messages.for_order(
        order(USER, "partially_filled", order_id=order_id, filled_qty="3", fill=("3", "100"))
    )
    second = messages.for_order(
        order(USER, "partially_filled", order_id=order_id, filled_qty="5", fill=("2", "101"))
    )
    assert first is not None and second is not None
    assert first.source_key != second.source_key
    assert second.body == "Your buy order for 10 ACME is partially filled: 2 at 101; 5 so far."
    assert second.data["fill"]["qty"] == "2" and second.data["fill"]["price"] == "101"


@pytest.mark.parametrize(
    ("status", "title", "body"),
    [
        ("canceled", "Order canceled", "Your buy order for 10 ACME was canceled."),
        (
            "rejected",
            "Order rejected",
            "Your buy order for 10 ACME was rejected: insufficient buying power.",
        ),
        (
            "expired",
            "Order expired",
            "Your buy order for 10 ACME expired at the end of its session.",
        ),
    ],
)
def test_orders_that_end_unfilled(status: str, title: str, body: str) -> None:
    event = order(USER, status, reject_reason="insufficient_buying_power")  # type: ignore[arg-type]
    draft = messages.for_order(event)
    assert draft is not None
    assert (draft.type, draft.title, draft.body) == (f"order.{status}", title, body)


def test_an_order_canceled_by_an_exchange_reset_says_why() -> None:
    draft = messages.for_order(order(USER, "canceled", reject_reason="exchange_reset"))
    assert draft is not None and draft.body == (
        "Your buy order for 10 ACME was canceled: the exchange restarted without its order"
        " book (exchange reset), and what it reserved is available again."
    )


def test_a_notional_order_canceled_after_a_partial_fill() -> None:
    event = order(USER, "canceled", qty=None, notional="500", filled_qty="2")
    draft = messages.for_order(event)
    assert draft is not None
    assert draft.body == "Your buy order for $500.00 of ACME was canceled after 2 ACME had filled."


@pytest.mark.parametrize("status", ["pending_new", "new", "pending_cancel", "replaced"])
def test_other_order_states_say_nothing(status: str) -> None:
    assert messages.for_order(order(USER, status)) is None  # type: ignore[arg-type]


def test_recurring_runs() -> None:
    done = messages.for_auto_run(auto_run(USER, "succeeded"))
    assert (done.type, done.title) == ("auto.run.succeeded", "Recurring order executed")
    assert done.body == (
        "Your recurring buy of ACME went through: 4 ACME at an average price of 25.5."
    )
    assert done.source_key == f"auto.run:{done.data['run_id']}"
    failed = messages.for_auto_run(auto_run(USER, "failed", "insufficient_buying_power"))
    assert (failed.type, failed.body) == (
        "auto.run.failed",
        "Your recurring buy of ACME failed: insufficient buying power.",
    )
    assert (
        failed.data["filled_qty"] is None and failed.data["reason"] == "insufficient_buying_power"
    )


def test_an_alert() -> None:
    draft = messages.for_alert(alert(USER, action="order"))
    assert (draft.type, draft.title) == ("alert.triggered", "Price alert: BRK.B")
    assert draft.body == "BRK.B crossed above 150 (last price 150.25). Your order was placed."
    assert draft.data["price"] == "150" and draft.data["client_order_id"] == "alert-1"
    assert draft.source_key == f"alert:{draft.data['alert_id']}"


def test_only_deposits_of_account_updates() -> None:
    draft = messages.for_account(account(USER), "m-1")
    assert draft is not None
    assert (draft.type, draft.title) == ("account.deposit", "Deposit received")
    assert draft.body == "$1,000.50 was added to your account. Your cash balance is $1,500.50."
    assert draft.data["amount"] == "1000.5"
    assert draft.source_key == f"deposit:{draft.data['activity_id']}"
    bare = messages.for_account(account(USER, amount=None), "m-2")
    assert bare is not None and bare.source_key == "message:m-2"
    assert bare.body.startswith("A deposit was added")
    for other in ("withdrawal", "fill", "reservation", "release"):
        assert messages.for_account(account(USER, reason=other), "m-3") is None


def test_welcome() -> None:
    draft = messages.for_registration(registered(USER))
    assert (draft.type, draft.title) == ("user.registered", "Welcome to Bourse")
    assert draft.body.startswith("Hi Ada, your Bourse account is ready.")
    assert draft.source_key == f"welcome:{USER}"
    assert messages.for_registration(registered(USER, name=None)).body.startswith("Your Bourse")


def test_every_type_is_known() -> None:
    assert {
        "order.filled",
        "order.partially_filled",
        "order.canceled",
        "order.rejected",
        "order.expired",
        "auto.run.succeeded",
        "auto.run.failed",
        "alert.triggered",
        "account.deposit",
        "user.registered",
    } == messages.TYPES


def test_signatures_cover_the_timestamp_and_the_body() -> None:
    body = b'{"type":"notification"}'
    signature = rules.sign("s3cret", 1_700_000_000, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert rules.verify("s3cret", 1_700_000_000, body, signature)
    assert not rules.verify("s3cret", 1_700_000_001, body, signature)  # replayed later
    assert not rules.verify("s3cret", 1_700_000_000, body + b" ", signature)
    assert not rules.verify("other", 1_700_000_000, body, signature)
    assert rules.new_secret() != rules.new_secret()


def test_backoff_doubles_up_to_a_cap() -> None:
    delays = [rules.backoff_seconds(n, 1.0, 10.0) for n in range(1, 7)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert not rules.is_dead(2, 3) and rules.is_dead(3, 3)


def _row(created_at: datetime | None = None) -> SimpleNamespace:
    return SimpleNamespace(
        id=uuid.uuid4(),
        user_id=USER,
        type="order.filled",
        title="Order filled",
        body="...",
        data={},
        created_at=created_at or datetime.now(UTC),
        read_at=None,
    )


def test_a_socket_that_falls_behind_is_told_to_go() -> None:
    subscriber = Subscriber(USER, limit=2)
    rows = [_row() for _ in range(3)]
    assert subscriber.offer(rows[0]) and subscriber.offer(rows[1])
    assert not subscriber.offer(rows[0])  # sent already: never twice
    assert not subscriber.offer(rows[2])  # over the limit: the close marker instead
    assert subscriber.overflowed
    queued = [subscriber.outbox.get_nowait() for _ in range(3)]
    assert [m["notification"]["id"] for m in queued[:2] if m] == [str(r.id) for r in rows[:2]]
    assert queued[2] is None


def test_a_catch_up_skips_what_predates_the_socket() -> None:
    subscriber = Subscriber(USER, limit=10)
    old = _row(datetime.now(UTC) - timedelta(minutes=1))
    assert not subscriber.offer(old, catching_up=True)
    assert subscriber.offer(old)  # announced live: it is new whatever its clock says
