from pathlib import Path
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from bourse.common.settings import ServiceSettings

BASE_PORT = 8100


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOURSE_EXCHANGE_", extra="ignore")

    service_name: str = "exchange"
    port: int = BASE_PORT  # 8100 + shard unless set explicitly
    shard: int = Field(default=0, ge=0)
    shards: int = Field(default=1, ge=1)
    journal_dir: Path = Path("var/exchange")
    snapshot_every: int = Field(default=10_000, ge=1, description="commands between snapshots")
    prefetch: int = Field(default=256, ge=1)
    max_batch: int = Field(default=256, ge=1, description="commands per fsync (group commit)")
    book_depth: int = Field(default=10, ge=1, description="levels per side in market.book")

    @model_validator(mode="after")
    def _shard_port(self) -> Self:
        if self.shard >= self.shards:
            raise ValueError(f"shard {self.shard} does not exist with {self.shards} shards")
        if "port" not in self.model_fields_set:
            self.port = BASE_PORT + self.shard
        return self

    @property
    def shard_dir(self) -> Path:
        return self.journal_dir / f"shard-{self.shard}"
