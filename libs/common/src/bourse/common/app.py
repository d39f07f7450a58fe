"""The FastAPI app factory every service uses: problem+json errors, correlation ids,
metrics, ``/healthz``, ``/readyz``, ``/metrics``; the service adds routers and a lifespan."""

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bourse.common import context
from bourse.common.errors import install_problem_handlers
from bourse.common.health import ReadinessCheck, health_router
from bourse.common.metrics import MetricsMiddleware, metrics_endpoint

CORRELATION_HEADER = "x-correlation-id"
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


class CorrelationMiddleware:
    """Takes ``X-Correlation-ID`` (or makes one), exposes it to logs and outgoing messages
    through a context variable, and echoes it in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        raw = headers.get(CORRELATION_HEADER.encode(), b"")[:100].decode("latin-1")
        cid = raw if raw.isprintable() and raw else str(uuid.uuid4())
        token = context.correlation_id.set(cid)

        async def add_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"].append((CORRELATION_HEADER.encode(), cid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, add_header)
        finally:
            context.correlation_id.reset(token)


@asynccontextmanager
async def _no_lifespan(_app: FastAPI) -> AsyncIterator[None]:
    yield


def create_app(
    service: str,
    *,
    routers: Sequence[APIRouter] = (),
    lifespan: Lifespan | None = None,
    readiness: dict[str, ReadinessCheck] | None = None,
    version: str = "0.1.0",
) -> FastAPI:
    app = FastAPI(
        title=f"Bourse {service}",
        version=version,
        lifespan=lifespan or _no_lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    install_problem_handlers(app)
    app.include_router(health_router(readiness or {}))
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    for router in routers:
        app.include_router(router)
    app.add_middleware(MetricsMiddleware, service=service)
    app.add_middleware(CorrelationMiddleware)
    return app
