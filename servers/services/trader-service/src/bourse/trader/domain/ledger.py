"""Balances: an account's cash and a holding's shares, each with the part held for open
orders. What is held is never more than what is there, and nothing goes negative: an
operation that would break this raises (users: :class:`DomainError`; events:
:class:`LedgerError`) and changes nothing."""

from dataclasses import dataclass
from decimal import Decimal

from bourse.trader.domain.amounts import MAX_BALANCE, MAX_POSITION, ZERO, fmt
from bourse.trader.domain.errors import DomainError, LedgerError


@dataclass
class Balance:
    cash: Decimal = ZERO
    reserved_cash: Decimal = ZERO

    @property
    def buying_power(self) -> Decimal:
        return self.cash - self.reserved_cash

    def deposit(self, amount: Decimal) -> None:
        if self.cash + amount > MAX_BALANCE:
            raise DomainError("balance_limit_exceeded", f"cash cannot exceed {fmt(MAX_BALANCE)}")
        self.cash += amount

    def withdraw(self, amount: Decimal) -> None:
        if amount > self.buying_power:
            raise DomainError(
                "insufficient_funds", f"only {fmt(self.buying_power)} can be withdrawn"
            )
        self.cash -= amount

    def hold(self, amount: Decimal) -> bool:
        if amount > self.buying_power:
            return False
        self.reserved_cash += amount
        return True

    def unhold(self, amount: Decimal) -> None:
        if amount > self.reserved_cash:
            raise LedgerError(f"cannot release {amount}: only {self.reserved_cash} is held")
        self.reserved_cash -= amount

    def pay(self, cost: Decimal, held: Decimal) -> None:
        """Pay ``cost``: ``held`` of it from the held cash, the rest from buying power."""
        if held > self.reserved_cash or cost - held > self.buying_power:
            raise LedgerError(f"cannot pay {cost}: cash {self.cash}, held {self.reserved_cash}")
        self.reserved_cash -= held
        self.cash -= cost

    def receive(self, amount: Decimal) -> None:
        self.cash += amount


@dataclass
class Position:
    qty: Decimal = ZERO
    reserved_qty: Decimal = ZERO

    @property
    def available_qty(self) -> Decimal:
        return self.qty - self.reserved_qty

    def add(self, qty: Decimal) -> None:
        if self.qty + qty > MAX_POSITION:
            raise DomainError("position_limit_exceeded", f"cannot hold over {fmt(MAX_POSITION)}")
        self.qty += qty

    def hold(self, qty: Decimal) -> bool:
        if qty > self.available_qty:
            return False
        self.reserved_qty += qty
        return True

    def unhold(self, qty: Decimal) -> None:
        if qty > self.reserved_qty:
            raise LedgerError(f"cannot release {qty} shares: only {self.reserved_qty} held")
        self.reserved_qty -= qty

    def deliver(self, qty: Decimal, held: Decimal) -> None:
        """Hand over ``qty`` shares: ``held`` of them from the held ones, the rest from
        the available ones."""
        if held > self.reserved_qty or qty - held > self.available_qty:
            raise LedgerError(f"cannot deliver {qty}: qty {self.qty}, held {self.reserved_qty}")
        self.reserved_qty -= held
        self.qty -= qty
