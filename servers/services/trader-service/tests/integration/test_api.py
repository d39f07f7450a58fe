"""/api/v1/account through HTTP with real access tokens (API.md, Trading account)."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from bourse.auth.signing import SigningKey, issue_access_token
from bourse.common.db import Database
from bourse.trader.config import Settings

from trader_support import Headers, deliver, instrument, risk

Json = dict[str, Any]


def problem(response: httpx.Response, status: int, code: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert body["code"] == code and body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body


async def account(client: httpx.AsyncClient, headers: dict[str, str]) -> Json:
    response = await client.get("/api/v1/account", headers=headers)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def post(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], body: Any, key: str = ""
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return await client.post(f"/api/v1/account/{path}", headers=headers | extra, json=body)


@pytest.fixture
def me(headers_for: Headers) -> tuple[uuid.UUID, dict[str, str]]:
    user_id = uuid.uuid4()
    return user_id, headers_for(user_id)


async def test_a_new_user_has_an_empty_account(
    client: httpx.AsyncClient, me: tuple[uuid.UUID, dict[str, str]]
) -> None:
    user_id, headers = me
    assert await account(client, headers) == {
        "user_id": str(user_id),
        "currency": "USD",
        "cash": "0",
        "reserved_cash": "0",
        "buying_power": "0",
        "holdings": [],
    }


async def test_deposit_then_withdraw(
    client: httpx.AsyncClient, me: tuple[uuid.UUID, dict[str, str]]
) -> None:
    _, headers = me
    deposit = await post(client, "deposits", headers, {"amount": "1000.50"})
    assert deposit.status_code == 201, deposit.text
    body = deposit.json()
    assert set(body) == {"id", "amount", "status", "created_at"}
    assert (body["amount"], body["status"]) == ("1000.5", "completed")
    withdrawal = await post(client, "withdrawals", headers, {"amount": 250})
    assert withdrawal.status_code == 201, withdrawal.text
    assert withdrawal.json()["amount"] == "250"
    state = await account(client, headers)
    assert (state["cash"], state["reserved_cash"], state["buying_power"]) == (
        "750.5",
        "0",
        "750.5",
    )


async def test_withdrawing_more_than_buying_power_is_insufficient_funds(
    client: httpx.AsyncClient, me: tuple[uuid.UUID, dict[str, str]], app_db: Database
) -> None:
    user_id, headers = me
    await post(client, "deposits", headers, {"amount": "100"})
    await deliver(app_db, risk(user_id, "buy", cash="70"))  # an open order holds 70
    body = problem(
        await post(client, "withdrawals", headers, {"amount": "30.01"}), 422, "insufficient_funds"
    )
    assert "30" in body["detail"]
    assert (await post(client, "withdrawals", headers, {"amount": "30"})).status_code == 201
    state = await account(client, headers)
    assert (state["cash"], state["reserved_cash"], state["buying_power"]) == ("70", "70", "0")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"amount": "0"}, "invalid_amount"),
        ({"amount": "-5"}, "invalid_amount"),
        ({"amount": "1.001"}, "invalid_amount"),
        ({"amount": 1.005}, "invalid_amount"),
        ({"amount": "1000000000.01"}, "invalid_amount"),
        ({"amount": 1e300}, "validation_error"),  # beyond any decimal a request may carry
        ({"amount": "1_000"}, "validation_error"),
        ({"amount": "\u0661\u0660"}, "validation_error"),  # Arabic-Indic 10
        ({"amount": "\uff11\uff10"}, "validation_error"),  # fullwidth 10
        ({"amount": "1" * 40}, "validation_error"),
        ({"amount": "abc"}, "validation_error"),
        ({"amount": "1e3"}, "validation_error"),
        ({"amount": " 10"}, "validation_error"),
        ({"amount": "NaN"}, "validation_error"),
        ({"amount": True}, "validation_error"),
        ({"amount": None}, "validation_error"),
        ({"amount": [1]}, "validation_error"),
        ({}, "validation_error"),
        ({"amount": "10", "currency": "USD"}, "validation_error"),
        ([], "validation_error"),
        ("10", "validation_error"),
    ],
)
async def test_bad_amounts_are_422_problems(
    client: httpx.AsyncClient, me: tuple[uuid.UUID, dict[str, str]], body: Any, code: str
) -> None:
    _, headers = me
    for path in ("deposits", "withdrawals"):
        problem(await post(client, path, headers, body), 422, code)
    assert (await account(client, headers))["cash"] == "0"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"amount": NaN}', "validation_error"),
        (b'{"amount": Infinity}', "validation_error"),
        (b'{"amount": 1', "validation_error"),
        (b"", "validation_error"),
        (b"\xff\xfe", "validation_error"),
        # Read through a float this would be 0.1, a valid amount: read exactly, it has
        # more decimal places than any request decimal may have.
        (b'{"amount": 0.1000000000000000055511151231257827}', "validation_error"),
        (b'{"amount": 0.101}', "invalid_amount"),
    ],
)
async def test_malformed_or_inexact_json_is_refused(
    client: httpx.AsyncClient, me: tuple[uuid.UUID, dict[str, str]], raw: bytes, code: str
) -> None:
    _, headers = me
    response = await client.post(
        "/api/v1/account/deposits",
        headers=headers | {"Content-Type": "application/json"},
        content=raw,
    )
    problem(response, 422, code)
    assert (await account(client, headers))["cash"] == "0"


async def test_json_numbers_are_read_exactly(
    client: httpx.AsyncClient, me: tuple[uuid.UUID, dict[str, str]]
) -> None:
    _, headers = me
    response = await client.post(
        "/api/v1/account/deposits", headers=headers, content=b'{"amount": 999999999.99}'
    )
    assert response.json()["amount"] == "999999999.99"


async def test_an_idempotency_key_replays_the_first_answer(
    client: httpx.AsyncClient, me: tuple[uuid.UUID, dict[str, str]]
) -> None:
    _, headers = me
    first = await post(client, "deposits", headers, {"amount": "10"}, key="dep-1")
    again = await post(client, "deposits", headers, {"amount": "10"}, key="dep-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert (await account(client, headers))["cash"] == "10"
    other_body = await post(client, "deposits", headers, {"amount": "11"}, key="dep-1")
    problem(other_body, 422, "idempotency_key_reused")
    other_route = await post(client, "withdrawals", headers, {"amount": "10"}, key="dep-1")
    problem(other_route, 422, "idempotency_key_reused")
    withdrawal = await post(client, "withdrawals", headers, {"amount": "4"}, key="wd-1")
    assert (await post(client, "withdrawals", headers, {"amount": "4"}, key="wd-1")).json() == (
        withdrawal.json()
    )
    assert (await account(client, headers))["cash"] == "6"


async def test_idempotency_keys_belong_to_their_user(
    client: httpx.AsyncClient, headers_for: Headers
) -> None:
    alice, bob = headers_for(uuid.uuid4()), headers_for(uuid.uuid4())
    a = await post(client, "deposits", alice, {"amount": "5"}, key="same-key")
    b = await post(client, "deposits", bob, {"amount": "5"}, key="same-key")
    assert a.json()["id"] != b.json()["id"]
    assert (await account(client, bob))["cash"] == "5"


async def test_a_failed_request_does_not_spend_its_key(
    client: httpx.AsyncClient, me: tuple[uuid.UUID, dict[str, str]]
) -> None:
    _, headers = me
    problem(
        await post(client, "withdrawals", headers, {"amount": "5"}, key="k"),
        422,
        "insufficient_funds",
    )
    await post(client, "deposits", headers, {"amount": "5"})
    assert (await post(client, "withdrawals", headers, {"amount": "5"}, key="k")).is_success


async def test_another_users_data_is_never_visible(
    client: httpx.AsyncClient, headers_for: Headers
) -> None:
    alice_id = uuid.uuid4()
    alice, bob = headers_for(alice_id), headers_for(uuid.uuid4())
    await post(client, "deposits", alice, {"amount": "500"})
    assert (await account(client, bob))["cash"] == "0"
    bobs = await client.get("/api/v1/account/activities", headers=bob)
    assert bobs.json() == {"items": [], "next": None}
    alices = await client.get("/api/v1/account/activities", headers=alice)
    assert [item["amount"] for item in alices.json()["items"]] == ["500"]
    # A user id smuggled into the query or body is ignored / refused.
    spoof = await client.get(f"/api/v1/account?user_id={alice_id}", headers=bob)
    assert spoof.json()["cash"] == "0"
    body = {"amount": "1", "user_id": str(alice_id)}
    problem(await post(client, "withdrawals", bob, body), 422, "validation_error")


async def test_activities_are_newest_first_with_a_cursor(
    client: httpx.AsyncClient, me: tuple[uuid.UUID, dict[str, str]]
) -> None:
    _, headers = me
    for amount in ("1", "2", "3"):
        await post(client, "deposits", headers, {"amount": amount})
    await post(client, "withdrawals", headers, {"amount": "1.5"})
    url = "/api/v1/account/activities"
    first = (await client.get(url, params={"limit": 3}, headers=headers)).json()
    assert [(i["type"], i["amount"]) for i in first["items"]] == [
        ("withdrawal", "-1.5"),
        ("deposit", "3"),
        ("deposit", "2"),
    ]
    assert set(first["items"][0]) == {
        "id",
        "type",
        "amount",
        "symbol",
        "qty",
        "price",
        "side",
        "order_id",
        "created_at",
    }
    rest = (await client.get(url, params={"after": first["next"]}, headers=headers)).json()
    assert [i["amount"] for i in rest["items"]] == ["1"] and rest["next"] is None
    problem(
        await client.get(url, params={"after": "bm9wZQ"}, headers=headers), 422, "invalid_cursor"
    )
    problem(await client.get(url, params={"after": "%%%"}, headers=headers), 422, "invalid_cursor")
    problem(await client.get(url, params={"limit": 0}, headers=headers), 422, "validation_error")
    problem(await client.get(url, params={"limit": 501}, headers=headers), 422, "validation_error")


async def test_securities_deposits(
    client: httpx.AsyncClient, me: tuple[uuid.UUID, dict[str, str]], app_db: Database
) -> None:
    _, headers = me
    symbol = f"S{uuid.uuid4().hex[:5].upper()}"
    await deliver(app_db, instrument(symbol, lot_size="10"))
    problem(
        await post(client, "securities-deposits", headers, {"symbol": "NOPE", "qty": "10"}),
        422,
        "unknown_symbol",
    )
    for qty in ("15", "0", "-10", "10.5"):
        body = {"symbol": symbol, "qty": qty}
        problem(await post(client, "securities-deposits", headers, body), 422, "invalid_lot_size")
    for bad in (
        {"symbol": "", "qty": "10"},
        {"symbol": "A-B", "qty": "10"},
        {"symbol": "TOOLONGSYMB", "qty": "10"},
        {"symbol": symbol, "qty": "1_0"},
        {"symbol": symbol, "qty": "\u0661\u0660"},
        {"symbol": symbol, "qty": 1e300},
    ):
        problem(await post(client, "securities-deposits", headers, bad), 422, "validation_error")
    problem(
        await post(client, "securities-deposits", headers, {"symbol": symbol, "qty": "1" * 20}),
        422,
        "invalid_qty",
    )
    done = await post(
        client, "securities-deposits", headers, {"symbol": symbol.lower(), "qty": 30}, key="sd"
    )
    assert done.status_code == 201, done.text
    body = done.json()
    assert set(body) == {"id", "symbol", "qty", "status", "created_at"}
    assert (body["symbol"], body["qty"], body["status"]) == (symbol, "30", "completed")
    replay = await post(
        client, "securities-deposits", headers, {"symbol": symbol.lower(), "qty": 30}, key="sd"
    )
    assert replay.json() == body
    assert (await account(client, headers))["holdings"] == [
        {"symbol": symbol, "qty": "30", "reserved_qty": "0", "available_qty": "30"}
    ]


async def test_held_shares_are_not_available(
    client: httpx.AsyncClient,
    headers_for: Headers,
    app_db: Database,
) -> None:
    user_id = uuid.uuid4()
    headers = headers_for(user_id)
    await deliver(app_db, instrument("HELD"))
    await post(client, "securities-deposits", headers, {"symbol": "HELD", "qty": "10"})
    await deliver(app_db, risk(user_id, "sell", qty="4", symbol="HELD"))
    assert (await account(client, headers))["holdings"] == [
        {"symbol": "HELD", "qty": "10", "reserved_qty": "4", "available_qty": "6"}
    ]


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc", "Bearer a.b.c"])
async def test_no_valid_token_is_401(client: httpx.AsyncClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for method, path in (
        ("GET", "/api/v1/account"),
        ("POST", "/api/v1/account/deposits"),
        ("POST", "/api/v1/account/withdrawals"),
        ("POST", "/api/v1/account/securities-deposits"),
        ("GET", "/api/v1/account/activities"),
    ):
        response = await client.request(method, path, headers=headers, json={"amount": "1"})
        problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"


async def test_expired_or_foreign_tokens_are_401(
    client: httpx.AsyncClient, trader_settings: Settings, signing_key: SigningKey
) -> None:
    def issue(key: SigningKey, audience: str = "", now: float | None = None) -> str:
        return issue_access_token(
            key,
            subject=str(uuid.uuid4()),
            issuer=trader_settings.jwt_issuer,
            audience=audience or trader_settings.jwt_audience,
            ttl_seconds=60,
            now=now,
        )

    expired = issue(signing_key, now=0)
    foreign = issue(SigningKey.generate())
    wrong_audience = issue(signing_key, audience="elsewhere")
    for token in (expired, foreign, wrong_audience):
        response = await client.get("/api/v1/account", headers={"Authorization": f"Bearer {token}"})
        problem(response, 401, "unauthorized")


async def test_operations_and_openapi(client: httpx.AsyncClient) -> None:
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    spec = (await client.get("/openapi.json")).json()
    deposit = spec["paths"]["/api/v1/account/deposits"]["post"]
    assert "amount" in deposit["requestBody"]["content"]["application/json"]["schema"]["properties"]


async def test_concurrent_withdrawals_never_overdraw(
    client: httpx.AsyncClient, me: tuple[uuid.UUID, dict[str, str]]
) -> None:
    _, headers = me
    await post(client, "deposits", headers, {"amount": "100"})
    answers = await asyncio.gather(
        *(post(client, "withdrawals", headers, {"amount": "30"}) for _ in range(6))
    )
    assert sorted(a.status_code for a in answers) == [201, 201, 201, 422, 422, 422]
    assert (await account(client, headers))["cash"] == "10"


async def test_concurrent_repeats_of_one_key_apply_once(
    client: httpx.AsyncClient, me: tuple[uuid.UUID, dict[str, str]]
) -> None:
    _, headers = me
    answers = await asyncio.gather(
        *(post(client, "deposits", headers, {"amount": "7"}, key="once") for _ in range(5))
    )
    ok = [a.json()["id"] for a in answers if a.status_code == 201]
    assert ok and len(set(ok)) == 1
    assert all(a.status_code in (201, 409) for a in answers)
    assert (await account(client, headers))["cash"] == "7"
