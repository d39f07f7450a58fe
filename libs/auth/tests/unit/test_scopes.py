"""The scope rule, alone and through ``CurrentUser`` / ``TokenUser`` on a real app: a
``read`` key may only GET and HEAD (403 ``insufficient_scope`` otherwise), a ``trade`` key
and an access token may do everything, and no key may do what needs a token."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from bourse.auth.api_keys import KeyOutcome, KeyVerifier, invalid_api_key, key_principal
from bourse.auth.deps import CurrentUser, TokenUser
from bourse.auth.principal import Principal
from bourse.auth.scopes import check_method_scope
from bourse.common.app import create_app
from bourse.common.errors import Problem
from bourse.testing.auth import TestIssuer

USER = uuid.uuid4()
SECRET = "the-secret-of-every-test-key"
KEYS = {"bk_read": ["read"], "bk_trade": ["read", "trade"]}
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


@pytest.mark.parametrize("method", METHODS)
def test_a_read_key_may_only_get_and_head(method: str) -> None:
    reader = key_principal(USER, [], ["read"], "bk_read")
    if method in ("GET", "HEAD"):
        check_method_scope(reader, method)
        return
    with pytest.raises(Problem) as refused:
        check_method_scope(reader, method)
    assert (refused.value.status, refused.value.code) == (403, "insufficient_scope")


@pytest.mark.parametrize("method", METHODS)
def test_a_trade_key_and_a_token_may_do_everything(method: str) -> None:
    check_method_scope(key_principal(USER, [], ["read", "trade"], "bk_trade"), method)
    check_method_scope(Principal(USER, frozenset()), method)


async def lookup(key_id: str, secret: str, client: str | None) -> KeyOutcome:
    if key_id not in KEYS or secret != SECRET:
        return invalid_api_key()
    return key_principal(USER, [], KEYS[key_id], key_id)


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture(scope="module")
async def client(issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:
    router = APIRouter()

    @router.get("/things")
    async def read(user: CurrentUser) -> dict[str, str]:
        return {"user": str(user.user_id)}

    @router.post("/things")
    async def write(user: CurrentUser) -> dict[str, str]:
        return {"user": str(user.user_id)}

    @router.delete("/things")
    async def remove(user: CurrentUser) -> dict[str, str]:
        return {"user": str(user.user_id)}

    @router.post("/keys")
    async def manage(user: TokenUser) -> dict[str, str]:
        return {"user": str(user.user_id)}

    app: FastAPI = create_app("test", routers=[router])
    verifier = issuer.verifier()
    verifier.api_keys = KeyVerifier(lookup)
    app.state.verifier = verifier
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        yield http


def key(key_id: str, secret: str = SECRET) -> dict[str, str]:
    return {"X-Bourse-Key-Id": key_id, "X-Bourse-Key-Secret": secret}


async def test_a_read_key_reads_but_cannot_write(client: httpx.AsyncClient) -> None:
    read = await client.get("/things", headers=key("bk_read"))
    assert read.status_code == 200 and read.json() == {"user": str(USER)}
    for method in ("POST", "DELETE"):
        refused = await client.request(method, "/things", headers=key("bk_read"))
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "insufficient_scope"


async def test_a_trade_key_writes(client: httpx.AsyncClient) -> None:
    for method in ("GET", "POST", "DELETE"):
        answer = await client.request(method, "/things", headers=key("bk_trade"))
        assert answer.status_code == 200, answer.text


async def test_no_key_may_use_a_token_only_route(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    refused = await client.post("/keys", headers=key("bk_trade"))
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"
    assert (await client.post("/keys", headers=issuer.headers(USER))).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        key("bk_trade", "wrong"),
        key("bk_unknown"),
        {"X-Bourse-Key-Id": "bk_trade"},
        {"X-Bourse-Key-Secret": SECRET},
    ],
)
async def test_no_or_bad_credentials_are_a_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    answer = await client.get("/things", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["code"] in ("unauthorized", "invalid_api_key")


async def test_a_bearer_token_wins_over_key_headers(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    other = uuid.uuid4()
    answer = await client.post("/things", headers={**issuer.headers(other), **key("bk_read")})
    assert answer.status_code == 200 and answer.json() == {"user": str(other)}
