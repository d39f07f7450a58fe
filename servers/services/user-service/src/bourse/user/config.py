from pydantic_settings import SettingsConfigDict

from bourse.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOURSE_USER_", extra="ignore")

    service_name: str = "user"
    port: int = 8001
    database_url: str = "postgresql+asyncpg://bourse_user@127.0.0.1:5432/bourse_user"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # Users registering with one of these emails get the admin role (bootstrap only).
    admin_emails: str = "admin@bourse.dev"

    @property
    def admins(self) -> frozenset[str]:
        return frozenset(e.strip().lower() for e in self.admin_emails.split(",") if e.strip())
