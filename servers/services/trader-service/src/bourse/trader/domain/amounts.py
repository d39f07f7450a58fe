"""Money and quantity rules: validation of what users send, rounding, formatting.

Cash is kept to 4 decimal places: a debit (price x qty of a buy, a reservation) rounds
up, a credit (the proceeds of a sell) rounds down, so the ledger never pays out more
than it received."""

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from bourse.trader.domain.errors import DomainError

CASH_STEP = Decimal("0.0001")
CASH_PLACES = 2  # what users may deposit / withdraw
QTY_PLACES = 8
MAX_CASH_AMOUNT = Decimal("1000000000")  # one deposit or withdrawal
MAX_BALANCE = Decimal("1000000000000000")  # NUMERIC(20,4) holds < 1e16
MAX_QTY = Decimal("1000000000")  # one securities deposit
MAX_POSITION = Decimal("1000000000000")  # NUMERIC(24,8) holds < 1e16
ZERO = Decimal(0)


def places(value: Decimal) -> int:
    """Decimal places of the value (trailing zeros do not count: "1.50" has 1)."""
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int), "finite decimals only"
    significant = len(digits)
    while significant > 1 and digits[significant - 1] == 0:
        significant -= 1
    return max(0, -(exponent + len(digits) - significant))


def debit(value: Decimal) -> Decimal:
    return value.quantize(CASH_STEP, rounding=ROUND_CEILING)


def credit(value: Decimal) -> Decimal:
    return value.quantize(CASH_STEP, rounding=ROUND_FLOOR)


def fmt(value: Decimal) -> str:
    """A decimal as JSON wants it: plain notation, no trailing zeros ("100", "101.25")."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def cash_amount(amount: Decimal) -> Decimal:
    """A deposit or withdrawal amount: positive, at most 2 decimals, at most 1e9."""
    if not amount.is_finite() or amount <= 0:
        raise DomainError("invalid_amount", "amount must be a positive number")
    if amount > MAX_CASH_AMOUNT:
        raise DomainError("invalid_amount", f"amount must be at most {fmt(MAX_CASH_AMOUNT)}")
    if places(amount) > CASH_PLACES:
        raise DomainError("invalid_amount", "amount must have at most 2 decimal places")
    return amount


def lot_qty(qty: Decimal, lot_size: Decimal) -> Decimal:
    """A share quantity users send: a positive whole number of lots, at most 1e9."""
    if qty.is_finite() and qty > MAX_QTY:
        raise DomainError("invalid_qty", f"qty must be at most {fmt(MAX_QTY)}")
    if not qty.is_finite() or qty <= 0 or places(qty) > QTY_PLACES or qty % lot_size != 0:
        raise DomainError(
            "invalid_lot_size", f"qty must be a positive multiple of the lot size {fmt(lot_size)}"
        )
    return qty
