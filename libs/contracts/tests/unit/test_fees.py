"""The fee rules: a fill's fee rounded half-up to the cent, and the worst case a buy holds."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bourse.contracts.fees import fill_fee, worst_case_fee

D = Decimal
prices = st.decimals(min_value=D("0.01"), max_value=D("10000"), places=2)
quantities = st.integers(min_value=1, max_value=10_000).map(Decimal)
rates = st.integers(min_value=0, max_value=1000)


def test_a_fee_is_rounded_half_up_to_the_cent() -> None:
    assert fill_fee(D("50.00"), D("5"), 25) == D("0.63")  # 0.625
    assert fill_fee(D("100.03"), D("3"), 10) == D("0.30")  # 0.30009
    assert fill_fee(D("0.01"), D("1"), 5) == D("0.00")
    assert fill_fee(D("123.45"), D("7"), 0) == D("0.00")


def test_the_worst_case_takes_the_higher_rate_rounded_up_and_a_cent() -> None:
    assert worst_case_fee(D("1000.00"), 10, 25) == D("2.51")
    assert worst_case_fee(D("1012.50"), 25, 10) == D("2.55")  # 2.53125 -> 2.54, + 0.01
    assert worst_case_fee(D("1000.00"), 0, 0) == D("0")


@given(prices, quantities, quantities, rates, rates)
def test_two_fills_of_an_order_never_cost_more_than_its_worst_case(
    price: Decimal, first: Decimal, second: Decimal, maker: int, taker: int
) -> None:
    """One cent of slack covers the rounding of two fills (each rounds up by half a cent at
    most), whichever rate each pays."""
    held = worst_case_fee(price * (first + second), maker, taker)
    charged = fill_fee(price, first, maker) + fill_fee(price, second, taker)
    assert charged <= held
