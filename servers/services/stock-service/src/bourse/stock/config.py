from datetime import timedelta

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from bourse.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOURSE_STOCK_", extra="ignore")

    service_name: str = "stock"
    port: int = 8004
    database_url: str = "postgresql+asyncpg://bourse_stock@127.0.0.1:5432/bourse_stock"
    # At most one market.price.<SYM> per symbol per interval; the latest is never dropped.
    price_publish_interval_ms: int = Field(default=250, ge=1)

    @property
    def price_publish_interval(self) -> timedelta:
        return timedelta(milliseconds=self.price_publish_interval_ms)
