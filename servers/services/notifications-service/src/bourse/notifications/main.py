"""create_app() and its lifespan; nothing else."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from bourse.auth.verify import TokenVerifier, jwks_verifier
from bourse.common.app import create_app as create_service_app
from bourse.messaging.runtime import ServiceRuntime
from bourse.notifications.api import routes, trade_updates, webhook, ws
from bourse.notifications.config import Settings
from bourse.notifications.consumers import subscription, trade_updates_subscription
from bourse.notifications.handlers.trade_updates import run_pruner
from bourse.notifications.live.feed import NotificationFeed
from bourse.notifications.live.hub import Hub
from bourse.notifications.live.trade_updates import TradeUpdatesHub
from bourse.notifications.store.trade_updates import CHANNEL as TRADE_UPDATES
from bourse.notifications.webhooks.worker import WebhookWorker, new_client

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    """The service; ``verifier`` replaces the one that fetches user-service's JWKS."""
    settings = settings or Settings()
    runtime = ServiceRuntime(
        settings, subscriptions=[subscription(settings), trade_updates_subscription(settings)]
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with new_client(settings) as client, runtime.lifespan(app):
            feed = NotificationFeed(settings.database_url)
            hub = Hub(runtime.db, settings.ws_queue_size)
            worker = WebhookWorker(runtime.db, settings, client)
            feed.on_stored(hub.on_stored)
            feed.on_stored(worker.wake)
            feed.on_reconnected(hub.on_reconnected)
            updates = TradeUpdatesHub(runtime.db, settings.trade_updates_queue_size)
            feed.on_channel(TRADE_UPDATES, updates.on_notified)
            feed.on_reconnected(updates.on_reconnected)
            app.state.feed, app.state.hub, app.state.webhooks = feed, hub, worker
            app.state.trade_updates = updates
            runtime.spawn(feed.run, "notification feed")
            runtime.spawn(hub.run, "websocket hub")
            runtime.spawn(worker.run, "webhook worker")
            runtime.spawn(updates.run, "trade updates hub")
            runtime.spawn(lambda: run_pruner(runtime.db, settings), "trade updates pruner")
            yield

    app = create_service_app(
        "notifications",
        routers=[routes.router, webhook.router, ws.router, trade_updates.router],
        lifespan=lifespan,
        readiness=runtime.readiness,
    )
    app.state.settings = settings
    app.state.verifier = verifier or jwks_verifier(settings)
    return app
