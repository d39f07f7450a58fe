"""``python -m bourse.exchange_server serve|declare [--shard K]``.

``serve`` runs one shard (health and metrics on 8100 + shard unless ``--port``);
``declare`` declares its exchanges and command queue, then exits.
"""

import argparse
import asyncio
import sys

import uvicorn

from bourse.common.heap import manage_heap
from bourse.common.logging import configure_logging
from bourse.exchange_server.config import Settings
from bourse.exchange_server.main import create_app
from bourse.exchange_server.server import declare


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bourse.exchange_server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run one shard: recover, consume, match, publish")
    serve.add_argument("--host", help="HTTP host for health and metrics")
    serve.add_argument("--port", type=int, help="HTTP port (default: 8100 + shard)")
    declare_cmd = sub.add_parser("declare", help="declare the shard's queue, then exit")
    for command in (serve, declare_cmd):
        command.add_argument("--shard", type=int, help="the shard (default: from settings)")
    args = parser.parse_args(argv)
    overrides = {
        name: value
        for name in ("shard", "host", "port")
        if (value := getattr(args, name, None)) is not None
    }
    settings = Settings(**overrides)
    configure_logging(settings.service_name, settings.log_level)
    if args.command == "declare":
        asyncio.run(declare(settings))
        return 0
    app = create_app(settings, exit_on_failure=True)
    manage_heap(app, settings.gc_freeze_startup)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=15,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
