"""The order routes served directly (bourse.common.direct) answer exactly as their
FastAPI declarations do, for success and for each kind of failure, and every one of
them is documented by its declaration."""

import uuid
from typing import Any

import httpx
import pytest

from bourse.common.direct import undocumented
from bourse.order.api.direct import ROUTES
from bourse.testing.auth import TestIssuer
from bourse.testing.direct import both as both_of_app
from bourse.testing.direct import same

from order_support import place

FIELDS_SET_AT_CREATION = ("id", "created_at", "updated_at")
LIMIT_BUY = {
    "symbol": "AAPL", "side": "buy", "type": "limit", "time_in_force": "gtc", "qty": "1",
    "limit_price": "10",
}  # fmt: skip


async def both(
    client: httpx.AsyncClient, method: str, path: str, **kwargs: Any
) -> tuple[httpx.Response, httpx.Response]:
    """The direct route's answer, then the declared route's (``client.app``: conftest)."""
    app = client.app  # type: ignore[attr-defined]
    return await both_of_app(app, client, method, path, **kwargs)


def test_every_direct_route_is_documented(app_client: httpx.AsyncClient) -> None:
    assert undocumented(app_client.app, ROUTES) == []  # type: ignore[attr-defined]


async def test_reading_an_order_answers_as_the_declared_route(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    order = (await place(app_client, issuer, owner)).json()
    path = f"/api/v1/orders/{order['id']}"
    for headers in (
        issuer.headers(owner),  # 200
        issuer.headers(stranger),  # 404: another user's
        {},  # 401: no credentials
        {"Authorization": "Bearer not-a-token"},  # 401: a bad token
        {"Authorization": "Basic dXNlcjpwYXNz"},  # 401: not a bearer token, no key
    ):
        same(*await both(app_client, "GET", path, headers=headers))
    missing = f"/api/v1/orders/{uuid.uuid4()}"
    same(*await both(app_client, "GET", missing, headers=issuer.headers(owner)))


@pytest.mark.parametrize(
    ("body", "extra_headers"),
    [
        (LIMIT_BUY, {}),
        ({**LIMIT_BUY, "qty": "1.5"}, {}),  # off the lot size
        ({**LIMIT_BUY, "symbol": "NOPE"}, {}),
        ({**LIMIT_BUY, "side": "sideways"}, {}),
        ({**LIMIT_BUY, "order_class": "bracket"}, {}),  # a classed order without its legs
        (LIMIT_BUY, {"Idempotency-Key": "k" * 256}),
    ],
)  # fmt: skip
async def test_placing_an_order_answers_as_the_declared_route(
    app_client: httpx.AsyncClient,
    issuer: TestIssuer,
    body: dict[str, Any],
    extra_headers: dict[str, str],
) -> None:
    headers = {**issuer.headers(uuid.uuid4()), **extra_headers}
    direct, declared = await both(app_client, "POST", "/api/v1/orders", json=body, headers=headers)
    same(direct, declared, ignore=FIELDS_SET_AT_CREATION)


async def test_a_replayed_placement_answers_as_the_declared_route(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    """The same client order id, then the same Idempotency-Key: the first order, marked
    as a replay, by either route."""
    headers = issuer.headers(uuid.uuid4())
    body = LIMIT_BUY
    for extra, fields in (({"client_order_id": "again"}, {}), ({}, {"Idempotency-Key": "again"})):
        first = await app_client.post(
            "/api/v1/orders", json={**body, **extra}, headers={**headers, **fields}
        )
        direct, declared = await both(
            app_client,
            "POST",
            "/api/v1/orders",
            json={**body, **extra},
            headers={**headers, **fields},
        )
        same(direct, declared)
        assert first.status_code == 202
        assert direct.json()["id"] == first.json()["id"]
        assert direct.headers.get("idempotent-replay") == "true"


async def test_no_body_and_no_credentials_answer_as_the_declared_route(
    app_client: httpx.AsyncClient,
) -> None:
    same(*await both(app_client, "POST", "/api/v1/orders", content=b"{not json"))
    same(*await both(app_client, "POST", "/api/v1/orders", json={"symbol": "AAPL"}))
    same(*await both(app_client, "POST", "/api/v1/orders", json=LIMIT_BUY))


async def test_other_methods_on_a_direct_path_are_the_declared_routes_business(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    path = f"/api/v1/orders/{uuid.uuid4()}"
    for method in ("PUT", "HEAD"):
        direct, declared = await both(
            app_client, method, path, headers=issuer.headers(uuid.uuid4())
        )
        assert direct.status_code == declared.status_code == 405
        assert direct.headers["allow"] == declared.headers["allow"]
