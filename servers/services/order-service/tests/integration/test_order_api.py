"""The orders API on the real app and database: another user's order is a 404, listing
filters and pages, bad orders are 422 problems, numbers are read exactly, no token is
a 401, an Idempotency-Key replays the first answer."""

import uuid

import httpx
import pytest

from bourse.testing.auth import TestIssuer

from order_support import Json, get, place


async def test_another_users_order_is_a_404_everywhere(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    order = (await place(app_client, issuer, owner, client_order_id="mine")).json()
    for method, path in (
        ("GET", f"/api/v1/orders/{order['id']}"),
        ("DELETE", f"/api/v1/orders/{order['id']}"),
        ("GET", f"/api/v1/orders/{order['id']}/fills"),
        ("GET", "/api/v1/orders/by-client-id/mine"),
    ):
        response = await app_client.request(method, path, headers=issuer.headers(stranger))
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found"
    listed = (
        await app_client.get("/api/v1/orders?status=all", headers=issuer.headers(stranger))
    ).json()
    assert listed["items"] == []
    cancelled = (await app_client.delete("/api/v1/orders", headers=issuer.headers(stranger))).json()
    assert cancelled["items"] == []
    assert (await get(app_client, issuer, owner, order["id"]))["status"] == "pending_new"


async def test_listing_filters_and_pages(app_client: httpx.AsyncClient, issuer: TestIssuer) -> None:
    user = uuid.uuid4()
    ids = [(await place(app_client, issuer, user, qty=str(q))).json()["id"] for q in (1, 2, 3)]
    page1 = (
        await app_client.get("/api/v1/orders?status=all&limit=2", headers=issuer.headers(user))
    ).json()
    assert [o["id"] for o in page1["items"]] == ids[::-1][:2]
    page2 = (
        await app_client.get(
            f"/api/v1/orders?status=all&limit=2&after={page1['next']}", headers=issuer.headers(user)
        )
    ).json()
    assert [o["id"] for o in page2["items"]] == [ids[0]] and page2["next"] is None
    closed = (
        await app_client.get("/api/v1/orders?status=closed", headers=issuer.headers(user))
    ).json()
    assert closed["items"] == []
    bad = await app_client.get("/api/v1/orders?after=%%%", headers=issuer.headers(user))
    assert bad.status_code == 422
    mine = await app_client.get(
        "/api/v1/orders?status=all&symbol=aapl", headers=issuer.headers(user)
    )
    assert [o["id"] for o in mine.json()["items"]] == ids[::-1]  # any case, like a body
    for symbol in ("A-B", "X" * 11, "\u0661"):
        response = await app_client.get(
            "/api/v1/orders", params={"symbol": symbol}, headers=issuer.headers(user)
        )
        assert (response.status_code, response.json()["code"]) == (422, "validation_error")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"symbol": "NOPE"}, "unknown_symbol"),
        ({"limit_price": "101.255"}, "invalid_tick_size"),
        ({"symbol": "MSFT", "qty": "15", "limit_price": "10.00"}, "invalid_lot_size"),
        (
            {"type": "market", "limit_price": None, "symbol": "MSFT", "qty": "10"},
            "no_reference_price",
        ),
        ({"qty": "NaN"}, "validation_error"),
        ({"side": "short"}, "validation_error"),
        ({"extra": True}, "validation_error"),
        ({"qty": None, "notional": "100"}, "invalid_order"),
        # Beyond what the type or the instrument can represent: never a 500.
        ({"qty": "1e400"}, "validation_error"),
        ({"qty": "1" * 40}, "validation_error"),
        ({"qty": 10**39}, "validation_error"),
        ({"qty": 1e300}, "validation_error"),
        ({"limit_price": "1e400"}, "validation_error"),
        ({"limit_price": 1e300}, "validation_error"),
        ({"limit_price": "9" * 40}, "validation_error"),
        ({"qty": "10000000000"}, "invalid_qty"),
        ({"limit_price": "99999999999999999999"}, "invalid_price"),
        ({"limit_price": 1e15}, "invalid_price"),
        ({"type": "stop", "limit_price": None, "stop_price": "1" * 20}, "invalid_price"),
        (
            {"type": "market", "limit_price": None, "qty": None, "notional": 1e19},
            "invalid_notional",
        ),
        # Not plain ASCII decimal notation (Decimal() would read every one of them).
        ({"qty": "1_000"}, "validation_error"),
        ({"limit_price": "1_01.25"}, "validation_error"),
        ({"qty": "\u0661\u0660"}, "validation_error"),  # Arabic-Indic 10
        ({"qty": "\uff11\uff10"}, "validation_error"),  # fullwidth 10
        ({"limit_price": "\u0661\u0660\u0661.25"}, "validation_error"),
        ({"qty": " 10"}, "validation_error"),
        ({"qty": "+10"}, "validation_error"),
        ({"qty": "10."}, "validation_error"),
        ({"qty": True}, "validation_error"),
        ({"symbol": "TOOLONGSYMB"}, "validation_error"),
        ({"symbol": "\uff21APL"}, "validation_error"),
    ],
)
async def test_bad_orders_are_422_problems(
    app_client: httpx.AsyncClient, issuer: TestIssuer, body: Json, code: str
) -> None:
    response = await place(app_client, issuer, uuid.uuid4(), **body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_json_numbers_are_read_exactly(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    """A JSON number is a decimal, never a float: 0.1 stays 0.1; an exponent is fine."""
    user = uuid.uuid4()
    content = '{"symbol":"aapl","side":"buy","type":"limit","time_in_force":"gtc",'
    content += '"qty":1e1,"limit_price":101.13}'
    headers = issuer.headers(user) | {"content-type": "application/json"}
    response = await app_client.post("/api/v1/orders", content=content, headers=headers)
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["symbol"], body["qty"], body["limit_price"]) == ("AAPL", "10", "101.13")


async def test_no_token_is_401(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/api/v1/orders")
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"


async def test_an_idempotency_key_replays_the_first_answer(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    user = uuid.uuid4()
    headers = {**issuer.headers(user), "Idempotency-Key": "k-1"}
    body = {
        "symbol": "AAPL",
        "side": "buy",
        "type": "limit",
        "time_in_force": "gtc",
        "qty": "3",
        "limit_price": "99.00",
    }
    first = await app_client.post("/api/v1/orders", json=body, headers=headers)
    again = await app_client.post("/api/v1/orders", json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["idempotent-replay"] == "true"
    listed = (
        await app_client.get("/api/v1/orders?status=all", headers=issuer.headers(user))
    ).json()
    assert [o["id"] for o in listed["items"]] == [first.json()["id"]]

    other = await app_client.post("/api/v1/orders", json={**body, "qty": "4"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    stranger = {**issuer.headers(uuid.uuid4()), "Idempotency-Key": "k-1"}  # keys are per user
    assert (await app_client.post("/api/v1/orders", json=body, headers=stranger)).json()["id"] != (
        first.json()["id"]
    )
