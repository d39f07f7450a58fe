"""/api/v1/watchlists through HTTP with real access tokens and a real database (API.md,
Trading account): ordered, unique symbols of listed instruments; names unique per user;
limits answered with stable codes; every route scoped to the caller."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from bourse.common.db import Database
from bourse.testing.messaging import envelope_of

from trader_support import Headers, deliver_batch, instrument

Json = dict[str, Any]
URL = "/api/v1/watchlists"


def problem(response: httpx.Response, status: int, code: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert body["code"] == code and body["status"] == status
    return body


def ok(response: httpx.Response, status: int = 200) -> Json:
    assert response.status_code == status, response.text
    body: Json = response.json()
    return body


async def listed(db: Database, count: int) -> list[str]:
    """``count`` new symbols, known to trader-service as instrument.changed tells it."""
    symbols = [f"W{uuid.uuid4().hex[:8].upper()}" for _ in range(count)]
    await deliver_batch(db, [envelope_of(instrument(symbol)) for symbol in symbols])
    return symbols


@pytest.fixture
def me(headers_for: Headers) -> dict[str, str]:
    return headers_for(uuid.uuid4())


@pytest.fixture
async def symbols(app_db: Database) -> list[str]:
    return await listed(app_db, 4)


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], body: Json, key: str = ""
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return await client.post(URL, headers=headers | extra, json=body)


async def test_create_keeps_the_symbols_in_order(
    client: httpx.AsyncClient, me: dict[str, str], symbols: list[str]
) -> None:
    a, b, c, _ = symbols
    body = ok(await create(client, me, {"name": " Tech ", "symbols": [c.lower(), a, b]}), 201)
    assert set(body) == {"id", "name", "symbols", "created_at", "updated_at"}
    assert (body["name"], body["symbols"]) == ("Tech", [c, a, b])
    assert ok(await client.get(f"{URL}/{body['id']}", headers=me)) == body
    assert ok(await client.get(URL, headers=me)) == {"items": [body], "next": None}
    empty = ok(await create(client, me, {"name": "Empty"}), 201)
    assert empty["symbols"] == []


async def test_add_and_remove_symbols(
    client: httpx.AsyncClient, me: dict[str, str], symbols: list[str]
) -> None:
    a, b, c, d = symbols
    made = ok(await create(client, me, {"name": "L", "symbols": [a, b]}), 201)
    path = f"{URL}/{made['id']}/symbols"
    added = ok(await client.post(path, headers=me, json={"symbol": c.lower()}))
    assert added["symbols"] == [a, b, c]
    assert added["updated_at"] > made["updated_at"]
    # Adding a symbol that is already there changes nothing and answers the list.
    again = ok(await client.post(path, headers=me, json={"symbol": a}))
    assert again == added
    removed = ok(await client.delete(f"{path}/{b.lower()}", headers=me))
    assert removed["symbols"] == [a, c]
    assert ok(await client.post(path, headers=me, json={"symbol": b}))["symbols"] == [a, c, b]
    problem(await client.delete(f"{path}/{d}", headers=me), 404, "symbol_not_in_watchlist")
    problem(await client.post(path, headers=me, json={"symbol": "NOPE1"}), 422, "unknown_symbol")
    for bad in ({"symbol": "A-B"}, {"symbol": ""}, {}, {"symbol": a, "x": 1}):
        problem(await client.post(path, headers=me, json=bad), 422, "validation_error")
    problem(await client.delete(f"{path}/A-B", headers=me), 422, "validation_error")
    assert ok(await client.get(f"{URL}/{made['id']}", headers=me))["symbols"] == [a, c, b]


async def test_put_renames_and_or_replaces(
    client: httpx.AsyncClient, me: dict[str, str], symbols: list[str]
) -> None:
    a, b, c, _ = symbols
    made = ok(await create(client, me, {"name": "Old", "symbols": [a, b]}), 201)
    taken = ok(await create(client, me, {"name": "Taken"}), 201)
    path = f"{URL}/{made['id']}"
    renamed = ok(await client.put(path, headers=me, json={"name": "New"}))
    assert (renamed["name"], renamed["symbols"]) == ("New", [a, b])
    replaced = ok(await client.put(path, headers=me, json={"symbols": [c, a]}))
    assert (replaced["name"], replaced["symbols"]) == ("New", [c, a])
    both = ok(await client.put(path, headers=me, json={"name": "New", "symbols": []}))
    assert (both["name"], both["symbols"]) == ("New", [])
    problem(await client.put(path, headers=me, json={"name": "Taken"}), 409, "watchlist_name_taken")
    unknown = {"symbols": [a, "NOPE1"]}
    problem(await client.put(path, headers=me, json=unknown), 422, "unknown_symbol")
    problem(await client.put(path, headers=me, json={"symbols": [a, a]}), 422, "duplicate_symbol")
    problem(await client.put(path, headers=me, json={"name": ""}), 422, "invalid_watchlist_name")
    assert ok(await client.get(path, headers=me)) == both
    assert ok(await client.get(f"{URL}/{taken['id']}", headers=me))["name"] == "Taken"


async def test_delete(client: httpx.AsyncClient, me: dict[str, str]) -> None:
    made = ok(await create(client, me, {"name": "Gone"}), 201)
    path = f"{URL}/{made['id']}"
    deleted = await client.delete(path, headers=me)
    assert deleted.status_code == 204 and deleted.content == b""
    problem(await client.get(path, headers=me), 404, "not_found")
    problem(await client.delete(path, headers=me), 404, "not_found")
    # The name is free again.
    ok(await create(client, me, {"name": "Gone"}), 201)


async def test_names_are_unique_per_user(client: httpx.AsyncClient, headers_for: Headers) -> None:
    alice, bob = headers_for(uuid.uuid4()), headers_for(uuid.uuid4())
    ok(await create(client, alice, {"name": "Growth"}), 201)
    problem(await create(client, alice, {"name": " Growth"}), 409, "watchlist_name_taken")
    ok(await create(client, alice, {"name": "growth"}), 201)  # names are case-sensitive
    ok(await create(client, bob, {"name": "Growth"}), 201)


async def test_bad_input_has_stable_codes(
    client: httpx.AsyncClient, me: dict[str, str], symbols: list[str]
) -> None:
    a = symbols[0]
    for name in ("", "   ", "x" * 65):
        problem(await create(client, me, {"name": name}), 422, "invalid_watchlist_name")
    ok(await create(client, me, {"name": "x" * 64}), 201)
    problem(
        await create(client, me, {"name": "D", "symbols": [a, a.lower()]}), 422, "duplicate_symbol"
    )
    problem(await create(client, me, {"name": "U", "symbols": [a, "NOPE1"]}), 422, "unknown_symbol")
    for bad in (
        {},
        {"symbols": [a]},
        {"name": 5},
        {"name": "a\x00b"},
        {"name": "E", "symbols": ["A-B"]},
        {"name": "E", "symbols": a},
        {"name": "E", "user_id": str(uuid.uuid4())},
    ):
        problem(await create(client, me, bad), 422, "validation_error")
    problem(await client.get(f"{URL}/not-a-uuid", headers=me), 422, "validation_error")
    problem(await client.get(f"{URL}/{uuid.uuid4()}", headers=me), 404, "not_found")
    names = [w["name"] for w in ok(await client.get(URL, headers=me))["items"]]
    assert names == ["x" * 64]


async def test_at_most_200_symbols_per_list(
    client: httpx.AsyncClient, me: dict[str, str], app_db: Database
) -> None:
    many = await listed(app_db, 201)
    problem(await create(client, me, {"name": "Big", "symbols": many}), 422, "too_many_symbols")
    full = ok(await create(client, me, {"name": "Big", "symbols": many[:200]}), 201)
    assert full["symbols"] == many[:200]
    path = f"{URL}/{full['id']}/symbols"
    problem(
        await client.post(path, headers=me, json={"symbol": many[200]}), 422, "too_many_symbols"
    )
    assert (
        ok(await client.post(path, headers=me, json={"symbol": many[0]}))["symbols"] == many[:200]
    )
    put = await client.put(f"{URL}/{full['id']}", headers=me, json={"symbols": many})
    problem(put, 422, "too_many_symbols")


async def test_at_most_50_lists_per_user(client: httpx.AsyncClient, me: dict[str, str]) -> None:
    for i in range(48):
        ok(await create(client, me, {"name": f"L{i}"}), 201)
    # The last places are taken once each, even by concurrent requests.
    answers = await asyncio.gather(*(create(client, me, {"name": f"R{i}"}) for i in range(5)))
    assert sorted(a.status_code for a in answers) == [201, 201, 422, 422, 422]
    for refused in (a for a in answers if a.status_code == 422):
        problem(refused, 422, "too_many_watchlists")
    problem(await create(client, me, {"name": "One more"}), 422, "too_many_watchlists")
    first = ok(await client.get(URL, headers=me, params={"limit": 1}))["items"][0]
    assert (await client.delete(f"{URL}/{first['id']}", headers=me)).status_code == 204
    ok(await create(client, me, {"name": "One more"}), 201)


async def test_concurrent_creates_of_one_name_make_one_list(
    client: httpx.AsyncClient, me: dict[str, str]
) -> None:
    answers = await asyncio.gather(*(create(client, me, {"name": "Same"}) for _ in range(5)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409]
    assert len(ok(await client.get(URL, headers=me))["items"]) == 1


async def test_pages_in_creation_order(client: httpx.AsyncClient, me: dict[str, str]) -> None:
    made = [ok(await create(client, me, {"name": f"P{i}"}), 201)["id"] for i in range(5)]
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = ok(await client.get(URL, headers=me, params=params))
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        if page["next"] is None:
            break
        params["after"] = page["next"]
    assert seen == made
    default = ok(await client.get(URL, headers=me))
    assert [w["id"] for w in default["items"]] == made and default["next"] is None
    problem(await client.get(URL, headers=me, params={"after": "!!"}), 422, "invalid_cursor")
    for limit in (0, 501):
        problem(await client.get(URL, headers=me, params={"limit": limit}), 422, "validation_error")


async def test_another_users_watchlist_is_404_everywhere(
    client: httpx.AsyncClient, headers_for: Headers, symbols: list[str]
) -> None:
    a, b, *_ = symbols
    alice, bob = headers_for(uuid.uuid4()), headers_for(uuid.uuid4())
    mine = ok(await create(client, alice, {"name": "Mine", "symbols": [a]}), 201)
    path = f"{URL}/{mine['id']}"
    problem(await client.get(path, headers=bob), 404, "not_found")
    problem(await client.put(path, headers=bob, json={"name": "Hijacked"}), 404, "not_found")
    problem(await client.post(f"{path}/symbols", headers=bob, json={"symbol": b}), 404, "not_found")
    problem(await client.delete(f"{path}/symbols/{a}", headers=bob), 404, "not_found")
    problem(await client.delete(path, headers=bob), 404, "not_found")
    assert ok(await client.get(URL, headers=bob)) == {"items": [], "next": None}
    assert ok(await client.get(path, headers=alice)) == mine


async def test_idempotency_keys_replay_the_first_answer(
    client: httpx.AsyncClient, me: dict[str, str], symbols: list[str]
) -> None:
    a, b, *_ = symbols
    first = await create(client, me, {"name": "K", "symbols": [a]}, key="wl-1")
    again = await create(client, me, {"name": "K", "symbols": [a]}, key="wl-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    problem(await create(client, me, {"name": "K2"}, key="wl-1"), 422, "idempotency_key_reused")
    path = f"{URL}/{first.json()['id']}"
    key = {"Idempotency-Key": "wl-2"}
    added = await client.post(f"{path}/symbols", headers=me | key, json={"symbol": b})
    await client.delete(f"{path}/symbols/{b}", headers=me)
    replay = await client.post(f"{path}/symbols", headers=me | key, json={"symbol": b})
    assert replay.status_code == 200 and replay.json() == added.json()
    assert ok(await client.get(path, headers=me))["symbols"] == [a]  # the replay changed nothing
    gone = {"Idempotency-Key": "wl-3"}
    assert (await client.delete(path, headers=me | gone)).status_code == 204
    assert (await client.delete(path, headers=me | gone)).status_code == 204
    assert ok(await client.get(URL, headers=me))["items"] == []


async def test_watchlist_routes_are_in_the_openapi(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert {"get", "post"} <= set(spec["paths"][URL])
    assert {"get", "put", "delete"} <= set(spec["paths"][URL + "/{watchlist_id}"])
    create_body = spec["paths"][URL]["post"]["requestBody"]["content"]["application/json"]
    assert {"name", "symbols"} <= set(create_body["schema"]["properties"])
