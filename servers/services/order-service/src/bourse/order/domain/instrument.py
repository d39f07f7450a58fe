"""What order-service knows of an instrument (learned from instrument.changed events)."""

from dataclasses import dataclass
from decimal import Decimal

from bourse.contracts import fees


@dataclass(frozen=True)
class Instrument:
    symbol: str
    tick_size: Decimal
    lot_size: Decimal
    status: str  # trading | halted
    last_price: Decimal | None = None
    maker_fee_bps: int = fees.DEFAULT_MAKER_FEE_BPS
    taker_fee_bps: int = fees.DEFAULT_TAKER_FEE_BPS

    def fee_bps(self, liquidity: fees.Liquidity) -> int:
        return self.maker_fee_bps if liquidity == "maker" else self.taker_fee_bps

    def worst_case_fee(self, notional: Decimal) -> Decimal:
        return fees.worst_case_fee(notional, self.maker_fee_bps, self.taker_fee_bps)

    @property
    def trading(self) -> bool:
        return self.status == "trading"
