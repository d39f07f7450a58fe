"""/api/v1/notifications through HTTP with real access tokens (API.md, Notifications):
listing, unread counts, read and read-all, and per-user scoping."""

import uuid
from typing import Any

import httpx
import pytest

from bourse.common.db import Database
from bourse.testing.messaging import envelope_of

from notifications_support import Headers, deliver, order

Json = dict[str, Any]


def problem(response: httpx.Response, status: int, code: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert body["code"] == code and body["status"] == status
    return body


async def listing(client: httpx.AsyncClient, headers: dict[str, str], query: str = "") -> Json:
    response = await client.get(f"/api/v1/notifications{query}", headers=headers)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


@pytest.fixture
def seed(db: Database, consumer: str) -> Any:
    """Stores ``n`` canceled-order notifications for a user (oldest first)."""

    async def store(user_id: uuid.UUID, n: int) -> None:
        for _ in range(n):
            await deliver(db, consumer, envelope_of(order(user_id, "canceled")))

    return store


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    problem(await client.get("/api/v1/notifications"), 401, "unauthorized")
    problem(await client.post("/api/v1/notifications/read-all"), 401, "unauthorized")
    bad = {"Authorization": "Bearer not-a-token"}
    problem(await client.get("/api/v1/notifications", headers=bad), 401, "unauthorized")


async def test_pages_newest_first_with_the_unread_count(
    client: httpx.AsyncClient, seed: Any, headers_for: Headers, user: uuid.UUID
) -> None:
    await seed(user, 5)
    headers = headers_for(user)
    first = await listing(client, headers, "?limit=2")
    assert len(first["items"]) == 2 and first["next"] and first["unread_count"] == 5
    ids = [item["id"] for item in first["items"]]
    cursor = first["next"]
    while cursor:
        page = await listing(client, headers, f"?limit=2&after={cursor}")
        ids += [item["id"] for item in page["items"]]
        cursor = page["next"]
    everything = await listing(client, headers)
    assert ids == [item["id"] for item in everything["items"]]
    assert len(set(ids)) == 5
    assert ids == sorted(ids, reverse=True)  # UUIDv7: newest first
    problem(
        await client.get("/api/v1/notifications?after=%%%", headers=headers), 422, "invalid_cursor"
    )
    problem(
        await client.get("/api/v1/notifications?limit=501", headers=headers),
        422,
        "validation_error",
    )


async def test_read_one_then_all(
    client: httpx.AsyncClient, seed: Any, headers_for: Headers, user: uuid.UUID
) -> None:
    await seed(user, 3)
    headers = headers_for(user)
    newest = (await listing(client, headers))["items"][0]
    response = await client.post(f"/api/v1/notifications/{newest['id']}/read", headers=headers)
    assert response.status_code == 200, response.text
    read = response.json()
    assert read["id"] == newest["id"] and read["read_at"] is not None
    again = await client.post(f"/api/v1/notifications/{newest['id']}/read", headers=headers)
    assert again.json()["read_at"] == read["read_at"]  # the first read time stays
    unread = await listing(client, headers, "?unread=true")
    assert unread["unread_count"] == 2
    assert newest["id"] not in [item["id"] for item in unread["items"]]
    assert len(unread["items"]) == 2

    done = await client.post("/api/v1/notifications/read-all", headers=headers)
    assert done.status_code == 200, done.text
    assert done.json() == {"marked": 2, "unread_count": 0}
    assert (await listing(client, headers, "?unread=true"))["items"] == []
    everything = await listing(client, headers)
    assert everything["unread_count"] == 0
    assert all(item["read_at"] for item in everything["items"])
    again_all = await client.post("/api/v1/notifications/read-all", headers=headers)
    assert again_all.json() == {"marked": 0, "unread_count": 0}


async def test_another_users_notification_is_404_and_never_listed(
    client: httpx.AsyncClient, seed: Any, headers_for: Headers
) -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    await seed(alice, 2)
    await seed(bob, 1)
    alices = await listing(client, headers_for(alice))
    bobs = await listing(client, headers_for(bob))
    assert (len(alices["items"]), len(bobs["items"])) == (2, 1)
    assert not {i["id"] for i in alices["items"]} & {i["id"] for i in bobs["items"]}
    target = alices["items"][0]["id"]
    stolen = await client.post(f"/api/v1/notifications/{target}/read", headers=headers_for(bob))
    problem(stolen, 404, "not_found")
    unknown = await client.post(
        f"/api/v1/notifications/{uuid.uuid4()}/read", headers=headers_for(bob)
    )
    problem(unknown, 404, "not_found")
    await client.post("/api/v1/notifications/read-all", headers=headers_for(bob))
    assert (await listing(client, headers_for(alice)))["unread_count"] == 2  # untouched
    assert (await listing(client, headers_for(bob), "?unread=true"))["items"] == []


async def test_openapi_documents_the_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {
        "/api/v1/notifications",
        "/api/v1/notifications/{notification_id}/read",
        "/api/v1/notifications/read-all",
        "/api/v1/notifications/webhook",
        "/api/v1/notifications/webhook/deliveries",
    } <= set(paths)
