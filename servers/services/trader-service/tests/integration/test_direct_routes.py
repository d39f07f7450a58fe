"""GET /api/v1/account served directly (bourse.common.direct) answers exactly as its
FastAPI declaration does: a new user's account (opened by the read), one with cash,
reserved cash and holdings, and each kind of refused credentials. And the route is
documented by its declaration."""

import uuid

import httpx
from fastapi import FastAPI

from bourse.common.db import Database
from bourse.common.direct import undocumented
from bourse.testing.direct import both, same
from bourse.trader.api.direct import ROUTES

from trader_support import Headers, deliver, instrument, risk

ACCOUNT = "/api/v1/account"


def test_every_direct_route_is_documented(app: FastAPI) -> None:
    assert undocumented(app, ROUTES) == []


async def test_reading_the_account_answers_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient, headers_for: Headers, app_db: Database
) -> None:
    new_user = headers_for(uuid.uuid4())
    direct, declared = await both(app, client, "GET", ACCOUNT, headers=new_user)
    same(direct, declared)
    assert direct.json()["cash"] == "0"

    user_id = uuid.uuid4()
    headers = headers_for(user_id)
    await deliver(app_db, instrument("DIRA"))
    await deliver(app_db, instrument("DIRB"))
    await client.post(f"{ACCOUNT}/deposits", headers=headers, json={"amount": "1000.25"})
    for symbol in ("DIRB", "DIRA"):
        body = {"symbol": symbol, "qty": "10"}
        await client.post(f"{ACCOUNT}/securities-deposits", headers=headers, json=body)
    await deliver(app_db, risk(user_id, "buy", cash="70"))
    await deliver(app_db, risk(user_id, "sell", qty="4", symbol="DIRA"))
    direct, declared = await both(app, client, "GET", ACCOUNT, headers=headers)
    same(direct, declared)
    account = direct.json()
    assert (account["cash"], account["reserved_cash"], account["buying_power"]) == (
        "1000.25",
        "70",
        "930.25",
    )
    assert [h["symbol"] for h in account["holdings"]] == ["DIRA", "DIRB"]
    assert account["holdings"][0]["available_qty"] == "6"


async def test_refused_credentials_answer_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for headers in (
        {},  # no credentials
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},  # not a bearer token, no key
    ):
        same(*await both(app, client, "GET", ACCOUNT, headers=headers))


async def test_other_methods_on_the_path_are_the_declared_routes_business(
    app: FastAPI, client: httpx.AsyncClient, headers_for: Headers
) -> None:
    direct, declared = await both(app, client, "PUT", ACCOUNT, headers=headers_for(uuid.uuid4()))
    assert direct.status_code == declared.status_code == 405
    assert direct.headers["allow"] == declared.headers["allow"]
