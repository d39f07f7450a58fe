"""Amounts and words as people read them. Decimals stay decimals (never a float)."""

from decimal import Decimal

from bourse.contracts.money import canonical

CENT = Decimal("0.01")


def number(value: Decimal) -> str:
    """A quantity or price as sent on the wire: "10", "101.25", "0.0005"."""
    return canonical(value)


def money(value: Decimal) -> str:
    """A cash amount in dollars with thousands separators: "$1,000.50", "-$3.00".
    Amounts with more than two decimals keep them ("$0.0125")."""
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if magnitude == magnitude.quantize(CENT):
        return f"{sign}${magnitude.quantize(CENT):,}"
    return f"{sign}${canonical(magnitude)}"


def reason(code: str | None) -> str:
    """A snake_case reason code as words: "insufficient_buying_power" -> "insufficient
    buying power"."""
    return (code or "unknown reason").replace("_", " ")


def optional(value: Decimal | None) -> str | None:
    return None if value is None else canonical(value)
