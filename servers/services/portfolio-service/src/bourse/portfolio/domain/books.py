"""The rows one batch of events touches, held in memory while the batch is applied in
message order (ARCHITECTURE §4a): the fill an account update settled trades its position
(once per fill id), account updates set the cash (newest first), prices set the last
price (newest trade wins). Each rule returns what it announces; the store writes every
table back once per batch."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from bourse.contracts.events import (
    AccountUpdated,
    FillSettled,
    Payload,
    PortfolioUpdated,
    PriceChanged,
)
from bourse.portfolio.domain.positions import ZERO, Position

# The time given to a price taken from a fill, and to an account not yet heard of: older
# than any real event (not datetime.min: asyncpg stores that as -infinity).
SEEDED = datetime(1970, 1, 1, tzinfo=UTC)
PositionKey = tuple[UUID, str]  # (user, symbol)


@dataclass
class Cash:
    cash: Decimal = ZERO
    reserved_cash: Decimal = ZERO
    as_of: datetime = SEEDED


@dataclass(frozen=True)
class Price:
    price: Decimal
    ts: datetime


@dataclass
class PortfolioBooks:
    positions: dict[PositionKey, Position]  # every key of a first-seen fill (flat if new)
    accounts: dict[UUID, Cash]  # every user of an account update (seeded if new)
    prices: dict[str, Price]  # the known prices of the batch's symbols
    new_fills: set[UUID]  # fill ids the ledger had not recorded before this batch
    changed_positions: set[PositionKey] = field(default_factory=set)
    changed_accounts: set[UUID] = field(default_factory=set)
    changed_prices: set[str] = field(default_factory=set)

    def set_price(self, symbol: str, price: Price) -> None:
        self.prices[symbol] = price
        self.changed_prices.add(symbol)


def apply(
    books: PortfolioBooks, event: AccountUpdated | PriceChanged, occurred_at: datetime
) -> list[Payload]:
    if isinstance(event, PriceChanged):
        record_price(books, event)
        return []
    announced = [] if event.settled is None else apply_fill(books, event.user_id, event.settled)
    return announced + update_cash(books, event, occurred_at)


def apply_fill(books: PortfolioBooks, user_id: UUID, settled: FillSettled) -> list[Payload]:
    """Trade the order's position by the fill, once per fill id."""
    fill, symbol = settled.fill, settled.symbol
    if fill.id not in books.new_fills:
        return []
    books.new_fills.discard(fill.id)  # a second copy later in the batch is a repeat
    key = (user_id, symbol)
    books.positions[key] = books.positions[key].fill(settled.side, fill.qty, fill.price, fill.fee)
    books.changed_positions.add(key)
    if symbol not in books.prices:  # any market price wins over a fill's
        books.set_price(symbol, Price(fill.price, SEEDED))
    return [PortfolioUpdated(user_id=user_id, reason="fill", symbols=[symbol])]


def update_cash(
    books: PortfolioBooks, event: AccountUpdated, occurred_at: datetime
) -> list[Payload]:
    """Take the account's cash as of ``occurred_at`` (an older state is ignored: events
    may arrive out of order); announced when the cash a user sees changed."""
    account = books.accounts[event.user_id]
    if account.as_of > occurred_at:
        return []
    previous = account.cash
    books.accounts[event.user_id] = Cash(event.cash, event.reserved_cash, occurred_at)
    books.changed_accounts.add(event.user_id)
    if previous == event.cash:
        return []  # only the reserved part moved: nothing visible changed
    return [PortfolioUpdated(user_id=event.user_id, reason="cash")]


def record_price(books: PortfolioBooks, event: PriceChanged) -> None:
    """The symbol's last price, unless a later trade's price is known already."""
    known = books.prices.get(event.symbol)
    if known is None or known.ts <= event.ts:
        books.set_price(event.symbol, Price(event.price, event.ts))
