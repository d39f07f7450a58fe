"""Order classes (API.md, Orders; Alpaca's rules): bracket, oco, oto. Pure, no I/O.

* bracket: an entry plus two exits on the opposite side, a take-profit limit and a
  stop-loss stop, one-cancels-other. Each fill of the entry adds a pair of exits of that
  fill's qty (so the exits always match what was bought, however it filled).
* oto: an entry plus one exit (take-profit or stop-loss), sent as fills arrive.
* oco: the two exits alone, for a position already held: the order itself is the
  take-profit limit, its one leg the stop-loss.

Of a pair, only the take-profit rests on the book and reserves the shares (or cash);
the stop-loss waits in order-service (``held``, no reservation) until the last price
crosses its stop, then the take-profit is cancelled and, once it is off the book, the
stop-loss goes out as a market order (a limit one for a stop_limit) through the normal
risk check, for what the take-profit did not fill. Both reserving at once would need
twice the position. Each fill of the take-profit shrinks the waiting stop-loss by as
much; a take-profit filled in full ends it. An oto's lone stop-loss waits the same way.

A take-profit asks for its risk check only once trader-service has settled the entry's
fill it covers (its ``account.updated.fill.<class>``): asked at once, it could overtake that
fill (trader-service runs several consumers on its queue) and find no shares.
"""

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Literal

from bourse.common.errors import Problem
from bourse.contracts.orders import OPEN_STATUSES
from bourse.order.domain.placement import OrderRequest, OrderType, Side

OrderClass = Literal["simple", "bracket", "oco", "oto"]
# The classes whose entry's fills add exits (the take-profits wait for those fills).
ENTRY_CLASSES: tuple[OrderClass, ...] = ("bracket", "oto")
LegKind = Literal["take_profit", "stop_loss"]
CLASSED_TIME_IN_FORCE = frozenset({"day", "gtc"})
STOP_TYPES = frozenset({"stop", "stop_limit"})


@dataclass(frozen=True)
class Exits:
    """What a classed order asked for: the take-profit limit and/or the stop-loss."""

    take_profit_limit: Decimal | None = None
    stop_loss_stop: Decimal | None = None
    stop_loss_limit: Decimal | None = None

    @property
    def has_take_profit(self) -> bool:
        return self.take_profit_limit is not None

    @property
    def has_stop_loss(self) -> bool:
        return self.stop_loss_stop is not None


@dataclass(frozen=True)
class Leg:
    """An exit order to create. A stop-loss always waits in order-service for its stop
    price; a take-profit goes to the book (once the entry's fill it covers is settled)."""

    kind: LegKind
    request: OrderRequest


def invalid(code: str, detail: str) -> Problem:
    return Problem(422, code, detail)


def opposite(side: Side) -> Side:
    return "sell" if side == "buy" else "buy"


def validate(order_class: OrderClass, request: OrderRequest, exits: Exits) -> None:
    """422 unless ``exits`` fit ``order_class`` and the entry ``request``."""
    if order_class == "simple":
        if exits.has_take_profit or exits.has_stop_loss or exits.stop_loss_limit is not None:
            raise invalid("invalid_order_class", "take_profit and stop_loss need an order_class")
        return
    if exits.stop_loss_limit is not None and exits.stop_loss_stop is None:
        raise invalid("invalid_stop_loss", "stop_loss needs a stop_price")
    if request.notional is not None:
        raise invalid("invalid_order_class", f"a {order_class} order needs qty, not notional")
    if request.time_in_force not in CLASSED_TIME_IN_FORCE:
        raise invalid("invalid_order_class", f"a {order_class} order is day or gtc")
    if order_class == "bracket" and not (exits.has_take_profit and exits.has_stop_loss):
        raise invalid("invalid_order_class", "a bracket needs take_profit and stop_loss")
    if order_class == "oco":
        _validate_oco(request, exits)
    if order_class == "oto" and exits.has_take_profit == exits.has_stop_loss:
        raise invalid("invalid_order_class", "an oto order needs take_profit or stop_loss")
    if order_class in ENTRY_CLASSES:
        if request.type not in ("market", "limit"):
            raise invalid("invalid_order_class", "the entry of a bracket or oto is market or limit")
        _validate_exits(opposite(request.side), request.limit_price, exits)


def _validate_oco(request: OrderRequest, exits: Exits) -> None:
    if not (exits.has_take_profit and exits.has_stop_loss):
        raise invalid("invalid_order_class", "an oco order needs take_profit and stop_loss")
    if request.type != "limit":
        raise invalid("invalid_order_class", "an oco order is a limit order (its take-profit)")
    if request.limit_price != exits.take_profit_limit:
        raise invalid("invalid_take_profit", "an oco order's limit_price is its take_profit's")
    _validate_exits(request.side, None, exits)


def _validate_exits(exit_side: Side, entry_limit: Decimal | None, exits: Exits) -> None:
    """A sell exit (of a long) takes profit above and stops the loss below the entry;
    a buy exit (of a short) the other way round."""
    tp, stop, stop_limit = exits.take_profit_limit, exits.stop_loss_stop, exits.stop_loss_limit
    up = exit_side == "sell"  # profit is up
    if tp is not None and entry_limit is not None and not _beyond(tp, entry_limit, up):
        raise invalid("invalid_take_profit", _side_text("take_profit.limit_price", up))
    if stop is not None and entry_limit is not None and not _beyond(stop, entry_limit, not up):
        raise invalid("invalid_stop_loss", _side_text("stop_loss.stop_price", not up))
    if tp is not None and stop is not None and not _beyond(tp, stop, up):
        raise invalid("invalid_stop_loss", "stop_loss.stop_price must be on the loss side")
    if stop is not None and stop_limit is not None and _beyond(stop_limit, stop, up):
        raise invalid("invalid_stop_loss", "stop_loss.limit_price is past its stop_price")


def _beyond(price: Decimal, reference: Decimal, up: bool) -> bool:
    return price > reference if up else price < reference


def _side_text(what: str, up: bool) -> str:
    return f"{what} must be {'above' if up else 'below'} the entry's limit_price"


def exits_for_fill(symbol: str, entry_side: Side, exits: Exits, qty: Decimal) -> list[Leg]:
    """The exits one fill of ``qty`` of an entry adds: a pair (take-profit, stop-loss) or
    the one exit of an oto."""
    side = opposite(entry_side)
    legs: list[Leg] = []
    if exits.take_profit_limit is not None:
        request = OrderRequest(
            symbol, side, "limit", "gtc", qty, None, exits.take_profit_limit, None
        )
        legs.append(Leg("take_profit", request))
    if exits.stop_loss_stop is not None:
        legs.append(Leg("stop_loss", stop_loss(symbol, side, exits, qty)))
    return legs


def stop_loss(symbol: str, side: Side, exits: Exits, qty: Decimal) -> OrderRequest:
    kind: OrderType = "stop" if exits.stop_loss_limit is None else "stop_limit"
    return OrderRequest(
        symbol, side, kind, "gtc", qty, None, exits.stop_loss_limit, exits.stop_loss_stop
    )


def waiting_stop_loss(row: Any) -> bool:
    """A stop-loss leg (an order row) still waiting in order-service for its stop price:
    not on the book, nothing reserved."""
    return bool(
        row.held and row.leg == "stop_loss" and row.type in STOP_TYPES
        and row.status in OPEN_STATUSES and not row.cancel_requested
    )  # fmt: skip


def given_back(row: Any) -> bool:
    """Has ``row`` (an order a held one waits for) ended, and is what it held back in
    the account? An ended sell with shares left unsold held them until trader-service
    says it released them (``shares_released``); a rejected or never-sent one held none."""
    if row.status in OPEN_STATUSES:
        return False
    if row.side != "sell" or row.held or row.status in ("rejected", "filled"):
        return True
    if row.qty is not None and row.filled_qty >= row.qty:
        return True
    return bool(row.shares_released)


def stop_crossed(side: str, stop: Decimal, price: Decimal) -> bool:
    """Does a last price of ``price`` trigger a ``side`` stop at ``stop``? A sell stop
    fires at or below it, a buy stop at or above."""
    return price <= stop if side == "sell" else price >= stop


def after_sibling_fill(held_qty: Decimal, fill_qty: Decimal) -> Decimal:
    """What a waiting stop-loss still covers after its take-profit filled ``fill_qty``
    (0: nothing left to protect, it ends)."""
    return max(held_qty - fill_qty, Decimal(0))


def release_qty(held_qty: Decimal, waited_filled: Decimal, base_filled: Decimal) -> Decimal:
    """What a held order trades once the orders it waited for are final: its qty less
    what they filled since it began to wait (``base_filled``: their filled qty then)."""
    return held_qty - (waited_filled - base_filled)


def close_qty(
    position_qty: Decimal,
    available_qty: Decimal,
    lot_size: Decimal,
    qty: Decimal | None,
    percentage: Decimal | None,
) -> Decimal:
    """How much a close sells: all that is available, ``qty`` of it, or ``percentage`` of
    the position (rounded down to the lot). 422 when that is more than is available."""
    if qty is not None and percentage is not None:
        raise invalid("invalid_close", "give qty or percentage, not both")
    if percentage is not None:
        if not percentage.is_finite() or percentage <= 0 or percentage > 100:
            raise invalid("invalid_percentage", "percentage must be above 0 and at most 100")
        lots = (position_qty * percentage / 100 / lot_size).to_integral_value(ROUND_FLOOR)
        qty = lots * lot_size
        if qty <= 0:
            raise invalid("invalid_qty", f"{percentage}% of {position_qty} is less than a lot")
    if qty is None:
        if available_qty <= 0:
            raise invalid("insufficient_position", "every share is held by open orders")
        qty = available_qty
    if not qty.is_finite() or qty <= 0:
        raise invalid("invalid_qty", "qty must be positive")
    if qty > available_qty:
        raise invalid(
            "insufficient_position",
            f"only {available_qty} of {position_qty} are available (the rest are held by orders)",
        )
    return qty
