"""Which copy of the stack this process works on (BOURSE_STACK), and where it lives: its
ports, databases, RabbitMQ vhost and files under var/ (git-ignored)."""

from __future__ import annotations

import os
import urllib.parse
import zlib
from dataclasses import dataclass
from pathlib import Path

# the checkout: libs/stack/src/bourse/stack/instance.py -> five levels up
ROOT = Path(__file__).resolve().parents[5]


# Each e2e instance's ports are the dev ports (8001 ... 8101) moved by a multiple of this:
# wider than that span, so that two instances never share a port (100 was not: one
# instance's exchange shard 1 took the next instance's user-service port).
E2E_PORT_STEP = 200


@dataclass(frozen=True)
class Instance:
    """One independent copy of the stack on this machine: its own ports, databases,
    RabbitMQ vhost and var/ directory, so that the test suite's stack never meets the
    developer's ``make up`` stack, nor another checkout's test stack.

    ``dev`` (the default) is ``make up``'s: gateway :8080, databases ``bourse_<svc>``,
    vhost ``/``, files in var/. ``e2e`` (BOURSE_STACK=e2e, set by the e2e tests) is
    derived from this checkout's path, so two checkouts on one machine never share one."""

    name: str
    port_offset: int
    database_suffix: str
    vhost: str
    var: Path

    @classmethod
    def named(cls, name: str) -> Instance:
        if name == "dev":
            return cls("dev", 0, "", "/", ROOT / "var")
        if name == "e2e":
            # BOURSE_E2E_TAG (0-39) picks another instance when two checkouts' paths collide
            tag = int(os.environ.get("BOURSE_E2E_TAG") or zlib.crc32(str(ROOT).encode()) % 40)
            return cls(
                f"e2e-{tag:02d}", 10_000 + E2E_PORT_STEP * tag, f"_e2e{tag:02d}",
                f"bourse-e2e-{tag:02d}", ROOT / "var" / "e2e",
            )  # fmt: skip
        raise SystemExit(f"stack: unknown BOURSE_STACK {name!r} (dev or e2e)")


INSTANCE = Instance.named(os.environ.get("BOURSE_STACK", "dev"))
DEV = Instance.named("dev")  # make up's, whatever BOURSE_STACK says (the manifests')
VAR = INSTANCE.var
NGINX_VAR = VAR / "nginx"
SUPERVISOR_VAR = VAR / "supervisor"
LOG_DIR = VAR / "log"
NGINX_CONF = NGINX_VAR / "nginx.conf"
# the browser terminal's build (scripts/web-terminal.sh build), served by nginx at /
WEB_ROOT = ROOT / "servers" / "web-terminal" / "dist"
SUPERVISOR_CONF = SUPERVISOR_VAR / "supervisord.conf"
SUPERVISOR_SOCKET = SUPERVISOR_VAR / "supervisor.sock"
SUPERVISOR_PIDFILE = SUPERVISOR_VAR / "supervisord.pid"

HOST = "127.0.0.1"
GATEWAY_PORT = 8080 + INSTANCE.port_offset
GATEWAY = f"http://{HOST}:{GATEWAY_PORT}"
API_BASE = f"{GATEWAY}/api/v1"
DEFAULT_SHARDS = 2
SHARDS = int(os.environ.get("BOURSE_STACK_SHARDS", str(DEFAULT_SHARDS)))
REPLICAS = int(os.environ.get("BOURSE_STACK_REPLICAS", "2"))


def database_url(name: str) -> str:
    return f"postgresql+asyncpg://{name}@{HOST}:5432/{name}"


def amqp_url(instance: Instance = INSTANCE) -> str:
    vhost = "" if instance.vhost == "/" else urllib.parse.quote(instance.vhost, safe="")
    return f"amqp://guest:guest@{HOST}:5672/{vhost}"
