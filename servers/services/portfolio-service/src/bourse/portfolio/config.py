from pydantic import Field
from pydantic_settings import SettingsConfigDict

from bourse.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOURSE_PORTFOLIO_", extra="ignore")

    service_name: str = "portfolio"
    port: int = 8005
    database_url: str = "postgresql+asyncpg://bourse_portfolio@127.0.0.1:5432/bourse_portfolio"
    # One equity sample per user per slot of this length (all instances share the slots).
    equity_sample_interval_s: float = Field(default=60.0, gt=0)
    # Frames waiting for one WebSocket client; when full, its oldest pending update goes
    # (each frame is the whole portfolio, so the newest supersedes it).
    ws_queue_size: int = Field(default=8, ge=1)
    # A client that cannot take one frame within this long is disconnected.
    ws_send_timeout_s: float = Field(default=10.0, gt=0)
