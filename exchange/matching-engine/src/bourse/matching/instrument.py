"""Instrument spec: converts Decimal prices and quantities to the engine's ticks and lots."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


class OffIncrementError(ValueError):
    """A price off the tick or a quantity off the lot (or not a positive finite number)."""

    def __init__(self, code: str, value: object, increment: Decimal) -> None:
        super().__init__(f"{value} is not a positive multiple of {increment}")
        self.code = code


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    symbol: str
    tick_size: Decimal
    lot_size: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        for name in ("tick_size", "lot_size"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
                raise ValueError(f"{name} must be a positive finite Decimal, got {value!r}")

    def to_ticks(self, price: Decimal) -> int:
        """Price -> ticks; raises ``OffIncrementError`` (code ``invalid_tick_size``)."""
        return _units(price, self.tick_size, "invalid_tick_size")

    def to_lots(self, qty: Decimal) -> int:
        """Quantity -> lots; raises ``OffIncrementError`` (code ``invalid_lot_size``)."""
        return _units(qty, self.lot_size, "invalid_lot_size")

    def to_price(self, ticks: int) -> Decimal:
        return ticks * self.tick_size

    def to_qty(self, lots: int) -> Decimal:
        return lots * self.lot_size

    def notional_to_budget(self, notional: Decimal) -> int:
        """The largest whole budget in tick x lot units not above ``notional`` (a cap)."""
        unit = self.tick_size * self.lot_size
        try:
            return int(notional // unit) if notional.is_finite() and notional > 0 else 0
        except InvalidOperation:
            return 0


def _units(value: Decimal, increment: Decimal, code: str) -> int:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise OffIncrementError(code, value, increment)
    try:
        units, rest = divmod(value, increment)
    except InvalidOperation as exc:
        raise OffIncrementError(code, value, increment) from exc
    if rest or units <= 0:
        raise OffIncrementError(code, value, increment)
    return int(units)
