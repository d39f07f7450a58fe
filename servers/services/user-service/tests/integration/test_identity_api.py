"""Identity through the HTTP API (API.md): register, login, refresh rotation and reuse
detection, logout, me, JWKS; errors are problem+json."""

import uuid
from typing import Any

import httpx
import jwt
import pytest


def email() -> str:
    return f"u{uuid.uuid4().hex[:12]}@example.com"


async def register(
    client: httpx.AsyncClient, address: str, password: str = "s3cret-pass!"
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/register", json={"email": address, "password": password, "name": "Ada"}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def login(
    client: httpx.AsyncClient, address: str, password: str = "s3cret-pass!"
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/login", json={"email": address, "password": password}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_register_then_login_then_me(client: httpx.AsyncClient) -> None:
    address = email()
    user = await register(client, address)
    assert user["email"] == address and user["name"] == "Ada"
    assert set(user) == {"id", "email", "name", "created_at"}
    tokens = await login(client, address.upper())  # emails are case-insensitive
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    me = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json() == user


async def test_access_token_is_eddsa_with_issuer_audience_and_kid_in_jwks(
    client: httpx.AsyncClient,
) -> None:
    address = email()
    user = await register(client, address)
    token = (await login(client, address))["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    keys = (await client.get("/api/v1/auth/jwks")).json()["keys"]
    key = next(k for k in keys if k["kid"] == header["kid"])
    claims = jwt.decode(
        token,
        jwt.PyJWK(key).key,
        algorithms=["EdDSA"],
        audience="bourse",
        issuer="bourse-user-service",
    )
    assert claims["sub"] == user["id"]
    assert "d" not in key  # never the private part


async def test_duplicate_email_is_a_409_problem(client: httpx.AsyncClient) -> None:
    address = email()
    await register(client, address)
    response = await client.post(
        "/api/v1/auth/register", json={"email": address, "password": "another-pass-1"}
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "email_taken"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": "long-enough-pw"},
        {"email": "short@example.com", "password": "123456789"},
        {"email": "x@example.com"},
        {"email": "x@example.com", "password": "long-enough-pw", "extra": 1},
    ],
)
async def test_bad_registrations_are_422_problems(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "validation_error"


async def test_wrong_password_and_unknown_email_look_the_same(client: httpx.AsyncClient) -> None:
    address = email()
    await register(client, address)
    for body in (
        {"email": address, "password": "wrong-password"},
        {"email": email(), "password": "s3cret-pass!"},
    ):
        response = await client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient) -> None:
    address = email()
    await register(client, address)
    first = await login(client, address)
    second = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    assert second["refresh_token"] != first["refresh_token"]
    # The spent token comes back (stolen?): 401, and the whole family dies with it.
    reuse = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reuse.status_code == 401
    assert reuse.json()["code"] == "refresh_token_reused"
    revoked = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert revoked.status_code == 401


async def test_logout_revokes_the_refresh_token(client: httpx.AsyncClient) -> None:
    address = email()
    await register(client, address)
    tokens = await login(client, address)
    response = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 204
    again = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert again.status_code == 401


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc", "Bearer " + "a.b.c"])
async def test_me_without_a_valid_token_is_401(
    client: httpx.AsyncClient, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = await client.get("/api/v1/users/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_admin_emails_get_the_admin_role(client: httpx.AsyncClient) -> None:
    await client.post(
        "/api/v1/auth/register", json={"email": "root@example.com", "password": "admin-password"}
    )
    token = (await login(client, "root@example.com", "admin-password"))["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["roles"] == ["admin"]


async def test_operations_endpoints(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    metrics = await client.get("/metrics")
    assert "bourse_http_requests_total" in metrics.text


@pytest.mark.parametrize("name", [r"nul\u0000byte", r"bell\u0007", r"\ud82c lone surrogate"])
async def test_names_postgres_cannot_store_are_422_not_500(
    client: httpx.AsyncClient, name: str
) -> None:
    body = f'{{"email": "{email()}", "password": "long-enough-pw", "name": "{name}"}}'
    response = await client.post(
        "/api/v1/auth/register", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
