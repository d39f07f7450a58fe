from pydantic_settings import SettingsConfigDict

from bourse.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOURSE_TRADER_", extra="ignore")

    service_name: str = "trader"
    port: int = 8002
    database_url: str = "postgresql+asyncpg://bourse_trader@127.0.0.1:5432/bourse_trader"
