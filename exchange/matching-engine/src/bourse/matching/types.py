"""Vocabulary of the engine: sides, order types, time in force, events and reasons.

Events are plain tuples whose first item names the kind; they are created on the hot path,
where a tuple costs a fraction of any object. Their layouts:

    ("accepted", id)
    ("rejected", id, reason)
    ("trade", taker_id, maker_id, price, qty)          price is the maker's
    ("cancelled", id, reason, open_qty)
    ("replaced", id, price, qty)
    ("triggered", id)
    ("trailed", id, stop_price, water_mark)            a trailing stop moved (trailing.py)

Sequence numbers are not stored in events: a book counts the events it emits
(``OrderBook.seq``), so an event's number is its position in the book's stream.
"""

from typing import Any, Final, Literal

Side = Literal["buy", "sell"]
OrderType = Literal["limit", "market", "stop", "stop_limit", "trailing_stop"]
TimeInForce = Literal["gtc", "day", "ioc", "fok"]
Event = tuple[Any, ...]

BUY: Final = "buy"
SELL: Final = "sell"
SIDES: Final = frozenset((BUY, SELL))
ORDER_TYPES: Final = frozenset(("limit", "market", "stop", "stop_limit", "trailing_stop"))
TIFS: Final = frozenset(("gtc", "day", "ioc", "fok"))

ACCEPTED: Final = "accepted"
REJECTED: Final = "rejected"
TRADE: Final = "trade"
CANCELLED: Final = "cancelled"
REPLACED: Final = "replaced"
TRIGGERED: Final = "triggered"
TRAILED: Final = "trailed"

# Reasons of rejected events.
DUPLICATE_ID: Final = "duplicate_id"
INVALID_QTY: Final = "invalid_qty"
INVALID_PRICE: Final = "invalid_price"
INVALID_SIDE: Final = "invalid_side"
INVALID_TYPE: Final = "invalid_type"
INVALID_TIF: Final = "invalid_tif"
INVALID_BUDGET: Final = "invalid_budget"
INVALID_TRAIL: Final = "invalid_trail"
UNKNOWN_ORDER: Final = "unknown_order"
INVALID_COMMAND: Final = "invalid_command"

# Reasons of cancelled events.
USER: Final = "user"
POST_ONLY: Final = "post_only"
FOK: Final = "fok"
IOC: Final = "ioc"
SELF_TRADE: Final = "self_trade"
MARKET_UNFILLED: Final = "market_unfilled"
BUDGET_EXHAUSTED: Final = "budget_exhausted"
END_OF_DAY: Final = "end_of_day"
MASS_CANCEL: Final = "mass_cancel"

EVENT_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    ACCEPTED: ("id",),
    REJECTED: ("id", "reason"),
    TRADE: ("taker", "maker", "price", "qty"),
    CANCELLED: ("id", "reason", "qty"),
    REPLACED: ("id", "price", "qty"),
    TRIGGERED: ("id",),
    TRAILED: ("id", "stop_price", "water_mark"),
}


def event_to_dict(event: Event, seq: int) -> dict[str, Any]:
    """The contract's JSON shape of an event: ``{"seq", "type", ...fields}``."""
    kind = event[0]
    out: dict[str, Any] = {"seq": seq, "type": kind}
    out.update(zip(EVENT_FIELDS[kind], event[1:], strict=True))
    return out


def is_positive_int(value: object) -> bool:
    """True for a positive ``int`` (``bool`` is not a quantity or a price)."""
    return type(value) is int and value > 0
