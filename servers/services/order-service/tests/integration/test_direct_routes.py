"""The order routes served directly (bourse.common.direct) answer exactly as their
FastAPI declarations do, for success and for each kind of failure, and every one of
them is documented by its declaration."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from bourse.common.direct import undocumented
from bourse.common.pagination import encode_cursor
from bourse.order.api.direct import ROUTES
from bourse.order.db import orders
from bourse.testing.auth import TestIssuer
from bourse.testing.direct import both as both_of_app
from bourse.testing.direct import same

from order_support import place

ORDERS = "/api/v1/orders"
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


async def end(client: httpx.AsyncClient, order_id: str, status: str) -> None:
    """The order ends, as the exchange's report would end it (straight in the table)."""
    db = client.app.state.runtime.db  # type: ignore[attr-defined]
    async with db.transaction() as session:
        await session.execute(
            update(orders).where(orders.c.id == uuid.UUID(order_id)).values(status=status)
        )


async def listed(client: httpx.AsyncClient, query: str, headers: dict[str, str]) -> list[str]:
    """The ids a list shows, once both routes have answered it alike."""
    direct, declared = await both(client, "GET", f"{ORDERS}?{query}", headers=headers)
    same(direct, declared)
    assert direct.status_code == 200
    return [order["id"] for order in direct.json()["items"]]


async def test_listing_orders_answers_as_the_declared_route(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    aapl = [(await place(app_client, issuer, owner, qty=str(q))).json()["id"] for q in (1, 2, 3)]
    msft = (await place(app_client, issuer, owner, symbol="MSFT", qty="10")).json()["id"]
    oco = (
        await place(
            app_client, issuer, owner, side="sell", order_class="oco", limit_price="110",
            qty="5", take_profit={"limit_price": "110"},
            stop_loss={"stop_price": "90", "limit_price": "89"},
        )
    ).json()  # fmt: skip
    [stop] = [leg["id"] for leg in oco["legs"]]
    await end(app_client, aapl[0], "filled")
    await end(app_client, msft, "canceled")
    theirs = (await place(app_client, issuer, stranger)).json()["id"]
    headers = issuer.headers(owner)

    every = [stop, oco["id"], msft, *aapl[::-1]]  # newest first
    assert await listed(app_client, "status=all", headers) == every
    assert await listed(app_client, "", headers) == [stop, oco["id"], aapl[2], aapl[1]]
    assert await listed(app_client, "status=open", headers) == [stop, oco["id"], aapl[2], aapl[1]]
    assert await listed(app_client, "status=closed", headers) == [msft, aapl[0]]
    assert await listed(app_client, "status=all&symbol=msft", headers) == [msft]
    assert await listed(app_client, "status=closed&symbol=AAPL", headers) == [aapl[0]]
    assert await listed(app_client, "status=closed&status=all&limit=500", headers) == every
    assert await listed(app_client, "status=all&after=", headers) == every  # no cursor
    assert await listed(app_client, "status=all", issuer.headers(stranger)) == [theirs]

    pages: list[list[str]] = []
    query = "status=all&limit=2"
    while True:
        direct, declared = await both(app_client, "GET", f"{ORDERS}?{query}", headers=headers)
        same(direct, declared)
        pages.append([order["id"] for order in direct.json()["items"]])
        if direct.json()["next"] is None:
            break
        query = f"status=all&limit=2&after={direct.json()['next']}"
    assert pages == [every[0:2], every[2:4], every[4:6]]


@pytest.mark.parametrize(
    "query",
    [
        "status=pending",
        "status=",
        "status=all&status=OPEN",  # the last of a repeated name
        "limit=0",
        "limit=501",
        "limit=ten",
        "limit=",
        "after=%%%",
        f"after={encode_cursor('not an order id')}",
        f"after={'A' * 201}",
        "symbol=A-B",
        "symbol=",
        "status=none&symbol=1X&limit=-1&after=" + "A" * 201,  # every error, in their order
    ],
)
async def test_a_bad_query_answers_as_the_declared_route(
    app_client: httpx.AsyncClient, issuer: TestIssuer, query: str
) -> None:
    headers = issuer.headers(uuid.uuid4())
    direct, declared = await both(app_client, "GET", f"{ORDERS}?{query}", headers=headers)
    same(direct, declared)
    assert direct.status_code == 422


async def test_listing_without_credentials_answers_as_the_declared_route(
    app_client: httpx.AsyncClient,
) -> None:
    for query in ("", "?status=none&limit=0"):  # the caller is checked before the query
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            direct, declared = await both(app_client, "GET", ORDERS + query, headers=headers)
            same(direct, declared)
            assert direct.status_code == 401


async def test_other_methods_on_the_list_path_are_the_declared_routes_business(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    user = uuid.uuid4()
    order = (await place(app_client, issuer, user)).json()
    canceled = await app_client.delete(ORDERS, headers=issuer.headers(user))
    assert canceled.status_code == 202
    assert [o["id"] for o in canceled.json()["items"]] == [order["id"]]
    same(*await both(app_client, "DELETE", ORDERS, headers=issuer.headers(uuid.uuid4())))
    for method in ("PUT", "HEAD"):
        direct, declared = await both(
            app_client, method, ORDERS, headers=issuer.headers(uuid.uuid4())
        )
        assert direct.status_code == declared.status_code == 405
        assert direct.headers["allow"] == declared.headers["allow"]
