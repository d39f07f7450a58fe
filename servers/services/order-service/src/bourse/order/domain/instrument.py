"""What order-service knows of an instrument (learned from instrument.changed events)."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Instrument:
    symbol: str
    tick_size: Decimal
    lot_size: Decimal
    status: str  # trading | halted
    last_price: Decimal | None = None

    @property
    def trading(self) -> bool:
        return self.status == "trading"
