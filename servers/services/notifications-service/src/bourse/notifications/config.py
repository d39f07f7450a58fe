from ipaddress import IPv4Network, IPv6Network

from pydantic_settings import SettingsConfigDict

from bourse.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOURSE_NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    port: int = 8007
    database_url: str = (
        "postgresql+asyncpg://bourse_notifications@127.0.0.1:5432/bourse_notifications"
    )
    # WebSocket: pushes a slow client has not taken yet; past it the socket is closed
    # (1013) and the client resyncs through GET /api/v1/notifications.
    ws_queue_size: int = 256
    # Webhooks: a failed POST is retried after base * 2^(attempt-1), capped; after
    # ``webhook_max_attempts`` attempts the delivery is dead.
    webhook_max_attempts: int = 8
    webhook_backoff_base_ms: int = 1_000
    webhook_backoff_max_ms: int = 600_000
    webhook_timeout_seconds: float = 5.0
    webhook_poll_interval_ms: int = 1_000
    webhook_batch_size: int = 20
    # Webhooks to internal addresses (loopback, private, link-local, ...) are refused
    # (server-side request forgery, domain/webhook_urls.py) except in these networks:
    # local development and tests allow their receiver's, e.g. '["127.0.0.0/8"]'.
    webhook_allowed_networks: tuple[IPv4Network | IPv6Network, ...] = ()

    @property
    def webhook_lease_seconds(self) -> float:
        """How long a claimed delivery stays invisible to other workers: longer than one
        attempt can take, so only a crashed worker's claim ever expires."""
        return self.webhook_timeout_seconds * 2 + 10
