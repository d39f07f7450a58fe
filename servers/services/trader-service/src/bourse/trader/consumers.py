"""What trader-service does with the events it consumes. One work queue,
``trader.events``; the messaging runtime decodes each message, dedupes it through the
inbox and calls the handler here inside the consumer's transaction, so a handler's
effects and the events it stages commit together, exactly once per message id."""

import logging
from dataclasses import replace
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bourse.contracts import Envelope
from bourse.contracts.events import (
    Fill,
    InstrumentChanged,
    OrderChanged,
    RiskAccepted,
    RiskRejected,
    RiskRequested,
    UserRegistered,
)
from bourse.contracts.topology import MARKET, ORDERS, USERS
from bourse.messaging.outbox import stage
from bourse.messaging.runtime import Subscription
from bourse.messaging.topology import Binding, QueueSpec
from bourse.trader import store
from bourse.trader.config import Settings
from bourse.trader.domain.errors import LedgerError
from bourse.trader.domain.ledger import Balance, Position
from bourse.trader.domain.reservations import (
    Released,
    Reservation,
    finish,
    place,
    release_if_done,
    settle_fill,
)

log = logging.getLogger(__name__)
TERMINAL = frozenset({"filled", "canceled", "rejected", "expired", "replaced"})
# OrderChanged statuses that can carry a fill or end the order; pending_new and new carry
# neither, and receiving them would cost a delivery and a transaction per order for nothing
SETTLED_STATUSES = ("partially_filled", "pending_cancel", *sorted(TERMINAL))
Reason = Literal["reservation", "fill", "release"]


def subscription(settings: Settings) -> Subscription:
    queue = QueueSpec(
        f"{settings.queue_prefix}trader.events",
        bindings=(
            Binding(USERS, "user.registered"),
            Binding(ORDERS, "order.risk_requested"),
            *(Binding(ORDERS, f"order.{status}") for status in SETTLED_STATUSES),
            Binding(MARKET, "instrument.changed.#"),  # "#": symbols may contain dots
        ),
        retired=(Binding(ORDERS, "order.*"),),
    )
    return Subscription(
        queue,
        {
            UserRegistered.TYPE: on_user_registered,
            RiskRequested.TYPE: on_risk_requested,
            OrderChanged.TYPE: on_order_changed,
            InstrumentChanged.TYPE: on_instrument_changed,
        },
        workers=4,
        partition_key=by_user,
    )


def by_user(payload: dict[str, Any]) -> str:
    """Lane key: one user's messages stay in order (their account row is the unit of
    work); different users are settled concurrently."""
    order = payload.get("order") or {}
    return str(payload.get("user_id") or order.get("user_id") or payload.get("symbol") or "")


async def on_user_registered(session: AsyncSession, _: Envelope, event: UserRegistered) -> None:
    await store.open_account(session, event.user_id)


async def on_instrument_changed(
    session: AsyncSession, _: Envelope, event: InstrumentChanged
) -> None:
    await store.upsert_instrument(
        session, event.symbol, event.lot_size, event.tick_size, event.status
    )


async def on_risk_requested(session: AsyncSession, _: Envelope, event: RiskRequested) -> None:
    """Hold cash (buy) or shares (sell) for a new order, or reject it. Idempotent by
    order id: a repeat re-announces the first decision and changes nothing."""
    balance = await store.lock_account(session, event.user_id)
    reservation = await store.lock_reservation(session, event.order_id)
    if reservation is None:
        reservation = Reservation.request(
            event.order_id,
            event.user_id,
            event.symbol,
            event.side,
            event.reserve_cash,
            event.reserve_qty,
        )
        await _reserve(session, reservation, balance)
    await stage(session, _decision(reservation))


def _decision(reservation: Reservation) -> RiskAccepted | RiskRejected:
    ids = {"order_id": reservation.order_id, "user_id": reservation.user_id}
    if reservation.status == "rejected":
        return RiskRejected(**ids, reason=reservation.reject_reason or "rejected")
    return RiskAccepted(**ids)


async def _reserve(session: AsyncSession, reservation: Reservation, balance: Balance) -> None:
    user_id, symbol = reservation.user_id, reservation.symbol
    selling = reservation.side == "sell"
    position = await store.lock_holding(session, user_id, symbol) if selling else Position()
    place(reservation, balance, position)
    await store.add_reservation(session, reservation)
    if reservation.status != "active":
        return
    if selling:
        await store.save_holding(session, user_id, symbol, position)
    else:
        await store.save_balance(session, user_id, balance, "reservation")


async def on_order_changed(session: AsyncSession, _: Envelope, event: OrderChanged) -> None:
    """Settle the fill the event carries (once per fill id); when the order has ended,
    record how much it filled; release what is still held once both are true."""
    order = event.order
    ended = order.status in TERMINAL
    if event.fill is None and not ended:
        return
    balance = await store.lock_account(session, order.user_id)
    reservation = await store.lock_reservation(session, order.id)
    if reservation is None:
        if event.fill is None:
            return  # nothing was ever held for this order
        log.warning("fill for order %s without a reservation: settled from balances", order.id)
        reservation = Reservation(order.id, order.user_id, order.symbol, order.side)
        await store.add_reservation(session, reservation)
    if reservation.user_id != order.user_id:
        raise LedgerError(f"order {order.id} belongs to {reservation.user_id}")
    position = await store.lock_holding(session, order.user_id, reservation.symbol)
    await _settle_order(session, event, reservation, balance, position)


async def _settle_order(
    session: AsyncSession,
    event: OrderChanged,
    reservation: Reservation,
    balance: Balance,
    position: Position,
) -> None:
    balance_before, position_before = replace(balance), replace(position)
    reasons: list[Reason] = []
    if event.fill is not None and await _settle_fill(
        session, reservation, balance, position, event.fill
    ):
        reasons.append("fill")
    if event.order.status in TERMINAL:
        finish(reservation, event.order.filled_qty)
    released = release_if_done(reservation, balance, position)
    if released is not None:
        await _record_release(session, reservation, released)
        reasons.append("release")
    await store.save_reservation(session, reservation)
    if position != position_before:
        await store.save_holding(session, reservation.user_id, reservation.symbol, position)
    if balance != balance_before:
        await store.save_balance(session, reservation.user_id, balance, reasons[0])


async def _settle_fill(
    session: AsyncSession,
    reservation: Reservation,
    balance: Balance,
    position: Position,
    fill: Fill,
) -> bool:
    """Apply ``fill`` unless it was applied before; True when it was applied now."""
    if await store.fill_applied(session, reservation.order_id, fill.id):
        return False
    effect = settle_fill(reservation, balance, position, fill.qty, fill.price)
    await store.add_activity(
        session,
        reservation.user_id,
        "fill",
        amount=effect,
        symbol=reservation.symbol,
        qty=fill.qty,
        price=fill.price,
        side=reservation.side,
        order_id=reservation.order_id,
        fill_id=fill.id,
    )
    return True


async def _record_release(
    session: AsyncSession, reservation: Reservation, released: Released
) -> None:
    if not released.anything:
        return
    await store.add_activity(
        session,
        reservation.user_id,
        "release",
        amount=released.cash if reservation.side == "buy" else None,
        symbol=reservation.symbol,
        qty=released.qty if reservation.side == "sell" else None,
        side=reservation.side,
        order_id=reservation.order_id,
    )
