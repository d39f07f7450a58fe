"""create_app() and its lifespan; nothing else."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from bourse.auth.api_keys import KeyVerifier
from bourse.auth.verify import TokenVerifier
from bourse.common.app import create_app as create_service_app
from bourse.common.direct import serve_directly
from bourse.messaging.runtime import ServiceRuntime
from bourse.user import api_keys
from bourse.user.api import api_keys as api_keys_routes
from bourse.user.api import direct
from bourse.user.api.routes import router
from bourse.user.config import Settings
from bourse.user.keys import KeyRing

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            async with runtime.db.transaction() as session:
                keys = await KeyRing.load(session)
            app.state.keys = keys

            async def own_jwks() -> dict[str, Any]:  # no HTTP call to ourselves
                return keys.jwks()

            app.state.verifier = TokenVerifier(
                own_jwks,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                api_keys=KeyVerifier(api_keys.in_process_lookup(runtime.db, settings)),
            )
            yield

    app = create_service_app(
        "user",
        routers=[router, api_keys_routes.router, api_keys_routes.internal],
        lifespan=lifespan,
        readiness=runtime.readiness,
    )
    app.state.settings = settings
    serve_directly(app, direct.ROUTES)
    return app
