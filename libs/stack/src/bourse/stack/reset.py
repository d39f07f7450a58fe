"""An instance's RabbitMQ vhost, and ``reset``: the instance back to nothing (its
databases dropped, its queues emptied or its vhost deleted, its journals deleted)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence

from bourse.stack.instance import INSTANCE, ROOT
from bourse.stack.journals import JOURNALS
from bourse.stack.probes import process_states
from bourse.stack.services import SERVICES


def _rabbitmqctl(*args: str) -> subprocess.CompletedProcess[str]:
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    return subprocess.run([ctl, "-q", *args], capture_output=True, text=True, check=False)


def ensure_vhost() -> None:
    """The instance's vhost, with every permission for guest (the default vhost exists)."""
    if INSTANCE.vhost == "/":
        return

    def run(*args: str) -> str:
        done = _rabbitmqctl(*args)
        if done.returncode != 0:
            raise SystemExit(f"stack: rabbitmqctl {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    if INSTANCE.vhost not in run("list_vhosts", "--no-table-headers").split():
        run("add_vhost", INSTANCE.vhost)
        print(f"stack: created the RabbitMQ vhost {INSTANCE.vhost}")
    run("set_permissions", "-p", INSTANCE.vhost, "guest", ".*", ".*", ".*")


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
    if _rabbitmqctl("delete_vhost", INSTANCE.vhost).returncode == 0:
        print(f"stack: deleted the RabbitMQ vhost {INSTANCE.vhost}")


def _purge_queues() -> None:
    """Empty every queue of the instance's vhost: commands and events of the old world."""
    listed = _rabbitmqctl("list_queues", "-p", INSTANCE.vhost, "name", "--no-table-headers")
    if listed.returncode != 0:
        print(f"stack: could not list the queues (purge them by hand): {listed.stderr}")
        return
    for queue in listed.stdout.split():
        _rabbitmqctl("purge_queue", "-p", INSTANCE.vhost, queue)
    print(f"stack: purged the queues of vhost {INSTANCE.vhost}")
