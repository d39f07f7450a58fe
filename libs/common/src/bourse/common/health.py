"""``/healthz`` (the process is alive) and ``/readyz`` (every dependency answers)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)
ReadinessCheck = Callable[[], Awaitable[None]]


def health_router(checks: dict[str, ReadinessCheck]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", responses={503: {"description": "a dependency is not ready"}})
    async def readyz() -> JSONResponse:
        results = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout=2)
                results[name] = "ok"
            except Exception as exc:
                log.warning("readiness check %s failed: %r", name, exc)
                results[name] = "failed"
        ready = all(v == "ok" for v in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": results},
            status_code=200 if ready else 503,
        )

    return router
