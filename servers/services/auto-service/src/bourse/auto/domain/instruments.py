"""What a recurring order or an alert needs of its instrument: that it is listed, and
that an order's quantity is whole lots (and a limit price whole ticks), or it could never
execute. The codes are order-service's: ``unknown_symbol``, ``invalid_lot_size``,
``invalid_tick_size``."""

from dataclasses import dataclass
from decimal import Decimal

from bourse.auto.domain.errors import DomainError
from bourse.auto.domain.orders import OrderSpec


@dataclass(frozen=True)
class Instrument:
    symbol: str
    tick_size: Decimal
    lot_size: Decimal


def unknown(symbol: str) -> DomainError:
    return DomainError("unknown_symbol", f"unknown symbol {symbol}")


def _multiple(value: Decimal, increment: Decimal) -> bool:
    return value % increment == 0  # both bounded by the order rules: no overflow


def check_sizes(order: OrderSpec, instrument: Instrument) -> None:
    """422 unless ``order`` (already valid) is in whole lots and, for a limit, ticks."""
    if order.qty is not None and not _multiple(order.qty, instrument.lot_size):
        raise DomainError(
            "invalid_lot_size",
            f"qty {order.qty} is not a multiple of {instrument.symbol}'s lot size "
            f"{instrument.lot_size}",
        )
    price = order.limit_price
    if price is not None and not _multiple(price, instrument.tick_size):
        raise DomainError(
            "invalid_tick_size",
            f"limit_price {price} is not a multiple of {instrument.symbol}'s tick size "
            f"{instrument.tick_size}",
        )
