from datetime import timedelta

from pydantic_settings import SettingsConfigDict

from bourse.common.settings import ServiceSettings
from bourse.user.domain.throttle import ThrottlePolicy


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOURSE_USER_", extra="ignore")

    service_name: str = "user"
    port: int = 8001
    database_url: str = "postgresql+asyncpg://bourse_user@127.0.0.1:5432/bourse_user"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # Users registering with one of these emails get the admin role (bootstrap only).
    admin_emails: str = "admin@bourse.dev"
    # Per-account login throttle (bourse.user.domain.throttle): the 5th consecutive failure
    # on one email locks it 1 s, each further one doubles the lock up to 300 s; failures
    # are forgotten after 15 min without one, or at once on a success.
    login_free_failures: int = 5
    login_base_delay_seconds: float = 1.0
    login_max_delay_seconds: float = 300.0
    login_failure_window_seconds: float = 900.0

    @property
    def admins(self) -> frozenset[str]:
        return frozenset(e.strip().lower() for e in self.admin_emails.split(",") if e.strip())

    @property
    def login_throttle(self) -> ThrottlePolicy:
        return ThrottlePolicy(
            free_failures=self.login_free_failures,
            base_delay=timedelta(seconds=self.login_base_delay_seconds),
            max_delay=timedelta(seconds=self.login_max_delay_seconds),
            window=timedelta(seconds=self.login_failure_window_seconds),
        )
