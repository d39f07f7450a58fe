"""create_app() and its lifespan; nothing else."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from bourse.auth.verify import TokenVerifier, jwks_verifier
from bourse.common.app import create_app as create_service_app
from bourse.common.direct import serve_directly
from bourse.common.listen import Listener
from bourse.messaging.runtime import ServiceRuntime
from bourse.notifications.api import direct, routes, webhook, ws
from bourse.notifications.config import Settings
from bourse.notifications.consumers import retired_queues, subscription
from bourse.notifications.live.feed import on_stored
from bourse.notifications.live.hub import Hub
from bourse.notifications.webhooks.worker import WebhookWorker, new_client

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    """The service; ``verifier`` replaces the one that fetches user-service's JWKS."""
    settings = settings or Settings()
    runtime = ServiceRuntime(
        settings, subscriptions=[subscription(settings)], retired_queues=retired_queues(settings)
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with new_client(settings) as client, runtime.lifespan(app):
            feed = Listener(settings.database_url)
            hub = Hub(runtime.db, settings.ws_queue_size)
            worker = WebhookWorker(runtime.db, settings, client)
            on_stored(feed, hub.on_stored)
            on_stored(feed, worker.wake)
            feed.on_reconnected(hub.on_reconnected)
            app.state.feed, app.state.hub, app.state.webhooks = feed, hub, worker
            runtime.spawn(feed.run, "notification feed")
            runtime.spawn(hub.run, "websocket hub")
            runtime.spawn(worker.run, "webhook worker")
            yield

    app = create_service_app(
        "notifications",
        routers=[routes.router, webhook.router, ws.router],
        lifespan=lifespan,
        readiness=runtime.readiness,
    )
    app.state.settings = settings
    app.state.verifier = verifier or jwks_verifier(settings)
    serve_directly(app, direct.ROUTES)
    return app
