"""The local stack: the one table of Bourse's processes, and the helpers up.sh / down.sh use.

    uv run python scripts/stack.py list [--all] [--migrations | --databases]
    uv run python scripts/stack.py render [--exclude NAME ...]
    uv run python scripts/stack.py ports          # are our ports free? (before starting)
    uv run python scripts/stack.py running        # exit 0 when our supervisord answers
    uv run python scripts/stack.py wait [--timeout 120]
    uv run python scripts/stack.py check          # exit 0 when everything is ready now
    uv run python scripts/stack.py urls
    uv run python scripts/stack.py journals [--adopt]  # do var/exchange and the DBs match?
    uv run python scripts/stack.py reset          # drop the instance's DBs, queues, journals

A service "exists" when ``bourse.<module>.main`` is importable; the others (written later)
are skipped everywhere. Generated files go under ``var/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import importlib.util
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xmlrpc.client
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent


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
VAR = INSTANCE.var
NGINX_VAR = VAR / "nginx"
SUPERVISOR_VAR = VAR / "supervisor"
LOG_DIR = VAR / "log"
NGINX_CONF = NGINX_VAR / "nginx.conf"
# files nginx.conf.template includes, copied beside the rendered nginx.conf
NGINX_INCLUDES = (
    "proxy-headers.conf",
    "response-headers.conf",
    "web-terminal.conf",
    "web-headers.conf",
)
# the browser terminal's build (scripts/web-terminal.sh build), served by nginx at /
WEB_ROOT = ROOT / "servers" / "web-terminal" / "dist"
SUPERVISOR_CONF = SUPERVISOR_VAR / "supervisord.conf"
SUPERVISOR_SOCKET = SUPERVISOR_VAR / "supervisor.sock"
SUPERVISOR_PIDFILE = SUPERVISOR_VAR / "supervisord.pid"

HOST = "127.0.0.1"
GATEWAY_PORT = 8080 + INSTANCE.port_offset
GATEWAY = f"http://{HOST}:{GATEWAY_PORT}"
API_BASE = f"{GATEWAY}/api/v1"
SHARDS = int(os.environ.get("BOURSE_STACK_SHARDS", "2"))
REPLICAS = int(os.environ.get("BOURSE_STACK_REPLICAS", "2"))
REPLICA_PORT_STEP = 10  # order: 8003, order-2: 8013

Kind = Literal["service", "exchange"]


@dataclass(frozen=True)
class Service:
    """One process of the stack. ``name`` is its supervisor program, its nginx upstream
    and its docs path (/docs/<name>); it runs as ``python -m bourse.<module> serve``."""

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
        return self.base_port + REPLICA_PORT_STEP * self.replica + INSTANCE.port_offset

    @property
    def database(self) -> str | None:
        return self.base_database and self.base_database + INSTANCE.database_suffix

    @property
    def env_prefix(self) -> str:
        """The prefix of its settings (pydantic-settings), e.g. BOURSE_ORDER_."""
        return f"BOURSE_{self.module.removesuffix('_server').upper()}_"

    @property
    def probe(self) -> str:
        """The module whose presence means the service is written (and runnable)."""
        return f"bourse.{self.module}.main"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

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

    def environment(self) -> dict[str, str]:
        """Its settings in this instance: where it listens, its database, the vhost, and
        where the other services answer (``<PREFIX><OTHER>_URL``, e.g. the stock URL the
        order service bootstraps instruments from)."""
        p = self.env_prefix
        user = BY_NAME["user"]
        env = {
            f"{p}PORT": str(self.port),
            f"{p}AMQP_URL": amqp_url(),
            f"{p}JWKS_URL": f"{user.url}/api/v1/auth/jwks",
            **{
                f"{p}{s.name.upper()}_URL": s.url
                for s in SERVICES
                if s.public and s.first and s.service != self.service
            },
            **dict(self.env),
        }
        if self.database:
            env[f"{p}DATABASE_URL"] = database_url(self.database)
            # 10 (+10 overflow) per process. A request or a consumer lane holds its
            # connection across every await of its transaction, so in-flight work, not
            # CPU, sets how many are busy; past the pool size, each extra checkout opens a
            # connection and closes it again (a backend started per request). Every
            # replica of every service shares one PostgreSQL (max_connections 500).
            env[f"{p}DATABASE_POOL_SIZE"] = "10"
        if self.kind == "exchange":
            env[f"{p}JOURNAL_DIR"] = str(VAR / "exchange")
        return env


def database_url(name: str) -> str:
    return f"postgresql+asyncpg://{name}@{HOST}:5432/{name}"


def amqp_url() -> str:
    vhost = "" if INSTANCE.vhost == "/" else urllib.parse.quote(INSTANCE.vhost, safe="")
    return f"amqp://guest:guest@{HOST}:5672/{vhost}"


def _exchange_shard(k: int) -> Service:
    return Service(
        name=f"exchange-{k}",
        module="exchange_server",
        base_port=8100 + k,
        base_database=None,
        kind="exchange",
        args=("--shard", str(k)),
        env=(("BOURSE_EXCHANGE_SHARDS", str(SHARDS)),),
    )


def _replicas(service: Service) -> list[Service]:
    """Every HTTP service runs REPLICAS instances behind its nginx upstream, so that one can
    be drained and restarted while the others serve (scripts/deploy.sh --target local)."""
    names = [service.name, *(f"{service.name}-{i + 1}" for i in range(1, REPLICAS))]
    return [replace(service, name=n, replica=i, group=service.name) for i, n in enumerate(names)]


SERVICES: tuple[Service, ...] = (
    *_replicas(Service("user", "user", 8001, "bourse_user")),
    *_replicas(Service("trader", "trader", 8002, "bourse_trader")),
    *_replicas(
        Service(
            "order",
            "order",
            8003,
            "bourse_order",
            env=(("BOURSE_ORDER_EXCHANGE_SHARDS", str(SHARDS)),),
        )
    ),
    *_replicas(Service("stock", "stock", 8004, "bourse_stock")),
    *_replicas(Service("portfolio", "portfolio", 8005, "bourse_portfolio")),
    *_replicas(Service("auto", "auto", 8006, "bourse_auto")),
    *_replicas(Service("notifications", "notifications", 8007, "bourse_notifications")),
    *(_exchange_shard(k) for k in range(SHARDS)),
)
BY_NAME: dict[str, Service] = {s.name: s for s in SERVICES}


# -- what exists ---------------------------------------------------------------------------


def exists(service: Service) -> bool:
    """``bourse.<module>.main`` can be found. A package that fails to import is reported
    and counted as existing, so that its failure shows up (migrate / start) instead of
    the service silently vanishing."""
    try:
        return importlib.util.find_spec(service.probe) is not None
    except ModuleNotFoundError:
        return False
    except Exception as exc:
        print(f"stack: importing bourse.{service.module} fails: {exc!r}", file=sys.stderr)
        return True


def existing(services: Iterable[Service] = SERVICES) -> list[Service]:
    return [s for s in services if exists(s)]


def has_migrations(service: Service) -> bool:
    if service.database is None:
        return False
    try:
        spec = importlib.util.find_spec(f"bourse.{service.module}")
    except Exception:
        return False
    locations = spec.submodule_search_locations if spec else None
    return any((Path(p) / "migrations" / "env.py").exists() for p in locations or ())


# -- rendering -----------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{ (\w+) \}\}")


def fill(template: str, values: Mapping[str, str]) -> str:
    """Replace every ``{{ name }}``; a placeholder without a value is an error."""

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template placeholder {{{{ {key} }}}} has no value")
        return values[key]

    return _PLACEHOLDER.sub(value, template)


def _nginx_upstreams(services: Sequence[Service], drained: Iterable[str] = ()) -> str:
    """One upstream per service with a server per replica. A drained replica is ``down``:
    nginx sends it nothing new while it restarts; a failed one is skipped for 2 s."""
    blocks = []
    for group in dict.fromkeys(s.service for s in services if s.public):
        servers = "".join(
            f"        server {HOST}:{s.port} max_fails=1 fail_timeout=2s"
            f"{' down' if s.name in drained else ''};\n"
            for s in services
            if s.service == group
        )
        blocks.append(
            f"    upstream {group} {{\n{servers}"
            "        keepalive 16;\n"
            "        keepalive_timeout 4s;  # below uvicorn's 5 s keep-alive\n"
            "    }"
        )
    return "\n".join(blocks)


def nginx_docs(names: Sequence[str]) -> str:
    """Each service's Swagger UI at /docs/<name>/ (its page's URLs are relative: its files
    under /docs/<name>/swagger-ui/, its schema at /docs/<name>/openapi.json), and /docs,
    the list. Nothing else of a service is reachable under /docs (not its /metrics)."""
    blocks = [
        f"        location = /docs/{name} {{\n"
        f"            return 301 /docs/{name}/;\n"
        "        }\n"
        f"        location = /docs/{name}/ {{\n"
        f"            proxy_pass http://{name}/docs;\n"
        "        }\n"
        f"        location = /docs/{name}/openapi.json {{\n"
        f"            proxy_pass http://{name}/openapi.json;\n"
        "        }\n"
        f"        location ^~ /docs/{name}/swagger-ui/ {{\n"
        f"            proxy_pass http://{name}/swagger-ui/;\n"
        "        }"
        for name in names
    ]
    index = json.dumps({name: f"/docs/{name}/" for name in names})
    blocks.append(
        "        location = /docs {\n"
        "            default_type application/json;\n"
        f"            return 200 '{index}';\n"
        "        }"
    )
    return "\n".join(blocks)


def nginx_values(services: Sequence[Service], drained: Iterable[str] = ()) -> dict[str, str]:
    env = os.environ.get
    return {
        "nginx_var": str(NGINX_VAR),
        "port": str(GATEWAY_PORT),
        "workers": env("BOURSE_EDGE_WORKERS", "2"),
        "auth_rate": env("BOURSE_EDGE_AUTH_RATE", "20r/s"),
        "auth_burst": env("BOURSE_EDGE_AUTH_BURST", "40"),
        "api_rate": env("BOURSE_EDGE_API_RATE", "2000r/s"),
        "api_burst": env("BOURSE_EDGE_API_BURST", "4000"),
        "upstreams": _nginx_upstreams(services, drained),
        "docs": nginx_docs([s.name for s in services if s.public and s.first]),
        "web_root": str(WEB_ROOT),
    }


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_command() -> list[str]:
    return [
        nginx_binary(),
        "-p",
        f"{NGINX_VAR}/",
        "-c",
        str(NGINX_CONF),
        "-e",
        str(NGINX_VAR / "logs" / "error.log"),
    ]


def _environment(pairs: Iterable[tuple[str, str]]) -> str:
    # supervisord expands %(name)s in values: a literal % is written %%
    return ",".join(f'{key}="{value.replace("%", "%%")}"' for key, value in pairs)


def _program(
    name: str, command: Sequence[str], env: Iterable[tuple[str, str]], priority: int, stop: str
) -> str:
    template = (ROOT / "infra" / "local" / "program.conf.template").read_text()
    return fill(
        template,
        {
            "name": name,
            "command": shlex.join(command),
            "root": str(ROOT),
            "var": str(VAR),
            "environment": _environment(env),
            "priority": str(priority),
            "stopsignal": stop,
        },
    )


def supervisor_programs(services: Sequence[Service]) -> str:
    python = str(Path(sys.prefix) / "bin" / "python")
    programs = []
    for s in services:
        command = [python, "-m", f"bourse.{s.module}", "serve", *s.args]
        env = [("PYTHONUNBUFFERED", "1"), *s.environment().items()]
        priority = 100 if s.kind == "exchange" else 200
        programs.append(_program(s.name, command, env, priority, "TERM"))
    # nginx last; QUIT = graceful stop (finishes the requests in flight).
    programs.append(_program("nginx", nginx_command(), [], 900, "QUIT"))
    return "\n".join(programs)


def render_nginx(services: Sequence[Service], drained: Iterable[str] = ()) -> None:
    template = (ROOT / "nginx" / "nginx.conf.template").read_text()
    NGINX_CONF.write_text(fill(template, nginx_values(services, drained)))
    for include in NGINX_INCLUDES:
        shutil.copyfile(ROOT / "nginx" / include, NGINX_VAR / include)


def render(services: Sequence[Service]) -> None:
    for directory in (
        LOG_DIR,
        SUPERVISOR_VAR,
        NGINX_VAR / "logs",
        NGINX_VAR / "tmp",
        VAR / "exchange",
    ):
        directory.mkdir(parents=True, exist_ok=True)
    render_nginx(services)
    template = (ROOT / "infra" / "local" / "supervisord.conf.template").read_text()
    values = {"root": str(ROOT), "var": str(VAR), "programs": supervisor_programs(services)}
    SUPERVISOR_CONF.write_text(fill(template, values))


def ensure_vhost() -> None:
    """The instance's vhost, with every permission for guest (the default vhost exists)."""
    if INSTANCE.vhost == "/":
        return
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"

    def run(*args: str) -> str:
        done = subprocess.run([ctl, "-q", *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"stack: rabbitmqctl {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    if INSTANCE.vhost not in run("list_vhosts", "--no-table-headers").split():
        run("add_vhost", INSTANCE.vhost)
        print(f"stack: created the RabbitMQ vhost {INSTANCE.vhost}")
    run("set_permissions", "-p", INSTANCE.vhost, "guest", ".*", ".*", ".*")


# -- the exchange's journals and the databases ----------------------------------------------
#
# The exchange's journal lives in this checkout's var/, the databases are the instance's:
# two checkouts (or an emptied var/) meet databases that traded with another journal.
# order-service records every journal (epoch) each shard ran (table exchange_epochs); a
# journal directory names its epoch in EPOCH (bourse.exchange_server.epoch). ``make up``
# compares them and never trades on a mismatch silently.

EPOCH_FILE = "EPOCH"
LEGACY = "a journal from before epochs"
JOURNALS = VAR / "exchange"


def journal_epoch(shard: int) -> str | None:
    """The epoch of this checkout's journal of ``shard`` (None: there is none yet)."""
    directory = JOURNALS / f"shard-{shard}"
    with contextlib.suppress(FileNotFoundError):
        return (directory / EPOCH_FILE).read_text().strip()
    if any(directory.glob("journal-*.jsonl")) or any(directory.glob("snapshot-*.snap")):
        return LEGACY
    return None


@dataclass(frozen=True)
class Recorded:
    """What the order database knows of the exchange's journals."""

    current: dict[int, str]  # shard -> the epoch it runs now
    retired: set[str]
    traded: bool  # some order was ever sent to the exchange


async def _recorded(database: str) -> Recorded | None:
    import asyncpg  # noqa: PLC0415 (only this command needs PostgreSQL)

    try:
        conn = await asyncpg.connect(database_url(database).replace("+asyncpg", ""))
    except (asyncpg.InvalidCatalogNameError, asyncpg.InvalidAuthorizationSpecificationError):
        return None  # no database (or role) yet
    try:
        rows = await conn.fetch("SELECT shard, epoch::text, retired_at FROM exchange_epochs")
        traded = await conn.fetchval("SELECT EXISTS (SELECT FROM orders WHERE sent_to_exchange)")
    except asyncpg.UndefinedTableError:
        return None  # not migrated
    finally:
        await conn.close()
    return Recorded(
        {r["shard"]: r["epoch"] for r in rows if r["retired_at"] is None},
        {r["epoch"] for r in rows if r["retired_at"] is not None},
        bool(traded),
    )


def journal_mismatch(shard: int, journal: str | None, recorded: Recorded) -> str | None:
    """Why this checkout's journal of ``shard`` does not belong with the databases."""
    current = recorded.current.get(shard)
    if journal in (LEGACY, current):
        return None
    if current is None:
        if journal is None or recorded.traded:
            return None  # a fresh start, or databases from before epochs: adopted as found
        return (
            f"shard {shard}: this checkout's journal {journal} never traded with these "
            "databases (they were dropped or belong to another setup)"
        )
    found = "no journal" if journal is None else f"journal {journal}"
    if journal in recorded.retired:
        found += " (retired: another journal replaced it since)"
    return f"shard {shard}: the databases trade with journal {current}, this checkout has {found}"


def _orphan(shard: int) -> Path:
    """Move this checkout's journal of ``shard`` aside (kept, never deleted)."""
    target = VAR / "exchange-orphaned" / f"{time.strftime('%Y%m%d-%H%M%S')}-shard-{shard}"
    target.parent.mkdir(parents=True, exist_ok=True)
    (JOURNALS / f"shard-{shard}").rename(target)
    return target


def check_journals(adopt: bool) -> int:
    """Exit status of ``journals``: 0 when the journals and the databases belong together
    (or ``adopt`` made them), 1 with what to do otherwise."""
    order = BY_NAME["order"]
    recorded = asyncio.run(_recorded(order.database)) if order.database and exists(order) else None
    if recorded is None:
        return 0
    found = {k: journal_epoch(k) for k in range(SHARDS)}
    problems = {k: why for k, j in found.items() if (why := journal_mismatch(k, j, recorded))}
    if not problems:
        return 0
    for why in problems.values():
        print(f"stack: {why}", file=sys.stderr)
    adopt = adopt or INSTANCE.name != "dev"  # the test suite's instance is disposable
    if adopt and process_states() is None:
        for k in problems:
            if found[k] is not None:
                print(f"stack: shard {k}: its journal moved aside to {_orphan(k)}")
        print(
            "stack: adopting: the exchange starts from an empty journal; the open orders the"
            " databases believed on the old book end canceled (reason exchange_reset)"
        )
        return 0
    print(_MISMATCH_HELP, file=sys.stderr)
    return 1


_MISMATCH_HELP = """
stack: the exchange's journal and the databases do not belong together: trading now would
leave orders waiting forever for a book that does not exist. Choose one:
  make reset          drop this instance's databases, queued messages and var/exchange:
                      a clean start (every user, order and balance is lost)
  make up ADOPT=1     keep the databases; the exchange starts from an empty journal (this
                      checkout's, if any, is moved to var/exchange-orphaned/); the open
                      orders of the old book end canceled (exchange_reset), their
                      reservations released
  or run make up in the checkout whose var/exchange holds the databases' journal.
(stop the stack first, make down, when it is running)"""


def reset() -> int:
    """Drop this instance's databases, empty its vhost, delete its journals. The test
    suite's instance loses its vhost altogether: queues another checkout declared with
    other arguments would refuse this checkout's declarations."""
    if process_states() is not None:
        print("stack: the stack is running: make down first", file=sys.stderr)
        return 1
    names = [s.database for s in SERVICES if s.database and s.first]
    asyncio.run(_drop_databases(names))
    if INSTANCE.name == "dev":
        _purge_queues()
    else:
        _delete_vhost()
    if JOURNALS.exists():
        shutil.rmtree(JOURNALS)
        print(f"stack: deleted {JOURNALS.relative_to(ROOT)}")
    print("stack: reset done: make up starts from scratch")
    return 0


async def _drop_databases(names: Sequence[str]) -> None:
    import asyncpg  # noqa: PLC0415

    dsn = os.environ.get("BOURSE_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    conn = await asyncpg.connect(dsn)
    try:
        for name in names:
            if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
                raise SystemExit(f"stack: invalid database name {name!r}")
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"stack: dropped the database {name}")
    finally:
        await conn.close()


def _delete_vhost() -> None:
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    done = subprocess.run(
        [ctl, "-q", "delete_vhost", INSTANCE.vhost], capture_output=True, text=True, check=False
    )
    if done.returncode == 0:
        print(f"stack: deleted the RabbitMQ vhost {INSTANCE.vhost}")


def _purge_queues() -> None:
    """Empty every queue of the instance's vhost: commands and events of the old world."""
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    listed = subprocess.run(
        [ctl, "-q", "list_queues", "-p", INSTANCE.vhost, "name", "--no-table-headers"],
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        print(f"stack: could not list the queues (purge them by hand): {listed.stderr}")
        return
    for queue in listed.stdout.split():
        subprocess.run([ctl, "-q", "purge_queue", "-p", INSTANCE.vhost, queue], check=False)
    print(f"stack: purged the queues of vhost {INSTANCE.vhost}")


# -- probing -------------------------------------------------------------------------------

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    """(status, start of the body); status 0 and the reason when nothing answered."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with _NO_PROXY.open(request, timeout=timeout) as response:
            return int(response.status), response.read(400).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, exc.read(400).decode(errors="replace")
        finally:
            exc.close()
    except urllib.error.URLError as exc:
        return 0, str(exc.reason)
    except (OSError, http.client.HTTPException) as exc:
        return 0, repr(exc)


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def listener(port: int) -> str:
    """Who listens on ``port`` (from ss, when it is there)."""
    ss = shutil.which("ss")
    if ss is None:
        return "unknown process"
    out = subprocess.run(
        [ss, "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, check=False
    ).stdout
    found = re.findall(r'\("([^"]+)",pid=(\d+)', out)
    return ", ".join(f"{name} (pid {pid})" for name, pid in found) or "unknown process"


@contextlib.contextmanager
def supervisor() -> Iterator[Any]:
    """An XML-RPC proxy to our supervisord (over its unix socket), closed after use."""
    from supervisor.xmlrpc import SupervisorTransport  # noqa: PLC0415 (dev dependency)

    transport = SupervisorTransport(None, None, f"unix://{SUPERVISOR_SOCKET}")
    try:
        yield xmlrpc.client.ServerProxy(f"http://{HOST}", transport=transport)
    finally:
        transport.close()


def process_states() -> dict[str, dict[str, Any]] | None:
    """Supervisor's view of every program, or None when supervisord does not answer."""
    if not SUPERVISOR_SOCKET.exists():
        return None
    try:
        with supervisor() as proxy:
            infos = proxy.supervisor.getAllProcessInfo()
    except (OSError, xmlrpc.client.Error, http.client.HTTPException):
        return None
    return {str(info["name"]): info for info in infos}


def log_tail(name: str, lines: int = 15) -> str:
    path = LOG_DIR / f"{name}.log"
    if not path.exists():
        return "    (no log yet)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join(f"    | {line}" for line in text)


def gateway_probe(ready: set[str], pending: set[str]) -> str | None:
    """What proves that nginx routes to the services: /api/v1/stocks once the stock
    service is ready (None while it is still starting); /healthz when it is absent."""
    if "stock" in ready:
        return f"{API_BASE}/stocks"
    if "stock" in pending:
        return None
    return f"{GATEWAY}/healthz"


def _state_text(info: Mapping[str, Any] | None) -> str:
    if info is None:
        return "not configured"
    text = str(info["statename"])
    if info.get("spawnerr"):
        text += f" ({info['spawnerr']})"
    elif text in ("EXITED", "BACKOFF", "FATAL"):
        text += f" (last exit status {info.get('exitstatus')})"
    return text


def _progress(name: str, info: Mapping[str, Any] | None) -> str:
    text = _state_text(info)
    service = BY_NAME.get(name)
    if service is not None and info is not None and info["statename"] == "RUNNING":
        status, body = http_get(service.readyz)
        text += f", readyz {status}" if status else f", readyz: {body}"
    return text


CRASH_LOOP_PIDS = 3  # a program seen with this many pids while starting is crash-looping


class _Waiter:
    """The state of one ``wait``: which programs are ready, pending or failed, and why."""

    def __init__(self, names: Iterable[str]) -> None:
        self.started = time.monotonic()
        self.pending = set(names)
        self.ready: set[str] = set()
        self.failed: dict[str, str] = {}
        self.pids: dict[str, set[int]] = {n: set() for n in self.pending}

    def probe(self, name: str) -> str | None:
        if name in BY_NAME:
            return BY_NAME[name].readyz
        return gateway_probe(self.ready, self.pending - {name})  # nginx

    def fail(self, name: str, why: str) -> None:
        self.pending.discard(name)
        self.failed[name] = why
        print(f"  FAILED  {name}: {why}", flush=True)

    def try_ready(self, name: str) -> bool:
        url = self.probe(name)
        if url is None or http_get(url)[0] != 200:
            return False
        self.pending.discard(name)
        self.ready.add(name)
        elapsed = time.monotonic() - self.started
        print(f"  ready   {name:<14} {url}  ({elapsed:.1f}s)", flush=True)
        return True

    def step(self, states: Mapping[str, Mapping[str, Any]]) -> None:
        for name in sorted(self.pending, key=lambda n: (n == "nginx", n)):  # nginx last
            info = states.get(name)
            state = str(info["statename"]) if info else "MISSING"
            if info and info.get("pid"):
                self.pids[name].add(int(info["pid"]))
            if state in ("FATAL", "STOPPED", "MISSING"):
                self.fail(name, _state_text(info))
            elif len(self.pids[name]) >= CRASH_LOOP_PIDS:
                # stop it: restarting it forever only burns CPU; make up starts it again
                with contextlib.suppress(OSError, xmlrpc.client.Error), supervisor() as proxy:
                    proxy.supervisor.stopProcess(name)
                restarts = len(self.pids[name]) - 1
                self.fail(name, f"crash loop (exited {restarts} times): stopped it")
            elif state == "RUNNING":
                self.try_ready(name)


def wait(timeout: float) -> int:
    """Wait until every configured program runs and answers; report the ones that do not."""
    states = process_states()
    if states is None:
        print("stack: supervisord is not running (scripts/up.sh starts it)", file=sys.stderr)
        return 1
    waiter = _Waiter(states)
    last_report = waiter.started
    while True:
        states = process_states() or {}
        waiter.step(states)
        now = time.monotonic()
        if not waiter.pending or now - waiter.started > timeout:
            break
        if now - last_report >= 10:
            last_report = now
            waiting = ", ".join(
                f"{n} ({_progress(n, states.get(n))})" for n in sorted(waiter.pending)
            )
            print(f"  waiting for {waiting}", flush=True)
        time.sleep(0.5)

    states = process_states() or {}
    for name in sorted(waiter.pending - {"nginx"}):
        waiter.fail(name, f"not ready after {timeout:.0f}s, {_state_text(states.get(name))}")
    # nginx waits for the stock service to prove routing; without it, nginx's own /healthz.
    if "nginx" in waiter.pending and not waiter.try_ready("nginx"):
        waiter.fail("nginx", f"not ready after {timeout:.0f}s, {_state_text(states.get('nginx'))}")
    for name, why in sorted(waiter.failed.items()):
        print(f"\nstack: {name} is NOT ready: {why}", file=sys.stderr)
        url = waiter.probe(name) or f"{GATEWAY}/healthz"
        status, body = http_get(url)
        answer = f"HTTP {status} {body.strip()[:200]}" if status else body
        print(f"    {url} -> {answer}", file=sys.stderr)
        print(f"    last lines of {LOG_DIR / name}.log:", file=sys.stderr)
        print(log_tail(name), file=sys.stderr)
    if waiter.failed:
        print(
            f"\nstack: {len(waiter.ready)} ready, {len(waiter.failed)} not ready"
            f" ({', '.join(sorted(waiter.failed))}); the ready ones keep running"
            " (make ps, make logs).",
            file=sys.stderr,
        )
        return 1
    return 0


def check() -> bool:
    """Everything configured is running and ready right now (no waiting)."""
    states = process_states()
    if not states or any(i["statename"] != "RUNNING" for i in states.values()):
        return False
    names = [n for n in states if n in BY_NAME]
    if any(http_get(BY_NAME[n].readyz)[0] != 200 for n in names):
        return False
    probe = gateway_probe(set(names), set())
    return probe is not None and http_get(probe)[0] == 200


# -- CPU accounting (benchmarks) ---------------------------------------------------------


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of ``pid``."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def _pids_running(fragment: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if fragment in cmdline.read_bytes().decode(errors="replace"):
                found.append(int(cmdline.parent.name))
    return found


def cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by each service (its replicas and children together), the
    exchange shards, nginx, RabbitMQ and PostgreSQL: where a benchmark's time goes."""
    used: dict[str, float] = {}
    parents = _parents()
    for name, info in (process_states() or {}).items():
        pid = int(info.get("pid") or 0)
        if not pid:
            continue
        group = BY_NAME[name].service if name in BY_NAME else name
        group = "exchange" if group.startswith("exchange") else group
        used[group] = used.get(group, 0.0) + sum(map(_cpu_of, {pid, *_children(pid, parents)}))
    for label, fragment in (("rabbitmq", "beam.smp"), ("postgres", "postgres")):
        used[label] = sum(map(_cpu_of, _pids_running(fragment)))
    return used


# -- rolling restart -------------------------------------------------------------------------


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process, from /proc (one scan)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            found[int(stat.parent.name)] = int(fields[1])
    return found


def _children(pid: int, parents: Mapping[int, int] | None = None) -> set[int]:
    """The child processes of ``pid`` (nginx's workers)."""
    return {child for child, parent in (parents or _parents()).items() if parent == pid}


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def reload_nginx(
    services: Sequence[Service], drained: Iterable[str] = (), timeout: float = 20
) -> None:
    """Re-render nginx.conf and reload it; return once the old workers have exited, i.e.
    every request they were serving is finished (a drained replica gets nothing more)."""
    render_nginx(services, drained)
    states = process_states() or {}
    master = int(states.get("nginx", {}).get("pid") or 0)
    if not master:
        raise SystemExit("stack: nginx is not running")
    old = _children(master)
    with supervisor() as proxy:
        proxy.supervisor.signalProcess("nginx", "HUP")
    deadline = time.monotonic() + timeout
    while any(_alive(pid) for pid in old):
        if time.monotonic() > deadline:
            raise SystemExit(f"stack: nginx's old workers did not exit in {timeout:.0f}s")
        time.sleep(0.1)


def _restart(service: Service, timeout: float) -> None:
    with supervisor() as proxy:
        proxy.supervisor.stopProcess(service.name)  # TERM: finishes what is in flight
        proxy.supervisor.startProcess(service.name)
    deadline = time.monotonic() + timeout
    while http_get(service.readyz)[0] != 200:
        if time.monotonic() > deadline:
            raise SystemExit(f"stack: {service.name} is not ready {timeout:.0f}s after restart")
        time.sleep(0.2)


def rollout(timeout: float = 120) -> int:
    """Zero-downtime rolling restart of the running stack (new code goes live): the
    exchange shards one at a time (their commands wait in the queue meanwhile), then every
    replica one at a time: drained from nginx first, restarted, ready, back in rotation.
    A service's other replica serves all the while. nginx reloads itself last."""
    services = configured()
    for service in services:
        started = time.monotonic()
        if service.public:
            reload_nginx(services, drained=[service.name])
        _restart(service, timeout)
        if service.public:
            reload_nginx(services)
        print(f"  restarted {service.name:<16} ({time.monotonic() - started:.1f}s)", flush=True)
    reload_nginx(services)
    return 0


def configured() -> list[Service]:
    """The services our running supervisord runs (all existing ones when it is down)."""
    states = process_states()
    if states is None:
        return existing()
    return [s for s in SERVICES if s.name in states]


def urls() -> str:
    public = [s for s in configured() if s.public and s.first]
    lines = [
        f"  terminal  {GATEWAY}/",
        f"  API       {API_BASE}",
        *(f"  docs      {GATEWAY}/docs/{s.name}" for s in public),
        f"  status    make ps    (uv run supervisorctl -c {SUPERVISOR_CONF.relative_to(ROOT)}"
        " status)",
        f"  logs      make logs  ({VAR.relative_to(ROOT)}/log/<service>.log)",
        "  stop      make down  (scripts/down.sh)",
    ]
    return "\n".join(lines)


# -- command line --------------------------------------------------------------------------


def _names(values: Sequence[str]) -> set[str]:
    names = {n for v in values for n in re.split(r"[\s,]+", v) if n}
    unknown = names - set(BY_NAME)
    if unknown:
        raise SystemExit(f"stack: unknown service(s): {', '.join(sorted(unknown))}")
    return names


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/stack.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="the services that exist (one name a line)")
    p_list.add_argument("--all", action="store_true", help="every service in the table")
    what = p_list.add_mutually_exclusive_group()
    what.add_argument("--migrations", action="store_true", help="modules with migrations")
    what.add_argument("--databases", action="store_true", help="their database names")
    p_render = sub.add_parser("render", help="write var/nginx and var/supervisor configs")
    p_render.add_argument("--exclude", nargs="*", default=[], help="services not to run")
    sub.add_parser("ports", help="exit 1 (naming the process) when a port of the stack is taken")
    sub.add_parser("running", help="exit 0 when our supervisord answers")
    p_wait = sub.add_parser("wait", help="wait until every program is ready")
    p_wait.add_argument("--timeout", type=float, default=120.0)
    sub.add_parser("check", help="exit 0 when everything is ready right now")
    sub.add_parser("urls", help="where the running stack answers")
    p_rollout = sub.add_parser("rollout", help="zero-downtime rolling restart, one at a time")
    p_rollout.add_argument("--timeout", type=float, default=120.0)
    sub.add_parser("var", help="this instance's directory of generated files and logs")
    sub.add_parser("vhost", help="create this instance's RabbitMQ vhost when absent")
    p_journals = sub.add_parser(
        "journals", help="exit 1 when var/exchange's journals and the databases do not match"
    )
    p_journals.add_argument(
        "--adopt", action="store_true", help="on a mismatch: start from an empty journal"
    )
    sub.add_parser("reset", help="drop the instance's databases, queues' messages, journals")
    p_exec = sub.add_parser("exec", help="run python -m bourse.<module> ARGS as NAME would")
    p_exec.add_argument("name", choices=sorted(BY_NAME))
    p_exec.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    if args.command == "list":
        services = list(SERVICES) if args.all else existing()
        if args.migrations:  # the first replica migrates and declares for all
            lines = [s.name for s in services if s.first and has_migrations(s)]
        elif args.databases:
            lines = [s.database for s in services if s.database and s.first]
        else:
            lines = [s.name for s in services]
        print("\n".join(lines))
        return 0
    if args.command == "render":
        excluded = _names(args.exclude)
        present = existing()
        services = [s for s in present if s.name not in excluded]
        render(services)
        missing = [s.name for s in SERVICES if s not in present]
        written = (p.relative_to(ROOT) for p in (NGINX_CONF, SUPERVISOR_CONF))
        print(f"stack: rendered {', '.join(map(str, written))}")
        print(f"stack: programs: {', '.join(s.name for s in services)}, nginx")
        if missing:
            print(f"stack: not written yet (skipped): {', '.join(missing)}")
        if excluded:
            print(f"stack: excluded: {', '.join(sorted(excluded))}")
        return 0
    if args.command == "ports":
        ports = [(s.name, s.port) for s in existing()] + [("nginx", GATEWAY_PORT)]
        taken = [(name, port) for name, port in ports if port_in_use(port)]
        for name, port in taken:
            print(f"stack: port {port} ({name}) is in use by {listener(port)}", file=sys.stderr)
        return 1 if taken else 0
    if args.command == "running":
        return 0 if process_states() is not None else 1
    if args.command == "wait":
        return wait(args.timeout)
    if args.command == "check":
        return 0 if check() else 1
    if args.command == "urls":
        print(urls())
        return 0
    if args.command == "rollout":
        return rollout(args.timeout)
    if args.command == "var":
        print(VAR)
        return 0
    if args.command == "vhost":
        ensure_vhost()
        return 0
    if args.command == "journals":
        return check_journals(args.adopt)
    if args.command == "reset":
        return reset()
    if args.command == "exec":
        service = BY_NAME[args.name]
        python = str(Path(sys.prefix) / "bin" / "python")
        env = {**os.environ, **service.environment()}
        os.execve(python, [python, "-m", f"bourse.{service.module}", *args.args], env)
    raise AssertionError(args.command)  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
