"""When the session closes: the latest weekday close at or before now, in New York."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bourse.order.domain.session import last_close

NEW_YORK = ZoneInfo("America/New_York")
CLOSE = time(16, 0)


@pytest.mark.parametrize(
    ("now", "closed"),
    [
        (datetime(2026, 11, 18, 21, 0, tzinfo=UTC), date(2026, 11, 18)),  # Wed 16:00 EST
        (datetime(2026, 11, 18, 20, 59, tzinfo=UTC), date(2026, 11, 17)),  # Wed 15:59
        (datetime(2026, 11, 23, 14, 30, tzinfo=UTC), date(2026, 11, 20)),  # Mon morning
        (datetime(2026, 11, 21, 12, 0, tzinfo=UTC), date(2026, 11, 20)),  # Saturday
        (datetime(2026, 11, 22, 23, 0, tzinfo=UTC), date(2026, 11, 20)),  # Sunday evening
        (datetime(2026, 7, 15, 20, 0, tzinfo=UTC), date(2026, 7, 15)),  # 16:00 EDT (summer)
        (datetime(2026, 7, 15, 19, 59, tzinfo=UTC), date(2026, 7, 14)),
        (datetime(2026, 11, 19, 2, 0, tzinfo=UTC), date(2026, 11, 18)),  # Wed 21:00 local
    ],
)
def test_the_latest_close(now: datetime, closed: date) -> None:
    assert last_close(now, CLOSE, NEW_YORK) == closed
