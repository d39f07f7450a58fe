"""The local stack is up and nginx behaves: readiness, routing, problem+json edge errors."""

import re
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

pytestmark = pytest.mark.e2e

PROBLEM_JSON = "application/problem+json"
SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def _assert_secured(response: httpx.Response) -> None:
    for name, value in SECURITY.items():
        assert response.headers.get_list(name) == [value], (response.url, name)


def _assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert {"type", "title", "detail"} <= body.keys()
    assert response.headers.get("x-correlation-id")


async def test_every_existing_service_is_ready(services: list[Any]) -> None:
    assert services, "no service exists"
    async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
        for service in services:
            response = await client.get(service.readyz)
            assert response.status_code == 200, f"{service.name}: {response.text}"


async def test_stocks_through_nginx(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/stocks")
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["items"], list)


async def test_unknown_path_is_a_problem_404(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/nope", headers={"X-Correlation-ID": "e2e-smoke-404"})
    _assert_problem(response, 404, "not_found")
    assert response.headers["x-correlation-id"] == "e2e-smoke-404"


async def test_body_over_64_kib_is_a_problem_413(api: httpx.AsyncClient) -> None:
    body = b'{"email": "big@bourse.dev", "password": "' + b"x" * (65 * 1024) + b'"}'
    response = await api.post(
        "/api/v1/auth/register", content=body, headers={"Content-Type": "application/json"}
    )
    _assert_problem(response, 413, "payload_too_large")


async def test_every_answer_carries_the_edge_headers(api: httpx.AsyncClient) -> None:
    """Errors too; the caller's data (here a 401 of /api/v1/account) is never stored."""
    missing = await api.get("/api/v1/nope")
    _assert_secured(missing)
    private = await api.get("/api/v1/account")
    assert private.status_code == 401, private.text
    _assert_secured(private)
    assert private.headers.get_list("cache-control") == ["no-store"]
    keys = await api.get("/api/v1/auth/jwks")
    assert keys.status_code == 200
    _assert_secured(keys)
    assert "no-store" not in keys.headers.get("cache-control", "")


async def test_docs_come_from_the_stack_itself(api: httpx.AsyncClient, tools: ModuleType) -> None:
    """Each service's Swagger UI through nginx: nothing from another host (no CDN), its
    files and schema answer, and its redirect never names a forged Host."""
    names = [s.name for s in tools.SERVICES if s.public and s.first]
    assert names
    for name in names:
        moved = await api.get(f"/docs/{name}", headers={"Host": "evil.example"})
        assert (moved.status_code, moved.headers["location"]) == (301, f"/docs/{name}/")
        page = await api.get(f"/docs/{name}/")
        assert page.status_code == 200, page.text
        assert not re.search(r"https?://", page.text), name
        found = re.finditer(r"""(?:src|href)="([^"]+)"|url: '([^']+)'""", page.text)
        urls = [m.group(1) or m.group(2) for m in found]
        assert "openapi.json" in urls and len(urls) == 4, urls
        for url in urls:
            asset = await api.get(urljoin(f"/docs/{name}/", url))
            assert asset.status_code == 200, (name, url)


@pytest.mark.fault
async def test_a_service_with_every_replica_down_is_a_problem_502(
    api: httpx.AsyncClient, tools: ModuleType, wait_ready: Callable[..., Awaitable[None]]
) -> None:
    replicas = [s.name for s in tools.SERVICES if s.service == "auto"]
    with tools.supervisor() as proxy:
        for name in replicas:
            proxy.supervisor.stopProcess(name)
    try:
        _assert_problem(await api.get("/api/v1/auto/alerts"), 502, "service_unavailable")
    finally:
        with tools.supervisor() as proxy:
            for name in replicas:
                proxy.supervisor.startProcess(name)
        await wait_ready()
