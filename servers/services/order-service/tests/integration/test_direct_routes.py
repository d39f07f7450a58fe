"""The order routes served directly (bourse.common.direct) answer exactly as their
FastAPI declarations do, for success and for each kind of failure, and every one of
them is documented by its declaration."""

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from bourse.common.direct import undocumented
from bourse.common.pagination import encode_cursor
from bourse.contracts.events import EngineEvent
from bourse.messaging.broker import Broker
from bourse.order.api.direct import ROUTES
from bourse.order.db import orders
from bourse.testing.auth import TestIssuer
from bourse.testing.direct import both as both_of_app
from bourse.testing.direct import same, same_answer
from bourse.testing.polling import eventually

from order_support import engine_id, place, report

ORDERS = "/api/v1/orders"
FILLS = "/api/v1/fills"
FIELDS_SET_AT_CREATION = ("id", "created_at", "updated_at")
LIMIT_BUY = {
    "symbol": "AAPL", "side": "buy", "type": "limit", "time_in_force": "gtc", "qty": "1",
    "limit_price": "10",
}  # fmt: skip


def app_of(client: httpx.AsyncClient) -> FastAPI:
    app: FastAPI = client.app  # type: ignore[attr-defined]  # conftest hangs it there
    return app


async def both(
    client: httpx.AsyncClient, method: str, path: str, **kwargs: Any
) -> tuple[httpx.Response, httpx.Response]:
    """The direct route's answer, then the declared route's."""
    return await both_of_app(app_of(client), client, method, path, **kwargs)


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
    direct = await same_answer(
        app_of(client), client, "GET", f"{ORDERS}?{query}", headers=headers, status=200
    )
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


BAD_ORDER_QUERIES = [
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
]
BAD_FILL_QUERIES = [
    "limit=0",
    "limit=501",
    "limit=ten",
    "limit=",
    "limit=1&limit=0",  # the last of a repeated name
    "after=%%%",
    f"after={encode_cursor('not a fill id')}",
    f"after={'A' * 201}",
    "limit=-1&after=" + "A" * 201,  # every error, in their order
]


@pytest.mark.parametrize(
    "path",
    [f"{ORDERS}?{query}" for query in BAD_ORDER_QUERIES]
    + [f"{FILLS}?{query}" for query in BAD_FILL_QUERIES],
)
async def test_a_bad_query_answers_as_the_declared_route(
    app_client: httpx.AsyncClient, issuer: TestIssuer, path: str
) -> None:
    headers = issuer.headers(uuid.uuid4())
    await same_answer(app_of(app_client), app_client, "GET", path, headers=headers, status=422)


async def test_listing_without_credentials_answers_as_the_declared_route(
    app_client: httpx.AsyncClient,
) -> None:
    for query in ("", "?status=none&limit=0"):  # the caller is checked before the query
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            await same_answer(
                app_of(app_client), app_client, "GET", ORDERS + query, headers=headers, status=401
            )


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


async def traded(client: httpx.AsyncClient, broker: Broker, *trades: tuple[str, str, int]) -> None:
    """Each (taker, maker, qty) of these orders trades at 101.25, in one execution report
    of the exchange's; back once both fills of every trade are written."""
    engine = {
        order_id: await engine_id(client, order_id) for trade in trades for order_id in trade[:2]
    }
    events = [
        EngineEvent(type="trade", taker=engine[taker], maker=engine[maker], price=10125, qty=qty)
        for taker, maker, qty in trades
    ]
    await report(broker, "AAPL", *events, seq=70_000)
    ids = [uuid.UUID(order_id) for order_id in engine]

    async def written() -> bool:
        async with client.app.state.runtime.db.connection() as pg:  # type: ignore[attr-defined]
            found = await pg.fetchval("SELECT count(*) FROM fills WHERE order_id = ANY($1)", ids)
        return bool(found == 2 * len(trades))

    assert await eventually(written)


async def shown(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> list[Any]:
    """The fills a page shows, once both routes have answered it alike."""
    direct = await same_answer(app_of(client), client, "GET", path, headers=headers, status=200)
    fills: list[Any] = direct.json()["items"]
    return fills


async def test_fills_answer_as_the_declared_routes(
    app_client: httpx.AsyncClient, issuer: TestIssuer, broker: Broker
) -> None:
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    a, b, c, unfilled = [(await place(app_client, issuer, owner)).json()["id"] for _ in range(4)]
    theirs = (await place(app_client, issuer, stranger, side="sell")).json()["id"]
    await traded(app_client, broker, (theirs, a, 2), (theirs, b, 1), (theirs, a, 1), (theirs, c, 3))
    headers = issuer.headers(owner)

    every = await shown(app_client, FILLS, headers)
    assert [fill["order_id"] for fill in every] == [c, a, b, a]  # newest first
    assert [fill["qty"] for fill in every] == ["3", "1", "1", "2"]
    assert await shown(app_client, f"{FILLS}?limit=500&after=", headers) == every  # no cursor
    assert await shown(app_client, f"{FILLS}?limit=1&limit=3", headers) == every[:3]
    lowest, highest = (encode_cursor(str(uuid.UUID(int=n))) for n in (0, 2**128 - 1))
    assert await shown(app_client, f"{FILLS}?after={lowest}", headers) == []  # of no fill
    assert await shown(app_client, f"{FILLS}?after={highest}", headers) == every
    for limit in (1, 2, 3):
        pages: list[list[Any]] = []
        query = f"limit={limit}"
        while True:
            direct, declared = await both(app_client, "GET", f"{FILLS}?{query}", headers=headers)
            same(direct, declared)
            pages.append(direct.json()["items"])
            if direct.json()["next"] is None:
                break
            query = f"limit={limit}&after={direct.json()['next']}"
        assert pages == [every[i : i + limit] for i in range(0, len(every), limit)]
    their_fills = await shown(app_client, FILLS, issuer.headers(stranger))
    assert [fill["order_id"] for fill in their_fills] == [theirs] * 4  # not the owner's
    assert await shown(app_client, FILLS, issuer.headers(uuid.uuid4())) == []

    of_a = await shown(app_client, f"{ORDERS}/{a}/fills", headers)
    assert of_a == [every[3], every[1]]  # oldest first
    assert await shown(app_client, f"{ORDERS}/{unfilled}/fills", headers) == []
    assert await shown(app_client, f"{ORDERS}/{a.upper()}/fills", headers) == of_a
    assert await shown(app_client, f"{ORDERS}/{a.replace('-', '')}/fills", headers) == of_a
    mine = await shown(app_client, f"{ORDERS}/{theirs}/fills", issuer.headers(stranger))
    assert sorted(fill["id"] for fill in mine) == sorted(fill["id"] for fill in their_fills)
    for path in (f"{ORDERS}/{theirs}/fills", f"{ORDERS}/{uuid.uuid4()}/fills"):
        direct, declared = await both(app_client, "GET", path, headers=headers)
        same(direct, declared)
        assert direct.status_code == 404  # another user's order, like a missing one


SOME_ID = str(uuid.uuid4())


@pytest.mark.parametrize("under", ["", "/fills"])
@pytest.mark.parametrize(
    "order_id",
    [
        "not-an-order-id",
        "by-client-id",  # /orders/by-client-id/{client_order_id}, for /fills
        SOME_ID[:-1],
        f"{SOME_ID}0",
        SOME_ID.replace("-", "", 1),  # Starlette's uuid convertor takes it, FastAPI does not
        SOME_ID[:23] + SOME_ID[24:],
    ],
)
async def test_an_order_id_that_is_no_uuid_answers_as_the_declared_routes(
    app_client: httpx.AsyncClient, issuer: TestIssuer, order_id: str, under: str
) -> None:
    path = f"{ORDERS}/{order_id}{under}"
    for headers in (issuer.headers(uuid.uuid4()), {}):  # the caller first, then the path
        direct, declared = await both(app_client, "GET", path, headers=headers)
        same(direct, declared)
        assert direct.status_code in (401, 404, 422)


async def test_fills_without_credentials_answer_as_the_declared_routes(
    app_client: httpx.AsyncClient,
) -> None:
    paths = (
        FILLS,
        f"{FILLS}?limit=0",  # the caller is checked before the query
        f"{ORDERS}/{uuid.uuid4()}/fills",
    )
    for path in paths:
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            await same_answer(
                app_of(app_client), app_client, "GET", path, headers=headers, status=401
            )


@pytest.mark.parametrize("path", [FILLS, f"{ORDERS}/{uuid.uuid4()}/fills"])
async def test_other_methods_on_the_fills_paths_are_the_declared_routes_business(
    app_client: httpx.AsyncClient, issuer: TestIssuer, path: str
) -> None:
    for method in ("POST", "PUT", "DELETE", "HEAD"):
        direct, declared = await both(
            app_client, method, path, headers=issuer.headers(uuid.uuid4())
        )
        assert direct.status_code == declared.status_code == 405
        assert direct.headers["allow"] == declared.headers["allow"] == "GET"
