from datetime import timedelta

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from bourse.common.calendar import CalendarSettings
from bourse.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOURSE_STOCK_", extra="ignore")

    service_name: str = "stock"
    port: int = 8004
    database_url: str = "postgresql+asyncpg://bourse_stock@127.0.0.1:5432/bourse_stock"
    # At most one market.price.<SYM> per symbol per interval; the latest is never dropped.
    price_publish_interval_ms: int = Field(default=250, ge=1)
    # /ws/market: frames queued per client before it is closed as too slow (4408), and
    # symbol-channel pairs per connection.
    market_ws_queue_size: int = Field(default=2000, ge=1)
    market_max_subscriptions: int = Field(default=200, ge=1)
    # A minute's bars close this long after the minute ends (its last trades in flight).
    market_bar_grace_ms: int = Field(default=200, ge=0)
    # No per-connection compression: /ws/market encodes each event once for every client,
    # and a zlib context per client would cost more memory than the client's whole state.
    ws_per_message_deflate: bool = False
    # The market calendar (BOURSE_MARKET_*): GET /api/v1/clock and /api/v1/calendar.
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)

    @property
    def price_publish_interval(self) -> timedelta:
        return timedelta(milliseconds=self.price_publish_interval_ms)

    @property
    def market_bar_grace(self) -> timedelta:
        return timedelta(milliseconds=self.market_bar_grace_ms)
