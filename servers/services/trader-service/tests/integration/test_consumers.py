"""The event handlers on a real database, delivered as the consumer delivers them (inbox
first, one transaction): risk decisions, settlement, release, and their idempotency."""

import asyncio
import random
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from bourse.common.db import Database
from bourse.contracts.events import UserRegistered
from bourse.trader import store
from bourse.trader.db import activities, instruments
from bourse.trader.domain.errors import LedgerError

from trader_support import (
    SYMBOL,
    D,
    balances,
    deliver,
    fill,
    holding,
    instrument,
    order_changed,
    reservation,
    risk,
    staged,
)


async def funded(db: Database, cash: str = "0", shares: str = "0") -> uuid.UUID:
    """A new user with ``cash`` and ``shares`` of ACME (bought and settled for free)."""
    user_id = uuid.uuid4()
    await deliver(db, UserRegistered(user_id=user_id, email=f"{user_id.hex}@example.com"))
    async with db.transaction() as session:
        balance = await store.lock_account(session, user_id)
        balance.deposit(D(cash))
        await store.save_account(session, user_id, balance)
        position = await store.lock_holding(session, user_id, SYMBOL)
        position.add(D(shares))
        await store.save_holding(session, user_id, SYMBOL, position)
    return user_id


async def decisions(db: Database, user_id: uuid.UUID) -> list[tuple[str, str | None]]:
    return [
        (e.type, e.payload.get("reason"))
        for e in await staged(db, user_id)
        if e.type.startswith("risk.")
    ]


async def test_user_registered_opens_an_empty_account_once(ledger: Database) -> None:
    user_id = await funded(ledger, cash="50")
    again = UserRegistered(user_id=user_id, email="x@example.com")
    assert await deliver(ledger, again)  # a new message id: applied, changes nothing
    assert await balances(ledger, user_id) == (D("50"), D("0"))


async def test_a_buy_within_buying_power_is_accepted_and_holds_cash(ledger: Database) -> None:
    user_id = await funded(ledger, cash="1000")
    request = risk(user_id, "buy", cash="600")
    await deliver(ledger, request)
    assert await balances(ledger, user_id) == (D("1000"), D("600"))
    assert await decisions(ledger, user_id) == [("risk.accepted", None)]
    # a reservation moves reserved cash only: no queue wants it, so it is not announced
    assert [e for e in await staged(ledger, user_id) if e.type == "account.updated"] == []
    row = await reservation(ledger, request.order_id)
    assert (row.status, row.cash_remaining, row.side) == ("active", D("600"), "buy")


async def test_a_buy_over_buying_power_is_rejected_and_holds_nothing(ledger: Database) -> None:
    user_id = await funded(ledger, cash="1000")
    await deliver(ledger, risk(user_id, "buy", cash="700"))
    await deliver(ledger, risk(user_id, "buy", cash="300.01"))
    assert await balances(ledger, user_id) == (D("1000"), D("700"))
    assert await decisions(ledger, user_id) == [
        ("risk.accepted", None),
        ("risk.rejected", "insufficient_buying_power"),
    ]


async def test_sells_hold_shares_or_are_rejected(ledger: Database) -> None:
    user_id = await funded(ledger, shares="100")
    await deliver(ledger, risk(user_id, "sell", qty="80"))
    await deliver(ledger, risk(user_id, "sell", qty="21"))
    await deliver(ledger, risk(user_id, "sell", qty="1", symbol="OTHER"))
    assert await holding(ledger, user_id) == (D("100"), D("80"))
    assert await decisions(ledger, user_id) == [
        ("risk.accepted", None),
        ("risk.rejected", "insufficient_position"),
        ("risk.rejected", "insufficient_position"),
    ]


async def test_an_unknown_account_is_opened_on_demand(ledger: Database) -> None:
    user_id = uuid.uuid4()  # user.registered not arrived yet
    await deliver(ledger, risk(user_id, "buy", cash="1"))
    assert await balances(ledger, user_id) == (D("0"), D("0"))
    assert await decisions(ledger, user_id) == [("risk.rejected", "insufficient_buying_power")]


async def test_risk_is_idempotent_by_order_id(ledger: Database) -> None:
    user_id = await funded(ledger, cash="100")
    accepted = risk(user_id, "buy", cash="100")
    rejected = risk(user_id, "buy", cash="1")
    for request in (accepted, rejected, accepted, rejected):  # new message ids each time
        assert await deliver(ledger, request)
    assert await balances(ledger, user_id) == (D("100"), D("100"))
    assert await decisions(ledger, user_id) == [
        ("risk.accepted", None),
        ("risk.rejected", "insufficient_buying_power"),
        ("risk.accepted", None),
        ("risk.rejected", "insufficient_buying_power"),
    ]


async def test_a_duplicate_message_id_changes_nothing(ledger: Database) -> None:
    user_id = await funded(ledger, cash="100")
    request = risk(user_id, "buy", cash="40")
    message_id = uuid.uuid4()
    assert await deliver(ledger, request, message_id)
    assert not await deliver(ledger, request, message_id)
    assert await decisions(ledger, user_id) == [("risk.accepted", None)]
    buy_fill = order_changed(request, "partially_filled", "2", fill("2", "10"))
    fill_message = uuid.uuid4()
    assert await deliver(ledger, buy_fill, fill_message)
    assert not await deliver(ledger, buy_fill, fill_message)
    assert await balances(ledger, user_id) == (D("80"), D("20"))


async def test_the_same_fill_in_two_messages_settles_once(ledger: Database) -> None:
    user_id = await funded(ledger, cash="100")
    request = risk(user_id, "buy", cash="100")
    await deliver(ledger, request)
    the_fill = fill("3", "10")
    await deliver(ledger, order_changed(request, "partially_filled", "3", the_fill))
    await deliver(ledger, order_changed(request, "partially_filled", "3", the_fill))
    assert await balances(ledger, user_id) == (D("70"), D("70"))
    assert await holding(ledger, user_id) == (D("3"), D("0"))


async def test_cancel_after_a_partial_fill(ledger: Database) -> None:
    user_id = await funded(ledger, cash="1000")
    request = risk(user_id, "buy", cash="1000")  # 100 @ 10
    await deliver(ledger, request)
    await deliver(ledger, order_changed(request, "partially_filled", "40", fill("40", "9.99")))
    await deliver(ledger, order_changed(request, "canceled", "40"))
    assert await balances(ledger, user_id) == (D("600.40"), D("0"))
    assert await holding(ledger, user_id) == (D("40"), D("0"))
    row = await reservation(ledger, request.order_id)
    assert (row.status, row.final_filled_qty, row.cash_remaining) == ("closed", D("40"), D(0))
    await deliver(ledger, order_changed(request, "canceled", "40"))  # a second terminal
    assert await balances(ledger, user_id) == (D("600.40"), D("0"))


async def test_a_terminal_event_that_overtakes_the_last_fill(ledger: Database) -> None:
    user_id = await funded(ledger, cash="1000")
    request = risk(user_id, "buy", cash="1000")
    await deliver(ledger, request)
    await deliver(ledger, order_changed(request, "partially_filled", "30", fill("30", "10")))
    await deliver(ledger, order_changed(request, "canceled", "50"))  # 20 more filled first
    assert await balances(ledger, user_id) == (D("700"), D("700"))  # not released yet
    await deliver(ledger, order_changed(request, "partially_filled", "50", fill("20", "10")))
    assert await balances(ledger, user_id) == (D("500"), D("0"))
    assert await holding(ledger, user_id) == (D("50"), D("0"))
    assert (await reservation(ledger, request.order_id)).status == "closed"


async def test_the_filled_event_carries_the_last_fill_and_releases_the_rest(
    ledger: Database,
) -> None:
    user_id = await funded(ledger, cash="100")
    request = risk(user_id, "buy", cash="100")  # 10 @ 10
    await deliver(ledger, request)
    await deliver(ledger, order_changed(request, "filled", "10", fill("10", "9.5")))
    assert await balances(ledger, user_id) == (D("5"), D("0"))
    kinds = await _activity_kinds(ledger, user_id)
    assert kinds[-2:] == [("fill", D("-95")), ("release", D("5"))]
    updates = [e.payload for e in await staged(ledger, user_id) if e.type == "account.updated"]
    assert (updates[-1]["reason"], D(updates[-1]["cash"])) == ("fill", D("5"))
    settled = updates[-1]["settled"]  # the fill's one settlement event carries the fill
    assert (settled["order_id"], settled["symbol"], settled["side"]) == (
        str(request.order_id),
        request.symbol,
        "buy",
    )
    assert (D(settled["fill"]["qty"]), D(settled["fill"]["price"])) == (D("10"), D("9.5"))


async def test_a_sell_settles_and_releases_the_unsold_shares(ledger: Database) -> None:
    user_id = await funded(ledger, cash="0", shares="100")
    request = risk(user_id, "sell", qty="60")
    await deliver(ledger, request)
    await deliver(ledger, order_changed(request, "partially_filled", "25", fill("25", "10.01")))
    await deliver(ledger, order_changed(request, "expired", "25"))
    assert await balances(ledger, user_id) == (D("250.25"), D("0"))
    assert await holding(ledger, user_id) == (D("75"), D("0"))


async def test_released_shares_are_announced_for_whoever_waits_for_them(
    ledger: Database,
) -> None:
    user_id = await funded(ledger, cash="0", shares="100")
    request = risk(user_id, "sell", qty="60")
    await deliver(ledger, request)
    await deliver(ledger, order_changed(request, "partially_filled", "25", fill("25", "10.01")))
    assert [e for e in await staged(ledger, user_id) if e.type == "holding.released"] == []
    await deliver(ledger, order_changed(request, "canceled", "25"))
    [released] = [e for e in await staged(ledger, user_id) if e.type == "holding.released"]
    assert released.payload == {
        "order_id": str(request.order_id), "user_id": str(user_id), "symbol": SYMBOL,
        "qty": "35",
    }  # fmt: skip
    sold = risk(user_id, "sell", qty="10")  # filled in full: nothing to give back
    await deliver(ledger, sold)
    await deliver(ledger, order_changed(sold, "filled", "10", fill("10", "10")))
    events = await staged(ledger, user_id)
    orders = {e.payload["order_id"] for e in events if e.type == "holding.released"}
    assert orders == {str(request.order_id)}


async def test_a_risk_rejected_order_ending_changes_nothing(ledger: Database) -> None:
    user_id = await funded(ledger, cash="10")
    request = risk(user_id, "buy", cash="20")
    await deliver(ledger, request)
    await deliver(ledger, order_changed(request, "rejected", "0"))
    assert await balances(ledger, user_id) == (D("10"), D("0"))
    assert (await reservation(ledger, request.order_id)).status == "rejected"


async def test_a_fill_that_would_overdraw_is_refused_whole(ledger: Database) -> None:
    user_id = await funded(ledger, cash="100")
    request = risk(user_id, "buy", cash="100")
    await deliver(ledger, request)
    with pytest.raises(LedgerError):
        await deliver(ledger, order_changed(request, "filled", "10", fill("10", "10.5")))
    assert await balances(ledger, user_id) == (D("100"), D("100"))
    assert await holding(ledger, user_id) == (D("0"), D("0"))


async def test_non_fill_updates_are_ignored(ledger: Database) -> None:
    user_id = await funded(ledger, cash="100")
    request = risk(user_id, "buy", cash="50")
    await deliver(ledger, request)
    for status in ("new", "pending_cancel"):
        await deliver(ledger, order_changed(request, status, "0"))
    assert await balances(ledger, user_id) == (D("100"), D("50"))


async def test_instruments_are_learned_and_updated(ledger: Database) -> None:
    symbol = f"T{uuid.uuid4().hex[:6].upper()}"
    await deliver(ledger, instrument(symbol, lot_size="10"))
    await deliver(ledger, instrument(symbol, lot_size="10", status="halted"))
    async with ledger.transaction() as session:
        row = (
            await session.execute(select(instruments).where(instruments.c.symbol == symbol))
        ).one()
    assert (row.lot_size, row.status) == (D("10"), "halted")


async def _activity_kinds(db: Database, user_id: uuid.UUID) -> list[tuple[str, Decimal | None]]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(activities.c.type, activities.c.amount)
            .where(activities.c.user_id == user_id)
            .order_by(activities.c.id)
        )
    return [(row.type, row.amount) for row in rows]


async def test_a_cancel_racing_its_fills_settles_exactly(ledger: Database) -> None:
    """Fills and the cancel of one order applied concurrently, in every arrival order:
    the account lock serializes them; the end state is exact and nothing goes negative."""
    user_id = await funded(ledger, cash="1000")
    orders = [risk(user_id, "buy", cash="100") for _ in range(8)]  # 10 @ 10 each
    for request in orders:
        await deliver(ledger, request)
    events = []
    for request in orders:
        events += [
            order_changed(request, "partially_filled", "3", fill("3", "10")),
            order_changed(request, "partially_filled", "6", fill("3", "9")),
            order_changed(request, "canceled", "6"),
        ]
    random.Random(7).shuffle(events)
    await asyncio.gather(*(deliver(ledger, event) for event in events))
    assert await balances(ledger, user_id) == (D("1000") - 8 * D("57"), D("0"))
    assert await holding(ledger, user_id) == (D("48"), D("0"))


async def test_a_settled_fill_names_its_orders_class(ledger: Database) -> None:
    """order-service binds the settled fills of bracket and oto orders alone: the class
    the settlement carries is the order's."""
    user_id = await funded(ledger, cash="100")
    request = risk(user_id, "buy", cash="100")
    await deliver(ledger, request)
    event = order_changed(request, "filled", "10", fill("10", "9.5"))
    bracket = event.order.model_copy(update={"order_class": "bracket"})
    await deliver(ledger, event.model_copy(update={"order": bracket}))
    updates = [e.payload for e in await staged(ledger, user_id) if e.type == "account.updated"]
    assert updates[-1]["settled"]["order_class"] == "bracket"
