"""Settings from the environment (pydantic-settings). Each service subclasses
:class:`ServiceSettings` with its own prefix, e.g. ``BOURSE_ORDER_DATABASE_URL``."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOURSE_", extra="ignore")

    service_name: str = "bourse"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/bourse"
    # Connections kept open per process, and how many more may be opened for a burst
    # (each of those is closed again on return: a PostgreSQL backend started and ended
    # per checkout, which cost more CPU than the queries themselves when it happened on
    # every request).
    database_pool_size: int = 16
    database_pool_overflow: int = 4
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    consumer_prefetch: int = 64
    # How long a woken outbox relay, and a consumer that got a first delivery, wait for
    # more to join the batch (seconds): a little latency buys batches, and per-message
    # cost, not business logic, is what an order costs (ARCHITECTURE §4a).
    # Measured (make bench-e2e, 100 orders/s offered, one order per POST): 2 ms / 0 completed
    # 54 orders/s (saturated, p99 20 s); 10 ms / 10 ms completed all 100/s, p99 1.6 s.
    relay_linger: float = 0.01
    consumer_linger: float = 0.01
    # Seconds between two checks of autovacuum's rules on the service's tables, applied by
    # the service itself when the server has autovacuum off (bourse.common.upkeep).
    table_upkeep_interval: float = 10.0
    # Keep the heap start-up built out of the garbage collector's full collections
    # (bourse.common.heap); false only to measure what that saves.
    gc_freeze_startup: bool = True
    jwks_url: str = "http://127.0.0.1:8001/api/v1/auth/jwks"
    jwt_issuer: str = "bourse-user-service"
    jwt_audience: str = "bourse"
    # Topology is declared by every service at start; tests may isolate it with a prefix.
    queue_prefix: str = Field(default="", description="prefix for this deployment's queues")
    # permessage-deflate on WebSockets: compressed per connection, with a zlib context each
    ws_per_message_deflate: bool = True
