"""create_app() and its lifespan; nothing else. No public API: health, readiness, metrics."""

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from bourse.common.app import create_app as create_service_app
from bourse.exchange_server.config import Settings
from bourse.exchange_server.server import ExchangeServer

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, exit_on_failure: bool = False) -> FastAPI:
    """``exit_on_failure``: a failed start (or a crashed loop) stops the process, for a
    supervisor to restart it; tests keep the process and see /readyz fail instead."""
    settings = settings or Settings()
    server = ExchangeServer(settings)

    def failed(task: asyncio.Task[Any]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        log.critical("exchange shard %d failed", settings.shard, exc_info=task.exception())
        if exit_on_failure:
            os.kill(os.getpid(), signal.SIGTERM)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.server = server
        # Recovery may take a while: serve /healthz meanwhile, /readyz says when it is done.
        starting = asyncio.create_task(server.start(), name="exchange start")
        starting.add_done_callback(failed)
        server.on_loop_done(failed)
        try:
            yield
        finally:
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            await server.stop()

    app = create_service_app(
        "exchange",
        lifespan=lifespan,
        readiness={"recovery": server.check_ready, "broker": server.broker.ping},
    )
    app.state.settings = settings
    return app
