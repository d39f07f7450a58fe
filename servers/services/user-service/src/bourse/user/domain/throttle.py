"""Failed-attempt throttling, the pure rule: how long a subject (an account's email; an
API key later) must wait after consecutive failed attempts.

The first ``free_failures - 1`` failures cost nothing. The ``free_failures``-th locks
the subject for ``base_delay``, and each further failure doubles the lock, up to
``max_delay``. A failure older than ``window`` is forgotten, a success forgets them all.
Attempts refused during a lock are not failures: hammering a locked subject never
extends its lock, so after an attacker stops the owner waits at most ``max_delay``.

An attempt counts as a failure when it is admitted, before its secret is checked (and
is forgotten again if it succeeds): so concurrent attempts cannot all slip in before
the first failure is recorded.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_DOUBLINGS = 30  # 2**30 x any sane base delay is past any cap


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int = 5
    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=5)
    window: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.free_failures < 1:
            raise ValueError("free_failures must be at least 1")
        if not timedelta(0) < self.base_delay <= self.max_delay:
            raise ValueError("need 0 < base_delay <= max_delay")
        if self.window <= self.max_delay:
            raise ValueError("the window must outlast the longest lock")

    def lock_after(self, failures: int) -> timedelta:
        """How long ``failures`` consecutive failures lock the subject (0: not at all)."""
        if failures < self.free_failures:
            return timedelta(0)
        doublings = min(failures - self.free_failures, MAX_DOUBLINGS)
        return min(self.base_delay * (1 << doublings), self.max_delay)


@dataclass(frozen=True)
class Failures:
    """One subject's recent failures, as stored."""

    count: int = 0
    last_at: datetime | None = None
    locked_until: datetime | None = None


def retry_after(state: Failures, now: datetime) -> timedelta | None:
    """How long an attempt made ``now`` must still wait, or None when it may proceed."""
    if state.locked_until is None or state.locked_until <= now:
        return None
    return state.locked_until - now


def count_failure(policy: ThrottlePolicy, state: Failures, now: datetime) -> Failures:
    """The state once an attempt made ``now`` (and admitted) counts as a failure."""
    fresh = state.last_at is not None and now - state.last_at < policy.window
    count = state.count + 1 if fresh else 1
    lock = policy.lock_after(count)
    return Failures(count, now, now + lock if lock else None)


def retry_after_header(wait: timedelta) -> str:
    """Retry-After in whole seconds, rounded up, so a client that obeys it is admitted."""
    return str(max(1, math.ceil(wait.total_seconds())))
