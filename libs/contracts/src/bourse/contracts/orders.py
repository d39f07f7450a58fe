"""The groups of order statuses (API.md, Orders: statuses), the one place that says which
status is open and which is final. A service that needs another set derives it from
these, under a name that says why."""

from typing import Final

from bourse.contracts.events import OrderStatus

# Still working: on the book, or on its way to it or off it.
OPEN_STATUSES: Final[tuple[OrderStatus, ...]] = (
    "pending_new",
    "new",
    "partially_filled",
    "pending_cancel",
)
# Ended: nothing more happens to the order.
FINAL_STATUSES: Final[tuple[OrderStatus, ...]] = (
    "filled",
    "canceled",
    "rejected",
    "expired",
    "replaced",
)
# The final statuses that end what the owner asked for. A replaced order's request goes
# on in its replacement, whose own final status is the outcome.
OUTCOME_STATUSES: Final[tuple[OrderStatus, ...]] = tuple(
    status for status in FINAL_STATUSES if status != "replaced"
)
