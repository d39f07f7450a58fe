"""GET /api/v1/portfolio served directly (bourse.common.direct) answers exactly as its
FastAPI declaration does (but for ``as_of``, the time of each answer): a new user's
empty portfolio, one with cash and positions, priced and not, and each kind of refused
credentials. And the route is documented by its declaration."""

import uuid

import httpx
from sqlalchemy import text

from bourse.common.direct import undocumented
from bourse.portfolio.api.direct import ROUTES
from bourse.testing.direct import both, same
from bourse.testing.portfolio import cash, fill, price

from portfolio_support import Headers, Instance, deliver

PORTFOLIO = "/api/v1/portfolio"


def test_every_direct_route_is_documented(instance: Instance) -> None:
    assert undocumented(instance.app, ROUTES) == []


async def test_reading_the_portfolio_answers_as_the_declared_route(
    client: httpx.AsyncClient, instance: Instance, headers_for: Headers, symbol: str
) -> None:
    new_user = headers_for(uuid.uuid4())
    direct, declared = await both(instance.app, client, "GET", PORTFOLIO, headers=new_user)
    same(direct, declared, ignore=("as_of",))
    assert direct.json()["positions"] == []

    user_id, unpriced = uuid.uuid4(), "Y" + uuid.uuid4().hex[:7].upper()
    db = instance.db
    await deliver(db, cash(user_id, "500.5"))
    await deliver(db, fill(user_id, symbol, "buy", "10", "100", cash_after="500.5"))
    await deliver(db, fill(user_id, unpriced, "buy", "2", "7", cash_after="500.5"))
    await deliver(db, price(symbol, "120.25"))
    async with db.transaction() as session:  # a fill prices its symbol: forget that price
        await session.execute(text("DELETE FROM prices WHERE symbol = :s"), {"s": unpriced})
    headers = headers_for(user_id)
    direct, declared = await both(instance.app, client, "GET", PORTFOLIO, headers=headers)
    same(direct, declared, ignore=("as_of",))
    body = direct.json()
    assert body["cash"] == "500.5"
    prices = {p["symbol"]: p["market_price"] for p in body["positions"]}
    assert prices == {symbol: "120.25", unpriced: None}  # null until a price is known
    assert [p["symbol"] for p in body["positions"]] == sorted(prices)


async def test_refused_credentials_answer_as_the_declared_route(
    client: httpx.AsyncClient, instance: Instance
) -> None:
    for headers in (
        {},  # no credentials
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},  # not a bearer token, no key
    ):
        same(*await both(instance.app, client, "GET", PORTFOLIO, headers=headers))
