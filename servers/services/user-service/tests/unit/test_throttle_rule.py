"""The failed-attempt throttle's pure rule (bourse.user.domain.throttle)."""

from datetime import UTC, datetime, timedelta

import pytest

from bourse.user.domain.throttle import (
    Failures,
    ThrottlePolicy,
    count_failure,
    retry_after,
    retry_after_header,
)

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
POLICY = ThrottlePolicy()  # 5 free failures, 1 s doubling to 300 s, 15 min window


def s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def test_the_fifth_failure_locks_one_second_then_each_doubles_up_to_five_minutes() -> None:
    locks = [POLICY.lock_after(n).total_seconds() for n in range(1, 17)]
    assert locks == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert POLICY.lock_after(10_000) == s(300)  # no overflow


def test_failures_accumulate_and_lock_from_the_failure() -> None:
    state = Failures()
    for minute in range(5):
        state = count_failure(POLICY, state, T0 + timedelta(minutes=minute))
    assert state == Failures(5, T0 + timedelta(minutes=4), T0 + timedelta(minutes=4, seconds=1))


def test_a_failure_after_a_quiet_window_starts_over() -> None:
    old = Failures(9, T0, T0 + s(256))
    assert count_failure(POLICY, old, T0 + POLICY.window) == Failures(1, T0 + POLICY.window)
    assert count_failure(POLICY, old, T0 + POLICY.window - s(1)).count == 10


def test_retry_after_is_what_is_left_of_the_lock() -> None:
    locked = Failures(6, T0, T0 + s(2))
    assert retry_after(locked, T0 + s(0.5)) == s(1.5)
    assert retry_after(locked, T0 + s(2)) is None
    assert retry_after(Failures(4, T0, None), T0) is None


@pytest.mark.parametrize(("wait", "header"), [(0.001, "1"), (1.0, "1"), (1.2, "2"), (299.5, "300")])
def test_retry_after_header_rounds_up_to_whole_seconds(wait: float, header: str) -> None:
    assert retry_after_header(s(wait)) == header


@pytest.mark.parametrize(
    "kwargs",
    [
        {"free_failures": 0},
        {"base_delay": s(0)},
        {"base_delay": s(10), "max_delay": s(5)},
        {"max_delay": s(300), "window": s(300)},
    ],
)
def test_nonsense_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ThrottlePolicy(**kwargs)  # type: ignore[arg-type]
