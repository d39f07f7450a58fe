"""The one table of Bourse's processes: every service (its replicas) and exchange shard,
its port, database and the settings it runs with."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from bourse.stack.instance import (
    HOST,
    INSTANCE,
    REPLICAS,
    SHARDS,
    Instance,
    amqp_url,
    database_url,
)

REPLICA_PORT_STEP = 10  # order: 8003, order-2: 8013

Kind = Literal["service", "exchange"]


@dataclass(frozen=True)
class Service:
    """One process of the stack. ``name`` is its supervisor program, its nginx upstream
    and its docs path (/docs/<name>); it runs as ``python -m bourse.<module> serve``.
    Its port, database and settings are this process's instance's unless another
    ``Instance`` is given (the manifests describe ``make up``'s)."""

    name: str
    module: str
    base_port: int
    base_database: str | None
    kind: Kind = "service"
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    replica: int = 0  # 0, 1, ...: the second instance of "order" is "order-2"
    group: str = ""  # the service all its replicas belong to (its nginx upstream)

    @property
    def service(self) -> str:
        return self.group or self.name

    @property
    def port(self) -> int:
        return self.port_in(INSTANCE)

    def port_in(self, instance: Instance) -> int:
        return self.base_port + REPLICA_PORT_STEP * self.replica + instance.port_offset

    @property
    def database(self) -> str | None:
        return self.database_in(INSTANCE)

    def database_in(self, instance: Instance) -> str | None:
        return self.base_database and self.base_database + instance.database_suffix

    @property
    def env_prefix(self) -> str:
        """The prefix of its settings (pydantic-settings), e.g. BOURSE_ORDER_."""
        return f"BOURSE_{self.module.removesuffix('_server').upper()}_"

    @property
    def url(self) -> str:
        return self.url_in(INSTANCE)

    def url_in(self, instance: Instance) -> str:
        return f"http://{HOST}:{self.port_in(instance)}"

    @property
    def readyz(self) -> str:
        return f"{self.url}/readyz"

    @property
    def public(self) -> bool:
        """Has a public API behind nginx (an upstream and /docs/<name>)."""
        return self.kind == "service"

    @property
    def first(self) -> bool:
        """The first replica: the one that migrates, declares and serves as the peer URL."""
        return self.replica == 0

    def environment(self, instance: Instance = INSTANCE) -> dict[str, str]:
        """Its settings in ``instance``: where it listens, its database, the vhost, and
        where the other services answer (``<PREFIX><OTHER>_URL``, e.g. the stock URL the
        order service bootstraps instruments from)."""
        p = self.env_prefix
        user = BY_NAME["user"]
        env = {
            f"{p}PORT": str(self.port_in(instance)),
            f"{p}AMQP_URL": amqp_url(instance),
            f"{p}JWKS_URL": f"{user.url_in(instance)}/api/v1/auth/jwks",
            **{
                f"{p}{s.name.upper()}_URL": s.url_in(instance)
                for s in SERVICES
                if s.public and s.first and s.service != self.service
            },
            **dict(self.env),
        }
        database = self.database_in(instance)
        if database:
            env[f"{p}DATABASE_URL"] = database_url(database)
            # 16 kept (+4 for a burst) per process. A request or a consumer lane holds
            # its connection across every await of its transaction, so in-flight work,
            # not CPU, sets how many are busy. A connection past the kept ones is opened
            # and closed again per checkout: with 10 kept, bench-http's 16 concurrent
            # reads started 8.5 backends a second, and their start-up was nearly all of
            # PostgreSQL's CPU. Every replica of every service shares one PostgreSQL
            # (max_connections 500); the most a process may hold stays 20.
            env[f"{p}DATABASE_POOL_SIZE"] = "16"
            env[f"{p}DATABASE_POOL_OVERFLOW"] = "4"
        if self.kind == "exchange":
            env[f"{p}JOURNAL_DIR"] = str(instance.var / "exchange")
        return env


def _exchange_shard(k: int, shards: int) -> Service:
    return Service(
        name=f"exchange-{k}",
        module="exchange_server",
        base_port=8100 + k,
        base_database=None,
        kind="exchange",
        args=("--shard", str(k)),
        env=(("BOURSE_EXCHANGE_SHARDS", str(shards)),),
    )


def _replicas(service: Service, replicas: int) -> list[Service]:
    """Every HTTP service runs REPLICAS instances behind its nginx upstream, so that one can
    be drained and restarted while the others serve (scripts/deploy.sh --target local)."""
    names = [service.name, *(f"{service.name}-{i + 1}" for i in range(1, replicas))]
    return [replace(service, name=n, replica=i, group=service.name) for i, n in enumerate(names)]


def table(shards: int = SHARDS, replicas: int = REPLICAS) -> tuple[Service, ...]:
    """Every process of a stack with ``shards`` exchange shards and ``replicas`` of each
    HTTP service (BOURSE_STACK_SHARDS, BOURSE_STACK_REPLICAS)."""
    return (
        *_replicas(Service("user", "user", 8001, "bourse_user"), replicas),
        *_replicas(Service("trader", "trader", 8002, "bourse_trader"), replicas),
        *_replicas(
            Service(
                "order",
                "order",
                8003,
                "bourse_order",
                env=(("BOURSE_ORDER_EXCHANGE_SHARDS", str(shards)),),
            ),
            replicas,
        ),
        *_replicas(Service("stock", "stock", 8004, "bourse_stock"), replicas),
        *_replicas(Service("portfolio", "portfolio", 8005, "bourse_portfolio"), replicas),
        *_replicas(Service("auto", "auto", 8006, "bourse_auto"), replicas),
        *_replicas(
            Service("notifications", "notifications", 8007, "bourse_notifications"), replicas
        ),
        *(_exchange_shard(k, shards) for k in range(shards)),
    )


SERVICES: tuple[Service, ...] = table()
BY_NAME: dict[str, Service] = {s.name: s for s in SERVICES}


def has_migrations(service: Service) -> bool:
    if service.database is None:
        return False
    try:
        spec = importlib.util.find_spec(f"bourse.{service.module}")
    except Exception:
        return False
    locations = spec.submodule_search_locations if spec else None
    return any((Path(p) / "migrations" / "env.py").exists() for p in locations or ())
