"""What order a run or an alert asks for, and its rules (the same as order-service's
for the shape: exactly one of qty and notional; notional only for market buys)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from bourse.auto.domain.errors import DomainError

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit"]
TimeInForce = Literal["day", "gtc", "ioc", "fok"]
MAX_QTY = Decimal("1000000000")
MAX_NOTIONAL = Decimal("1000000000")
MAX_PRICE = Decimal("1000000000")
QTY_PLACES = 8
NOTIONAL_PLACES = 2
PRICE_PLACES = 8


@dataclass(frozen=True)
class OrderSpec:
    side: Side
    qty: Decimal | None = None
    notional: Decimal | None = None
    type: OrderType = "market"
    limit_price: Decimal | None = None
    time_in_force: TimeInForce = "day"

    def public(self) -> dict[str, Any]:
        """JSON-ready (decimal strings), as the API shows an alert's order."""
        return {
            "side": self.side,
            "qty": _text(self.qty),
            "notional": _text(self.notional),
            "type": self.type,
            "limit_price": _text(self.limit_price),
            "time_in_force": self.time_in_force,
        }

    @classmethod
    def stored(cls, data: dict[str, Any]) -> "OrderSpec":
        return cls(
            side=data["side"],
            qty=_decimal(data.get("qty")),
            notional=_decimal(data.get("notional")),
            type=data.get("type", "market"),
            limit_price=_decimal(data.get("limit_price")),
            time_in_force=data.get("time_in_force", "day"),
        )


def _text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def positive(value: Decimal, code: str, what: str, places: int, limit: Decimal) -> Decimal:
    """``value`` if it is a positive, finite amount of at most ``places`` decimals."""
    if not value.is_finite() or value <= 0:
        raise DomainError(code, f"{what} must be positive")
    if _places(value) > places:
        raise DomainError(code, f"{what} has at most {places} decimals")
    if value > limit:
        raise DomainError(code, f"{what} may not exceed {limit}")
    return value


def check_order(spec: OrderSpec) -> OrderSpec:
    """``spec`` if it is a valid order; 422 otherwise (``invalid_order``, ``invalid_qty``,
    ``invalid_notional``, ``invalid_price``)."""
    if (spec.qty is None) == (spec.notional is None):
        raise DomainError("invalid_order", "give exactly one of qty and notional")
    if spec.qty is not None:
        positive(spec.qty, "invalid_qty", "qty", QTY_PLACES, MAX_QTY)
    if spec.notional is not None:
        if spec.side != "buy" or spec.type != "market":
            raise DomainError("invalid_order", "notional is only for market buys")
        positive(spec.notional, "invalid_notional", "notional", NOTIONAL_PLACES, MAX_NOTIONAL)
    if spec.type == "limit":
        if spec.limit_price is None:
            raise DomainError("invalid_order", "a limit order needs limit_price")
        positive(spec.limit_price, "invalid_price", "limit_price", PRICE_PLACES, MAX_PRICE)
    elif spec.limit_price is not None:
        raise DomainError("invalid_order", "a market order takes no limit_price")
    if spec.type == "market" and spec.time_in_force == "fok":
        raise DomainError("invalid_order", "market orders cannot be fill-or-kill")
    return spec
