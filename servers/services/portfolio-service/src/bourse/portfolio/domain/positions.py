"""A position in one symbol, built from trades: the signed quantity, the cost basis of the
open quantity and the P&L realized by closing it.

The realized P&L is net of fees: each fill's fee is realized (lost) when the fill is
applied, whether it opens or closes; the cost basis is the traded price alone.

The cost basis is kept as a total, not as an average price: closing a whole position
releases exactly the cost that was paid, so the realized P&L over a position's life is
exact. A partial close releases a pro-rata share of the cost rounded to ``COST_PLACES``;
the rounding stays in the basis and comes out at the final close.

Quantities are signed so that the model is total: a sell applied before the buy that
preceded it (events of different orders may arrive out of order) opens a short that the
buy then covers, and the realized P&L comes out the same as in order. The trading account
never lets a user sell what they do not hold, so a short is transient.
"""

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

ZERO = Decimal(0)
COST_PLACES = Decimal("1e-10")
Side = Literal["buy", "sell"]


@dataclass(frozen=True, slots=True)
class Position:
    qty: Decimal = ZERO
    cost: Decimal = ZERO  # signed like qty: what the open quantity cost (short: received)
    realized_pl: Decimal = ZERO

    @property
    def avg_cost(self) -> Decimal:
        """The average price of the open quantity (positive, also for a short); 0 when flat."""
        if not self.qty:
            return ZERO
        return (self.cost / self.qty).quantize(COST_PLACES)

    @property
    def is_open(self) -> bool:
        return self.qty != 0

    def fill(self, side: Side, qty: Decimal, price: Decimal, fee: Decimal = ZERO) -> "Position":
        if qty <= 0 or price < 0 or fee < 0:
            raise ValueError(f"a fill needs qty > 0, price >= 0, fee >= 0: {qty} @ {price}, {fee}")
        traded = self.trade(qty if side == "buy" else -qty, price)
        return replace(traded, realized_pl=traded.realized_pl - fee) if fee else traded

    def trade(self, qty: Decimal, price: Decimal) -> "Position":
        """The position after trading ``qty`` (positive buys, negative sells) at ``price``."""
        if not qty:
            return self
        if not self.qty or (self.qty > 0) == (qty > 0):
            return Position(self.qty + qty, self.cost + qty * price, self.realized_pl)
        return self._close(qty, price)

    def _close(self, qty: Decimal, price: Decimal) -> "Position":
        """Trade against the position: close (part of) it, maybe flip to the other side."""
        held = abs(self.qty)
        closed = min(abs(qty), held)
        released = (
            self.cost if closed == held else (self.cost * closed / held).quantize(COST_PLACES)
        )
        direction = 1 if self.qty > 0 else -1
        realized = self.realized_pl + direction * closed * price - released
        after = self.qty + qty
        if after and (after > 0) != (self.qty > 0):  # flipped: the rest opens at this price
            return Position(after, after * price, realized)
        return Position(after, self.cost - released, realized)
