"""API keys through the HTTP API (API.md, Identity): create (the secret once, only its
hash stored), list, revoke, another user's key a 404, keys cannot manage keys, the check
the other services call (/internal/api-keys/verify) and its failed-attempt throttle."""

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from user_support import key_headers, new_key

from bourse.common.db import Database
from bourse.testing.app import running_app
from bourse.user.config import Settings
from bourse.user.db import api_keys
from bourse.user.main import create_app

PASSWORD = "s3cret-pass!"
VERIFY = "/internal/api-keys/verify"
BASE_DELAY = 3.0  # the 5th failure locks this long: the test checks well within it


async def bearer(client: httpx.AsyncClient) -> dict[str, str]:
    address = f"k{uuid.uuid4().hex[:12]}@example.com"
    body = {"email": address, "password": PASSWORD}
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
    tokens = (await client.post("/api/v1/auth/login", json=body)).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def check(key: dict[str, Any], secret: str | None = None, client: str = "10.0.0.1") -> Any:
    return {"key_id": key["key_id"], "secret": secret or key["secret"], "client": client}


@pytest.fixture(scope="module")
async def db(user_settings: Settings) -> AsyncIterator[Database]:
    database = Database(user_settings.database_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
async def strict(user_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An instance whose throttle locks for BASE_DELAY after 5 failures."""
    settings = user_settings.model_copy(
        update={
            "login_base_delay_seconds": BASE_DELAY,
            "login_max_delay_seconds": 4 * BASE_DELAY,
            "login_failure_window_seconds": 60.0,
        }
    )
    async with running_app(create_app(settings)) as client:
        yield client


async def test_a_key_is_created_listed_used_and_revoked(client: httpx.AsyncClient) -> None:
    auth = await bearer(client)
    me = (await client.get("/api/v1/users/me", headers=auth)).json()
    key = await new_key(client, auth, ["trade", "read"])
    assert set(key) == {"id", "key_id", "secret", "name", "scopes", "created_at"}
    assert key["scopes"] == ["read", "trade"] and key["name"] == "my bot"
    assert len(key["secret"]) >= 43  # 32 random bytes

    listed = await client.get("/api/v1/api-keys", headers=auth)
    assert listed.status_code == 200
    assert listed.json() == {
        "items": [{k: v for k, v in key.items() if k != "secret"}],
        "next": None,
    }

    by_key = await client.get("/api/v1/users/me", headers=key_headers(key))
    assert by_key.status_code == 200 and by_key.json() == me
    verified = await client.post(VERIFY, json=check(key))
    assert verified.status_code == 200
    assert verified.json() == {
        "user_id": me["id"],
        "key_id": key["key_id"],
        "scopes": ["read", "trade"],
        "roles": [],
    }

    assert (await client.delete(f"/api/v1/api-keys/{key['id']}", headers=auth)).status_code == 204
    assert (await client.get("/api/v1/api-keys", headers=auth)).json()["items"] == []
    refused = await client.post(VERIFY, json=check(key))
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_api_key"
    again = await client.delete(f"/api/v1/api-keys/{key['id']}", headers=auth)
    assert again.status_code == 404


async def test_only_the_hash_of_the_secret_is_stored(
    client: httpx.AsyncClient, db: Database
) -> None:
    key = await new_key(client, await bearer(client))
    async with db.transaction() as session:
        stored = await session.scalar(
            select(api_keys.c.secret_hash).where(api_keys.c.key_id == key["key_id"])
        )
        whole_table = (await session.execute(text("SELECT api_keys::text FROM api_keys"))).all()
    assert stored == hashlib.sha256(key["secret"].encode()).digest()
    assert whole_table and not any(key["secret"] in row[0] for row in whole_table)


async def test_another_users_key_is_a_404_and_not_listed(client: httpx.AsyncClient) -> None:
    alice, bob = await bearer(client), await bearer(client)
    key = await new_key(client, alice)
    assert (await client.delete(f"/api/v1/api-keys/{key['id']}", headers=bob)).status_code == 404
    assert (await client.get("/api/v1/api-keys", headers=bob)).json()["items"] == []
    assert (await client.post(VERIFY, json=check(key))).status_code == 200  # still alive


async def test_a_key_cannot_manage_keys(client: httpx.AsyncClient) -> None:
    key = await new_key(client, await bearer(client))
    headers = key_headers(key)
    answers = [
        await client.get("/api/v1/api-keys", headers=headers),
        await client.post(
            "/api/v1/api-keys", json={"name": "x", "scopes": ["read"]}, headers=headers
        ),
        await client.delete(f"/api/v1/api-keys/{key['id']}", headers=headers),
    ]
    for answer in answers:
        assert answer.status_code == 403, answer.text
        assert answer.json()["code"] == "insufficient_scope"


async def test_a_wrong_or_half_key_is_a_401(client: httpx.AsyncClient) -> None:
    key = await new_key(client, await bearer(client))
    for headers in (
        key_headers(key, secret="not-the-secret"),
        {"X-Bourse-Key-Id": key["key_id"]},
        {"X-Bourse-Key-Id": "bk_nope", "X-Bourse-Key-Secret": "x"},
    ):
        answer = await client.get("/api/v1/users/me", headers=headers)
        assert answer.status_code == 401, answer.text


@pytest.mark.parametrize(
    "body",
    [
        {"name": "bot", "scopes": []},
        {"name": "bot", "scopes": ["admin"]},
        {"name": "", "scopes": ["read"]},
        {"scopes": ["read"]},
        {"name": "bot", "scopes": ["read"], "secret": "mine"},
    ],
)
async def test_invalid_creations_are_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    answer = await client.post("/api/v1/api-keys", json=body, headers=await bearer(client))
    assert answer.status_code == 422, answer.text


async def test_the_list_pages_newest_first(client: httpx.AsyncClient) -> None:
    auth = await bearer(client)
    keys = [await new_key(client, auth) for _ in range(3)]
    first = (await client.get("/api/v1/api-keys?limit=2", headers=auth)).json()
    assert [k["id"] for k in first["items"]] == [keys[2]["id"], keys[1]["id"]]
    rest = await client.get("/api/v1/api-keys", params={"after": first["next"]}, headers=auth)
    assert rest.json() == {"items": [first_without_secret(keys[0])], "next": None}


def first_without_secret(key: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in key.items() if k != "secret"}


async def test_the_internal_check_refuses_requests_that_came_through_a_proxy(
    client: httpx.AsyncClient,
) -> None:
    key = await new_key(client, await bearer(client))
    answer = await client.post(VERIFY, json=check(key), headers={"X-Forwarded-For": "1.2.3.4"})
    assert answer.status_code == 404


def throttled(answer: httpx.Response) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.json()["code"] == "too_many_attempts"
    assert 1 <= int(answer.headers["retry-after"]) <= BASE_DELAY


async def test_five_wrong_secrets_lock_the_key_even_for_the_right_one(
    strict: httpx.AsyncClient,
) -> None:
    key = await new_key(strict, await bearer(strict))
    for n in range(5):
        wrong = await strict.post(VERIFY, json=check(key, "wrong", client=f"10.1.0.{n}"))
        assert wrong.status_code == 401
    throttled(await strict.post(VERIFY, json=check(key, client="10.9.9.9")))
    await asyncio.sleep(BASE_DELAY + 0.2)
    assert (await strict.post(VERIFY, json=check(key, client="10.9.9.9"))).status_code == 200


async def test_an_address_guessing_key_ids_is_locked_and_its_own_key_does_not_unlock_it(
    strict: httpx.AsyncClient,
) -> None:
    key = await new_key(strict, await bearer(strict))
    address = f"10.2.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"

    def guess() -> dict[str, str]:
        return {"key_id": f"bk_{uuid.uuid4().hex[:24]}", "secret": "guess", "client": address}

    for _ in range(4):
        assert (await strict.post(VERIFY, json=guess())).status_code == 401
    assert (await strict.post(VERIFY, json=check(key, client=address))).status_code == 200
    assert (await strict.post(VERIFY, json=guess())).status_code == 401  # the 5th: locks
    throttled(await strict.post(VERIFY, json=guess()))
    assert (await strict.post(VERIFY, json=guess() | {"client": "10.3.0.1"})).status_code == 401
    # The lock is on guessing key ids: the address's own key still works.
    assert (await strict.post(VERIFY, json=check(key, client=address))).status_code == 200


async def test_a_revoked_key_is_refused_without_ever_being_throttled(
    strict: httpx.AsyncClient,
) -> None:
    """A bot may keep presenting its revoked key from every process: always a 401 (which
    closes its sockets), never a 429, and its address is not locked for its other keys."""
    auth = await bearer(strict)
    revoked, other = await new_key(strict, auth), await new_key(strict, auth)
    assert (
        await strict.delete(f"/api/v1/api-keys/{revoked['id']}", headers=auth)
    ).status_code == 204
    for _ in range(8):
        answer = await strict.post(VERIFY, json=check(revoked, client="10.4.0.1"))
        assert answer.status_code == 401, answer.text
    assert (await strict.post(VERIFY, json=check(other, client="10.4.0.1"))).status_code == 200


async def test_the_throttle_applies_to_keys_on_the_public_routes(
    strict: httpx.AsyncClient,
) -> None:
    key = await new_key(strict, await bearer(strict))
    for n in range(5):
        wrong = await strict.get("/api/v1/users/me", headers=key_headers(key, f"wrong-{n}"))
        assert wrong.status_code == 401
    answer = await strict.get("/api/v1/users/me", headers=key_headers(key))
    assert answer.status_code == 429 and "retry-after" in answer.headers
