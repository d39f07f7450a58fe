"""Validating a new order and deciding what it reserves and what the engine receives.

Pure rules, no I/O. A market order is protected by a price collar: it enters the engine
as an IOC limit at the reference price +/- ``collar`` (rounded to the tick away from the
market), so the cash reserved for a market buy is bounded. A market buy by notional
enters as a market order with a budget (the engine never spends more). A stop order
becomes a stop-limit at its stop price +/- the collar, for the same reason.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Literal

from bourse.common.errors import Problem
from bourse.order.domain import trailing
from bourse.order.domain.instrument import Instrument

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit", "stop", "stop_limit", "trailing_stop"]
TimeInForce = Literal["day", "gtc", "ioc", "fok"]
MAX_QTY = Decimal("1000000000")
MAX_NOTIONAL = Decimal("1000000000")
MAX_PRICE = Decimal("1000000000")


@dataclass(frozen=True)
class OrderRequest:
    symbol: str
    side: Side
    type: OrderType
    time_in_force: TimeInForce
    qty: Decimal | None
    notional: Decimal | None
    limit_price: Decimal | None
    stop_price: Decimal | None
    trail_price: Decimal | None = None  # trailing stops: exactly one of these two
    trail_percent: Decimal | None = None


@dataclass(frozen=True)
class EngineOrder:
    """The order as the engine sees it: integer ticks and lots."""

    order_type: Literal["limit", "market", "stop_limit", "trailing_stop"]
    tif: TimeInForce
    qty: int  # lots (for a budget order: a cap the budget will bind first)
    price: int | None  # ticks
    stop_price: int | None
    budget: int | None  # ticks x lots
    trail: int | None = None  # ticks
    trail_bps: int | None = None


@dataclass(frozen=True)
class Placement:
    reserve_cash: Decimal
    reserve_qty: Decimal
    engine: EngineOrder


def invalid(code: str, detail: str) -> Problem:
    return Problem(422, code, detail)


def units(value: Decimal, increment: Decimal, code: str, what: str) -> int:
    """How many ``increment`` make ``value`` (lots of a qty, ticks of a price); 422
    ``code`` unless it is a positive multiple. Bound ``value`` first (:func:`at_most`):
    a quotient beyond the decimal context's precision is refused, never a 500."""
    if not value.is_finite() or value <= 0:
        raise invalid(code, f"{what} must be positive")
    try:
        count, rest = divmod(value, increment)
    except InvalidOperation:
        raise invalid(code, f"{what} {value} is out of range for {increment}") from None
    if rest:
        raise invalid(code, f"{what} {value} is not a multiple of {increment}")
    return int(count)


def at_most(value: Decimal | None, limit: Decimal, code: str, what: str) -> None:
    """422 ``code`` when ``value`` exceeds ``limit`` (what the instrument can represent)."""
    if value is not None and value.is_finite() and value > limit:
        raise invalid(code, f"{what} may not exceed {limit}")


def collar_price(reference: Decimal, side: Side, collar: Decimal, tick: Decimal) -> Decimal:
    """The worst price a protected market order accepts, on the tick grid."""
    raw = reference * (1 + collar) if side == "buy" else reference * (1 - collar)
    rounding = ROUND_CEILING if side == "buy" else ROUND_FLOOR
    ticks = (raw / tick).to_integral_value(rounding=rounding)
    return max(ticks, Decimal(1)) * tick


def place(request: OrderRequest, instrument: Instrument, collar: Decimal) -> Placement:
    """Validate ``request`` against ``instrument``; raises a 422 :class:`Problem`."""
    if not instrument.trading:
        raise invalid("symbol_halted", f"{instrument.symbol} is halted")
    _check_shape(request)
    _check_bounds(request)
    if request.notional is not None:
        return _notional_buy(request, instrument)
    assert request.qty is not None
    lots = units(request.qty, instrument.lot_size, "invalid_lot_size", "qty")
    if request.type == "trailing_stop":
        return _trailing_stop(request, instrument, lots, collar)
    engine = _engine_order(request, instrument, lots, collar)
    worst = Decimal(engine.price) * instrument.tick_size if engine.price is not None else None
    if request.side == "sell":
        return Placement(Decimal(0), request.qty, engine)
    assert worst is not None
    return _buy(request.qty * worst, engine, instrument)


def _check_shape(request: OrderRequest) -> None:
    trailing.check_fields(
        request.type, request.time_in_force, request.trail_price, request.trail_percent
    )
    if (request.qty is None) == (request.notional is None):
        raise invalid("invalid_order", "exactly one of qty and notional is required")
    if request.notional is not None and (request.type != "market" or request.side != "buy"):
        raise invalid("invalid_order", "notional is only for market buys")
    needs_limit = request.type in ("limit", "stop_limit")
    if needs_limit and request.limit_price is None:
        raise invalid("invalid_order", f"a {request.type} order needs limit_price")
    if not needs_limit and request.limit_price is not None:
        raise invalid("invalid_order", f"a {request.type} order takes no limit_price")
    needs_stop = request.type in ("stop", "stop_limit")
    if needs_stop != (request.stop_price is not None):
        raise invalid("invalid_order", "stop_price goes with stop and stop_limit orders only")
    if request.type == "market" and request.time_in_force not in ("day", "ioc", "gtc"):
        raise invalid("invalid_order", "market orders cannot be fill-or-kill")


def _check_bounds(request: OrderRequest) -> None:
    at_most(request.qty, MAX_QTY, "invalid_qty", "qty")
    at_most(request.notional, MAX_NOTIONAL, "invalid_notional", "notional")
    at_most(request.limit_price, MAX_PRICE, "invalid_price", "limit_price")
    at_most(request.stop_price, MAX_PRICE, "invalid_price", "stop_price")
    at_most(request.trail_price, MAX_PRICE, "invalid_trail", "trail_price")


def _notional_buy(request: OrderRequest, instrument: Instrument) -> Placement:
    assert request.notional is not None
    notional = request.notional
    if not notional.is_finite() or notional <= 0 or notional > MAX_NOTIONAL:
        raise invalid("invalid_notional", "notional must be positive")
    if notional != notional.quantize(Decimal("0.01")):
        raise invalid("invalid_notional", "notional has at most 2 decimals")
    unit = instrument.tick_size * instrument.lot_size
    budget = int(notional // unit)
    if budget <= 0:
        raise invalid("invalid_notional", f"notional must be at least {unit}")
    engine = EngineOrder("market", "ioc", qty=budget, price=None, stop_price=None, budget=budget)
    return _buy(Decimal(budget) * unit, engine, instrument)


def _buy(notional: Decimal, engine: EngineOrder, instrument: Instrument) -> Placement:
    """A buy holds the most it can cost and the most its fills can be charged."""
    return Placement(notional + instrument.worst_case_fee(notional), Decimal(0), engine)


def _trailing_stop(
    request: OrderRequest, instrument: Instrument, lots: int, collar: Decimal
) -> Placement:
    """A sell reserves its shares; a buy qty x the collar above its first stop, which is
    also the engine's budget (trailing.py)."""
    tick = instrument.tick_size
    trail = trailing.to_engine(request.trail_price, request.trail_percent, tick)
    engine = EngineOrder(
        "trailing_stop", request.time_in_force, lots, None, None, None, trail.ticks, trail.bps
    )
    assert request.qty is not None
    if request.side == "sell":
        return Placement(Decimal(0), request.qty, engine)
    if instrument.last_price is None:
        raise invalid(
            "no_reference_price", f"{instrument.symbol} has not traded yet: use a limit order"
        )
    first_stop = trailing.first_stop_ticks("buy", int(instrument.last_price / tick), trail)
    worst = collar_price(first_stop * tick, "buy", collar, tick)
    budget = lots * int(worst / tick)
    engine = EngineOrder(
        "trailing_stop", request.time_in_force, lots, None, None, budget, trail.ticks, trail.bps
    )
    return _buy(request.qty * worst, engine, instrument)


def _engine_order(
    request: OrderRequest, instrument: Instrument, lots: int, collar: Decimal
) -> EngineOrder:
    tick = instrument.tick_size
    if request.type == "limit":
        assert request.limit_price is not None
        price = units(request.limit_price, tick, "invalid_tick_size", "limit_price")
        return EngineOrder("limit", request.time_in_force, lots, price, None, None)
    if request.type == "market":
        if instrument.last_price is None:
            raise invalid(
                "no_reference_price", f"{instrument.symbol} has not traded yet: use a limit order"
            )
        worst = collar_price(instrument.last_price, request.side, collar, tick)
        return EngineOrder("limit", "ioc", lots, int(worst / tick), None, None)
    assert request.stop_price is not None
    stop = units(request.stop_price, tick, "invalid_tick_size", "stop_price")
    if request.type == "stop_limit":
        assert request.limit_price is not None
        price = units(request.limit_price, tick, "invalid_tick_size", "limit_price")
        return EngineOrder("stop_limit", request.time_in_force, lots, price, stop, None)
    worst = collar_price(request.stop_price, request.side, collar, tick)
    return EngineOrder("stop_limit", "ioc", lots, int(worst / tick), stop, None)
