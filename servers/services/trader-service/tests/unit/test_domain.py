"""The ledger's rules alone: amounts, holds, settlement and release, including the races
(a cancel after a partial fill, a terminal event before its last fill)."""

import uuid
from decimal import Decimal

import pytest

from bourse.trader.domain.amounts import cash_amount, credit, debit, fmt, lot_qty, places
from bourse.trader.domain.errors import DomainError, LedgerError
from bourse.trader.domain.ledger import Balance, Position
from bourse.trader.domain.reservations import (
    Reservation,
    charge_fee,
    finish,
    place,
    release_if_done,
    settle_fill,
)

D = Decimal


def buy(cash: str) -> Reservation:
    return Reservation.request(uuid.uuid4(), uuid.uuid4(), "ACME", "buy", D(cash), D(0))


def sell(qty: str) -> Reservation:
    return Reservation.request(uuid.uuid4(), uuid.uuid4(), "ACME", "sell", D(0), D(qty))


def assert_sane(balance: Balance, position: Position) -> None:
    assert balance.cash >= 0 and 0 <= balance.reserved_cash <= balance.cash
    assert position.qty >= 0 and 0 <= position.reserved_qty <= position.qty


# -- amounts -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0.01", "1", "100.5", "100.50", "1000000000", "1E+2"])
def test_valid_cash_amounts(value: str) -> None:
    assert cash_amount(D(value)) == D(value)


@pytest.mark.parametrize(
    "value", ["0", "-1", "0.001", "1.005", "1000000000.01", "1E+10", "NaN", "Infinity"]
)
def test_invalid_cash_amounts(value: str) -> None:
    with pytest.raises(DomainError) as err:
        cash_amount(D(value))
    assert err.value.code == "invalid_amount"


def test_lot_quantities() -> None:
    assert lot_qty(D("300"), D("100")) == D("300")
    assert lot_qty(D("0.5"), D("0.1")) == D("0.5")
    for bad in ("0", "-100", "150", "100.000000001"):
        with pytest.raises(DomainError) as err:
            lot_qty(D(bad), D("100"))
        assert err.value.code == "invalid_lot_size"
    with pytest.raises(DomainError) as err:
        lot_qty(D("1E+12"), D("1"))
    assert err.value.code == "invalid_qty"


def test_rounding_and_formatting() -> None:
    assert debit(D("1.00001")) == D("1.0001")  # what the user pays rounds up
    assert credit(D("1.00009")) == D("1.0000")  # what the user receives rounds down
    assert places(D("1.50")) == 1 and places(D("100")) == 0
    assert [fmt(D(v)) for v in ("0.0000", "100.0000", "101.2500", "1E+2")] == [
        "0",
        "100",
        "101.25",
        "100",
    ]


# -- balances ----------------------------------------------------------------------------


def test_withdrawal_is_limited_by_buying_power() -> None:
    balance = Balance(D("100"), D("60"))
    with pytest.raises(DomainError) as err:
        balance.withdraw(D("40.01"))
    assert err.value.code == "insufficient_funds"
    balance.withdraw(D("40"))
    assert balance == Balance(D("60"), D("60"))


def test_deposit_has_a_ceiling() -> None:
    with pytest.raises(DomainError) as err:
        Balance(D("999999999999999")).deposit(D("1.01"))
    assert err.value.code == "balance_limit_exceeded"


# -- pre-trade risk --------------------------------------------------------------------


def test_a_buy_holds_cash_up_to_buying_power() -> None:
    balance = Balance(D("1000"))
    first, second = buy("600"), buy("400.01")
    place(first, balance, Position())
    place(second, balance, Position())
    assert first.status == "active" and first.cash_remaining == D("600")
    assert second.status == "rejected" and second.reject_reason == "insufficient_buying_power"
    assert second.cash_remaining == 0
    assert balance == Balance(D("1000"), D("600"))


def test_a_buy_reservation_rounds_up_to_the_ledger_precision() -> None:
    reservation = buy("10.00001")
    assert reservation.cash_remaining == D("10.0001")


def test_a_sell_holds_available_shares_only() -> None:
    position = Position(D("100"), D("30"))
    ok, too_many = sell("70"), sell("1")
    place(ok, Balance(), position)
    place(too_many, Balance(), position)
    assert ok.status == "active" and position == Position(D("100"), D("100"))
    assert too_many.reject_reason == "insufficient_position"


@pytest.mark.parametrize("reservation", [buy("0"), buy("-5"), sell("0"), sell("-1")])
def test_an_empty_or_negative_request_is_rejected(reservation: Reservation) -> None:
    balance, position = Balance(D("100")), Position(D("10"))
    place(reservation, balance, position)
    assert reservation.reject_reason == "invalid_reservation"
    assert balance == Balance(D("100")) and position == Position(D("10"))


# -- settlement and release --------------------------------------------------------------


def test_buy_filled_in_two_parts_then_released() -> None:
    balance, position = Balance(D("1000")), Position()
    order = buy("500")  # 50 @ 10
    place(order, balance, position)
    assert settle_fill(order, balance, position, D("20"), D("10")) == D("-200")
    assert settle_fill(order, balance, position, D("30"), D("9.5")) == D("-285")
    finish(order, D("50"))
    released = release_if_done(order, balance, position)
    assert released is not None and released.cash == D("15")  # price improvement comes back
    assert balance == Balance(D("515"), D("0"))
    assert position == Position(D("50"), D("0"))
    assert order.status == "closed" and order.cash_remaining == 0


def test_cancel_after_a_partial_fill_releases_the_rest_once() -> None:
    balance, position = Balance(D("1000")), Position()
    order = buy("1000")
    place(order, balance, position)
    settle_fill(order, balance, position, D("40"), D("10"))
    finish(order, D("40"))  # canceled having filled 40
    released = release_if_done(order, balance, position)
    assert released is not None and released.cash == D("600")
    assert balance == Balance(D("600"), D("0")) and position == Position(D("40"))
    assert release_if_done(order, balance, position) is None  # never twice
    assert balance == Balance(D("600"), D("0"))


def test_terminal_event_before_its_last_fill_waits_for_the_fill() -> None:
    balance, position = Balance(D("1000")), Position()
    order = buy("1000")
    place(order, balance, position)
    settle_fill(order, balance, position, D("30"), D("10"))
    finish(order, D("50"))  # canceled, but 20 more were filled: that fill is late
    assert release_if_done(order, balance, position) is None
    assert balance == Balance(D("700"), D("700"))
    settle_fill(order, balance, position, D("20"), D("10"))
    released = release_if_done(order, balance, position)
    assert released is not None and released.cash == D("500")
    assert balance == Balance(D("500"), D("0")) and position == Position(D("50"))
    assert_sane(balance, position)


def test_a_canceled_order_with_no_fill_releases_everything() -> None:
    balance, position = Balance(D("100")), Position()
    order = buy("100")
    place(order, balance, position)
    finish(order, D("0"))
    released = release_if_done(order, balance, position)
    assert released is not None and released.cash == D("100")
    assert balance == Balance(D("100"), D("0"))


def test_sell_fills_deliver_held_shares_and_credit_cash() -> None:
    balance, position = Balance(D("5")), Position(D("100"))
    order = sell("60")
    place(order, balance, position)
    assert settle_fill(order, balance, position, D("25"), D("10.01")) == D("250.25")
    finish(order, D("25"))  # expired
    released = release_if_done(order, balance, position)
    assert released is not None and released.qty == D("35")
    assert balance == Balance(D("255.25"), D("0"))
    assert position == Position(D("75"), D("0"))


def test_a_fill_above_the_reservation_takes_the_rest_from_buying_power() -> None:
    balance, position = Balance(D("200")), Position()
    order = buy("100")
    place(order, balance, position)
    settle_fill(order, balance, position, D("10"), D("11"))  # 110: 100 held + 10 free
    assert balance == Balance(D("90"), D("0")) and order.cash_remaining == 0


def test_a_fill_that_would_overdraw_is_refused_and_changes_nothing() -> None:
    balance, position = Balance(D("100")), Position()
    order = buy("100")
    place(order, balance, position)
    with pytest.raises(LedgerError):
        settle_fill(order, balance, position, D("10"), D("10.01"))
    assert balance == Balance(D("100"), D("100")) and position == Position()
    with pytest.raises(LedgerError):
        settle_fill(sell("1"), balance, position, D("1"), D("1"))  # no shares to deliver


def test_no_fill_on_an_order_risk_rejected() -> None:
    order = buy("100")
    place(order, Balance(), Position())
    with pytest.raises(LedgerError):
        settle_fill(order, Balance(D("1000")), Position(), D("1"), D("1"))


@pytest.mark.parametrize(
    ("fills", "final"),
    [
        ([("10", "9.99"), ("15", "10"), ("5", "9.5")], "30"),
        ([("1", "10")], "1"),
        ([], "0"),
        ([("33", "10.01"), ("33", "10.02"), ("34", "9.97")], "100"),
    ],
)
def test_every_fill_order_with_the_terminal_anywhere_ends_the_same(
    fills: list[tuple[str, str]], final: str
) -> None:
    """Wherever the terminal event lands among the fills, the end state is the same:
    cash = start - cost, nothing held, never a negative balance on the way."""
    cost = sum((debit(D(p) * D(q)) for q, p in fills), D(0))
    for terminal_at in range(len(fills) + 1):
        balance, position = Balance(D("2000")), Position()
        order = buy("1003")  # 100 @ 10.03
        place(order, balance, position)
        for index, (qty, price) in enumerate(fills):
            if index == terminal_at:
                finish(order, D(final))
            settle_fill(order, balance, position, D(qty), D(price))
            release_if_done(order, balance, position)
            assert_sane(balance, position)
        finish(order, D(final))
        release_if_done(order, balance, position)
        assert order.status == "closed"
        assert balance == Balance(D("2000") - cost, D("0"))
        assert position.qty == D(final)


# -- fees ----------------------------------------------------------------------------------


def test_a_buys_fee_comes_from_its_reservation_first() -> None:
    balance, position = Balance(D("1000")), Position()
    order = buy("502.51")  # 50 @ 10, and its worst-case fee
    place(order, balance, position)
    settle_fill(order, balance, position, D("50"), D("10"))
    assert charge_fee(order, balance, D("1.25")) == D("1.25")
    assert order.cash_remaining == D("1.26")
    assert balance == Balance(D("498.75"), D("1.26"))


def test_a_fee_past_the_reservation_takes_buying_power_and_is_never_overdrawn() -> None:
    balance, position = Balance(D("500.02")), Position()
    order = buy("500.01")
    place(order, balance, position)
    settle_fill(order, balance, position, D("50"), D("10"))
    assert charge_fee(order, balance, D("0.02")) == D("0.02")  # 0.01 held, 0.01 free
    assert balance == Balance(D("0"), D("0"))
    assert charge_fee(order, balance, D("0.01")) == 0  # nothing left: waived
    assert balance == Balance(D("0"), D("0"))


def test_a_sells_fee_comes_from_its_proceeds() -> None:
    balance, position = Balance(), Position(D("10"))
    order = sell("10")
    place(order, balance, position)
    settle_fill(order, balance, position, D("10"), D("20"))
    assert charge_fee(order, balance, D("0.10")) == D("0.10")
    assert balance == Balance(D("199.90"))
    with pytest.raises(LedgerError):
        charge_fee(order, balance, D("-0.01"))
