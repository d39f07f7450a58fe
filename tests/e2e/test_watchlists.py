"""Watchlists through nginx on the real stack (API.md, Trading account): trader-service
learns the instruments from stock-service's events, so a symbol listed by the admin can be
watched; create, add, remove, rename and delete; another user meets a 404 on every route;
bad input gets its problem code."""

import uuid

import httpx
import pytest

from bourse.testing.api import Json, Trader, fresh_symbol, signup

pytestmark = pytest.mark.e2e
URL = "/api/v1/watchlists"


def ok(response: httpx.Response, status: int = 200) -> Json:
    assert response.status_code == status, response.text
    body: Json = response.json()
    return body


def problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def put(trader: Trader, path: str, body: Json) -> httpx.Response:
    return await trader.api.put(path, json=body, headers=trader.auth)


async def test_a_watchlist_from_creation_to_deletion(api: httpx.AsyncClient) -> None:
    listed = await fresh_symbol(api)
    ann = await signup(api)
    made = ok(await ann.post(URL, {"name": "Tech", "symbols": ["msft", "AAPL"]}), 201)
    assert made["symbols"] == ["MSFT", "AAPL"]
    assert made["name"] == "Tech"
    path = f"{URL}/{made['id']}"

    added = ok(await ann.post(f"{path}/symbols", {"symbol": listed}))
    assert added["symbols"] == ["MSFT", "AAPL", listed]
    assert ok(await ann.post(f"{path}/symbols", {"symbol": "AAPL"})) == added  # no-op
    removed = ok(await ann.delete(f"{path}/symbols/MSFT"))
    assert removed["symbols"] == ["AAPL", listed]
    renamed = ok(await put(ann, path, {"name": "Mega caps"}))
    assert (renamed["name"], renamed["symbols"]) == ("Mega caps", ["AAPL", listed])
    assert ok(await ann.get(path)) == renamed
    assert ok(await ann.get(URL)) == {"items": [renamed], "next": None}
    # Answers carry the caller's own data: never cached.
    assert (await ann.get(path)).headers["cache-control"] == "no-store"

    deleted = await ann.delete(path)
    assert deleted.status_code == 204
    problem(await ann.get(path), 404, "not_found")
    assert ok(await ann.get(URL))["items"] == []


async def test_another_users_watchlist_is_a_404(api: httpx.AsyncClient) -> None:
    ann, bob = await signup(api), await signup(api)
    mine = ok(await ann.post(URL, {"name": "Private", "symbols": ["AAPL"]}), 201)
    path = f"{URL}/{mine['id']}"
    problem(await bob.get(path), 404, "not_found")
    problem(await put(bob, path, {"name": "Mine now"}), 404, "not_found")
    problem(await bob.post(f"{path}/symbols", {"symbol": "MSFT"}), 404, "not_found")
    problem(await bob.delete(f"{path}/symbols/AAPL"), 404, "not_found")
    problem(await bob.delete(path), 404, "not_found")
    assert ok(await bob.get(URL))["items"] == []
    assert ok(await ann.get(path)) == mine


async def test_bad_input_gets_problem_codes(api: httpx.AsyncClient) -> None:
    ann = await signup(api)
    made = ok(await ann.post(URL, {"name": "Codes"}), 201)
    path = f"{URL}/{made['id']}"
    problem(await ann.post(URL, {"name": "Codes"}), 409, "watchlist_name_taken")
    problem(await ann.post(URL, {"name": ""}), 422, "invalid_watchlist_name")
    problem(await ann.post(URL, {"name": "x" * 65}), 422, "invalid_watchlist_name")
    problem(
        await ann.post(URL, {"name": "D", "symbols": ["AAPL", "aapl"]}), 422, "duplicate_symbol"
    )
    problem(await ann.post(URL, {"name": "U", "symbols": ["ZZZZ9"]}), 422, "unknown_symbol")
    problem(
        await ann.post(URL, {"name": "V", "symbols": ["not a symbol"]}), 422, "validation_error"
    )
    problem(await ann.post(f"{path}/symbols", {"symbol": "ZZZZ9"}), 422, "unknown_symbol")
    problem(await ann.delete(f"{path}/symbols/AAPL"), 404, "symbol_not_in_watchlist")
    problem(await ann.get(f"{URL}/{uuid.uuid4()}"), 404, "not_found")
    problem(await ann.get(URL, params={"limit": 501}), 422, "validation_error")
    problem(await ann.api.get(URL), 401, "unauthorized")
