"""The command line every service shares: ``python -m bourse.<svc> serve | migrate``.

``serve`` runs the app under uvicorn on the settings' host and port; ``migrate`` upgrades
the service's database to the latest Alembic revision.
"""

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from bourse.common.heap import manage_heap
from bourse.common.logging import configure_logging
from bourse.common.migrations import upgrade
from bourse.common.settings import ServiceSettings


def run_service_cli(
    settings_factory: Callable[[], ServiceSettings],
    app_factory: Callable[[ServiceSettings], FastAPI],
    migrations_dir: Path,
    argv: list[str] | None = None,
) -> int:
    settings = settings_factory()
    parser = argparse.ArgumentParser(prog=f"python -m bourse.{settings.service_name}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API and the message consumers")
    serve.add_argument("--port", type=int, default=settings.port)
    serve.add_argument("--host", default=settings.host)
    sub.add_parser("migrate", help="upgrade the database to the latest revision")
    sub.add_parser("declare", help="declare this service's exchanges and queues, then exit")
    args = parser.parse_args(argv)
    configure_logging(settings.service_name, settings.log_level)
    if args.command == "migrate":
        upgrade(migrations_dir, settings.database_url)
        return 0
    if args.command == "declare":
        asyncio.run(_declare(app_factory(settings)))
        return 0
    settings = settings.model_copy(update={"host": args.host, "port": args.port})
    app = app_factory(settings)
    manage_heap(app, settings.gc_freeze_startup)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        timeout_graceful_shutdown=10,
        ws_per_message_deflate=settings.ws_per_message_deflate,
    )
    return 0


async def _declare(app: FastAPI) -> None:
    from bourse.messaging.runtime import CREATED  # noqa: PLC0415 (common must not need messaging)

    for runtime in CREATED:
        await runtime.declare()
    del app


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run a service: python -m bourse.<service> serve")
