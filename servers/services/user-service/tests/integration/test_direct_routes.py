"""GET /api/v1/users/me served directly (bourse.common.direct) answers exactly as its
FastAPI declaration does: a registered user by token and by API key, a token of a user
that no longer exists or never did (404), each kind of refused credentials, and another
method on the path. And the route is documented by its declaration."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete
from user_support import key_headers, new_key

from bourse.auth.signing import issue_access_token
from bourse.common.direct import undocumented
from bourse.testing.app import running_app
from bourse.testing.direct import both, same, same_answer
from bourse.user.api.direct import ROUTES
from bourse.user.config import Settings
from bourse.user.db import users
from bourse.user.main import create_app

ME = "/api/v1/users/me"
PASSWORD = "s3cret-pass!"


@pytest.fixture(scope="module")
def app(user_settings: Settings) -> FastAPI:
    return create_app(user_settings)


@pytest.fixture(scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An instance of this module's own, whose app the tests reach (``both``)."""
    async with running_app(app) as http:
        yield http


async def registered(client: httpx.AsyncClient, name: str | None = None) -> dict[str, Any]:
    """A new user (its answer to the registration) and its bearer ``headers``."""
    body = {"email": f"d{uuid.uuid4().hex[:12]}@example.com", "password": PASSWORD}
    created = await client.post("/api/v1/auth/register", json={**body, "name": name})
    assert created.status_code == 201, created.text
    tokens = (await client.post("/api/v1/auth/login", json=body)).json()
    return {**created.json(), "headers": {"Authorization": f"Bearer {tokens['access_token']}"}}


def bearer_of(app: FastAPI, user_id: uuid.UUID) -> dict[str, str]:
    """A valid access token of ``user_id``, registered or not."""
    settings: Settings = app.state.settings
    token = issue_access_token(
        app.state.keys.current,
        subject=str(user_id),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_seconds=60,
    )
    return {"Authorization": f"Bearer {token}"}


def test_every_direct_route_is_documented(app: FastAPI) -> None:
    assert undocumented(app, ROUTES) == []


async def test_a_registered_user_answers_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for name in ("Ada Lovelace", None):
        user = await registered(client, name)
        headers = user.pop("headers")
        direct, declared = await both(app, client, "GET", ME, headers=headers)
        same(direct, declared)
        assert direct.json() == user


async def test_an_api_key_answers_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await registered(client, "bot owner")
    key = await new_key(client, user.pop("headers"), ["read"])
    direct, declared = await both(app, client, "GET", ME, headers=key_headers(key))
    same(direct, declared)
    assert direct.json() == user


async def test_a_user_that_is_not_there_answers_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    gone = await registered(client)
    async with app.state.runtime.db.transaction() as session:
        await session.execute(delete(users).where(users.c.id == uuid.UUID(gone["id"])))
    for headers in (gone["headers"], bearer_of(app, uuid.uuid4())):  # deleted, never there
        await same_answer(app, client, "GET", ME, headers=headers, status=404)


async def test_refused_credentials_answer_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # A known key with a wrong secret, not an unknown key id: the failures of unknown ids
    # are counted per client address, which every test of the session shares.
    key = await new_key(client, (await registered(client))["headers"], ["read"])
    for headers in (
        {},  # no credentials
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},  # not a bearer token, no key
        {"X-Bourse-Key-Id": key["key_id"]},  # half a key
        key_headers(key, secret="not-the-secret"),
    ):
        await same_answer(app, client, "GET", ME, headers=headers, status=401)


async def test_other_methods_on_the_path_are_the_declared_routes_business(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    headers = (await registered(client))["headers"]
    direct, declared = await both(app, client, "PUT", ME, headers=headers)
    assert direct.status_code == declared.status_code == 405
    assert direct.headers["allow"] == declared.headers["allow"]
