"""The price publication throttle: at most one price per symbol per interval, and the
latest price is never dropped (a throttled one waits for the next slot)."""

from datetime import datetime, timedelta


def publish_due(published_at: datetime | None, now: datetime, interval: timedelta) -> bool:
    return published_at is None or now - published_at >= interval
