from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from bourse.common.calendar import CalendarSettings
from bourse.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOURSE_ORDER_", extra="ignore")

    service_name: str = "order"
    port: int = 8003
    database_url: str = "postgresql+asyncpg://bourse_order@127.0.0.1:5432/bourse_order"
    exchange_shards: int = 1
    # Market orders become IOC limits this far through the reference price (0.05 = 5%).
    collar: Decimal = Decimal("0.05")
    stock_url: str = "http://127.0.0.1:8004"
    trader_url: str = "http://127.0.0.1:8002"  # the account: what a close may sell
    # Day orders expire at each session's close: the market calendar (BOURSE_MARKET_*).
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    session_check_interval_s: float = Field(default=5.0, gt=0)
    session_closer: bool = True  # off: another process closes the session (and in tests)
    # /ws/trade-updates: updates are kept at least this long for ``?since=`` replays
    # (API.md: 7 days at least), pruned every interval; a live socket that falls this many
    # updates behind is closed (1013; it reconnects with ?since= and loses nothing).
    trade_updates_retention_days: int = Field(default=7, ge=7)
    trade_updates_prune_interval_s: float = 600.0
    trade_updates_queue_size: int = 2048
