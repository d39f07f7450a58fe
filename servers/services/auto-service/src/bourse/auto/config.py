from pydantic import Field
from pydantic_settings import SettingsConfigDict

from bourse.common.calendar import CalendarSettings
from bourse.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOURSE_AUTO_", extra="ignore")

    service_name: str = "auto"
    port: int = 8006
    database_url: str = "postgresql+asyncpg://bourse_auto@127.0.0.1:5432/bourse_auto"
    # Asked once for its instruments on a first start (then instrument.changed events).
    stock_url: str = "http://127.0.0.1:8004"
    # How often the scheduler looks for due runs (and expires alerts).
    scheduler_interval_ms: int = Field(default=1000, ge=10)
    # Due recurring orders claimed per transaction.
    scheduler_batch: int = Field(default=100, ge=1, le=10_000)
    # The market calendar (BOURSE_MARKET_*). With runs_in_session_only, a run that falls
    # due while the market is closed waits for the next open; off (the default, and what
    # the dev and test stacks need), runs fire at their slots at any hour.
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    runs_in_session_only: bool = False

    @property
    def scheduler_interval(self) -> float:
        return self.scheduler_interval_ms / 1000
