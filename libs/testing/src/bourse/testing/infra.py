"""The real infrastructure for tests (never mocks): throwaway PostgreSQL databases and
RabbitMQ vhosts, and starting the servers when they are down."""

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg

from bourse.common.db import Database
from bourse.common.migrations import upgrade

PG_ADMIN_DSN = os.environ.get(
    "BOURSE_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
AMQP_HOST = os.environ.get("BOURSE_TEST_AMQP_HOST", "127.0.0.1")


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def ensure_services() -> None:
    """Start PostgreSQL and RabbitMQ when they are not listening (as the scripts do)."""
    subprocess.run([str(_repo_root() / "scripts" / "infra-up.sh")], check=True)


def _repo_root() -> Path:
    here = Path(__file__).resolve()
    return next(p for p in here.parents if (p / "uv.lock").exists())


@contextlib.asynccontextmanager
async def temporary_database(prefix: str) -> AsyncIterator[str]:
    """A fresh database; yields its SQLAlchemy URL and drops it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@contextlib.asynccontextmanager
async def migrated_url(prefix: str, migrations: Path) -> AsyncIterator[str]:
    """A fresh database migrated to the service's head (its Alembic ``migrations``
    folder); yields its SQLAlchemy URL and drops it afterwards."""
    async with temporary_database(prefix) as url:
        await asyncio.to_thread(upgrade, migrations, url)
        yield url


@contextlib.asynccontextmanager
async def migrated_database(
    prefix: str, migrations: Path, pool_size: int = 3
) -> AsyncIterator[Database]:
    """:func:`migrated_url`'s database as a :class:`Database`."""
    async with migrated_url(prefix, migrations) as url:
        database = Database(url, pool_size=pool_size)
        try:
            yield database
        finally:
            await database.dispose()


def _rabbitmqctl(*args: str) -> None:
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([ctl, *args], check=True, capture_output=True, timeout=60)


@contextlib.contextmanager
def temporary_vhost(prefix: str = "bourse_test") -> Iterator[str]:
    """A fresh RabbitMQ vhost (guest has every permission); yields its AMQP URL."""
    vhost = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        yield f"amqp://guest:guest@{AMQP_HOST}:5672/{vhost}"
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            _rabbitmqctl("delete_vhost", vhost)


def restart_broker() -> None:
    """Stop and start the RabbitMQ application (connections drop; durable state stays)."""
    _rabbitmqctl("stop_app")
    _rabbitmqctl("start_app")
    deadline = time.monotonic() + 60
    while not port_open(AMQP_HOST, 5672):
        if time.monotonic() > deadline:
            raise TimeoutError("RabbitMQ did not come back")
        time.sleep(0.2)
