"""/api/v1/portfolio and /history through HTTP with real access tokens: the shape of
API.md, decimal strings, and nothing of another user's ever visible."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from bourse.common.db import Database
from bourse.portfolio.db import equity_samples
from bourse.portfolio.sampler import thin_history
from bourse.testing.auth import TestIssuer
from bourse.testing.portfolio import cash, fill, price

from portfolio_support import Headers, Instance, deliver

Json = dict[str, Any]
T0 = datetime(2026, 3, 9, 14, tzinfo=UTC)


def problem(response: httpx.Response, status: int, code: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert body["code"] == code and body["status"] == status
    return body


async def portfolio(client: httpx.AsyncClient, headers: dict[str, str]) -> Json:
    response = await client.get("/api/v1/portfolio", headers=headers)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def test_a_new_user_has_an_empty_portfolio(
    client: httpx.AsyncClient, headers_for: Headers
) -> None:
    body = await portfolio(client, headers_for(uuid.uuid4()))
    assert body == {"cash": "0", "positions": [], "equity": "0", "as_of": body["as_of"]}
    assert datetime.fromisoformat(body["as_of"]) > datetime.now(UTC) - timedelta(minutes=1)


async def test_the_portfolio_is_the_callers_own(
    client: httpx.AsyncClient, instance: Instance, headers_for: Headers, symbol: str
) -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    db = instance.db
    await deliver(db, cash(alice, "1000.50"))
    await deliver(db, fill(alice, symbol, "buy", "10", "100", cash_after="1000.50"))
    await deliver(db, fill(alice, symbol, "sell", "4", "110", cash_after="1000.50"))
    await deliver(db, price(symbol, "120.25"))
    await deliver(db, cash(bob, "7"))
    mine = await portfolio(client, headers_for(alice))
    assert mine["cash"] == "1000.5" and mine["equity"] == "1722"  # 1000.5 + 6 x 120.25
    assert mine["positions"] == [
        {
            "symbol": symbol,
            "qty": "6",
            "avg_cost": "100",
            "market_price": "120.25",
            "market_value": "721.5",
            "unrealized_pl": "121.5",
            "realized_pl": "40",
        }
    ]
    theirs = await portfolio(client, headers_for(bob))
    assert (theirs["cash"], theirs["positions"], theirs["equity"]) == ("7", [], "7")


@pytest.mark.parametrize("path", ["/api/v1/portfolio", "/api/v1/portfolio/history"])
async def test_without_a_valid_token_it_is_401(
    client: httpx.AsyncClient, issuer: TestIssuer, path: str
) -> None:
    problem(await client.get(path), 401, "unauthorized")
    bad = {"Authorization": "Bearer not-a-token"}
    problem(await client.get(path, headers=bad), 401, "unauthorized")
    expired = {"Authorization": f"Bearer {issuer.token(uuid.uuid4(), ttl=-60)}"}
    problem(await client.get(path, headers=expired), 401, "unauthorized")
    stranger = {"Authorization": f"Bearer {TestIssuer().token(uuid.uuid4())}"}
    problem(await client.get(path, headers=stranger), 401, "unauthorized")


async def sample(db: Database, user: uuid.UUID, at: datetime, equity: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            insert(equity_samples).values(
                user_id=user,
                bucket=at,
                cash=Decimal(equity),
                market_value=0,
                equity=Decimal(equity),
            )
        )


async def test_equity_history_by_timeframe(
    client: httpx.AsyncClient, instance: Instance, headers_for: Headers
) -> None:
    user = uuid.uuid4()
    for minutes, equity in [(0, "100"), (0.5, "101"), (1, "102"), (61, "110"), (24 * 60, "120")]:
        await sample(instance.db, user, T0 + timedelta(minutes=minutes), equity)
    headers = headers_for(user)

    async def points(**params: str) -> list[tuple[str, str]]:
        response = await client.get("/api/v1/portfolio/history", params=params, headers=headers)
        assert response.status_code == 200, response.text
        body: Json = response.json()
        assert body["timeframe"] == params.get("timeframe", "1h")
        return [(item["ts"], item["equity"]) for item in body["items"]]

    assert await points(timeframe="1m") == [
        ("2026-03-09T14:00:00Z", "101"),  # the last sample of the minute
        ("2026-03-09T14:01:00Z", "102"),
        ("2026-03-09T15:01:00Z", "110"),
        ("2026-03-10T14:00:00Z", "120"),
    ]
    assert await points(timeframe="1h") == [
        ("2026-03-09T14:00:00Z", "102"),
        ("2026-03-09T15:00:00Z", "110"),
        ("2026-03-10T14:00:00Z", "120"),
    ]
    assert await points(timeframe="1d") == [
        ("2026-03-09T00:00:00Z", "110"),
        ("2026-03-10T00:00:00Z", "120"),
    ]
    ranged = await points(timeframe="1h", start="2026-03-09T14:00:00Z", end="2026-03-09T14:01:00")
    assert ranged == [("2026-03-09T14:00:00Z", "101")]  # end is exclusive, naive is UTC
    assert await points(timeframe="1m", limit="2") == [  # the newest
        ("2026-03-09T15:01:00Z", "110"),
        ("2026-03-10T14:00:00Z", "120"),
    ]
    assert await points(timeframe="1d", start="2027-01-01T00:00:00Z") == []
    other = await client.get("/api/v1/portfolio/history", headers=headers_for(uuid.uuid4()))
    assert other.json()["items"] == []


@pytest.mark.parametrize(
    "query",
    ["timeframe=5m", "timeframe=", "start=yesterday", "limit=0", "limit=1001",
     "end=9999-12-31T23:59:59-05:00"],
)  # fmt: skip
async def test_bad_history_queries_are_422(
    client: httpx.AsyncClient, headers_for: Headers, query: str
) -> None:
    response = await client.get(
        f"/api/v1/portfolio/history?{query}", headers=headers_for(uuid.uuid4())
    )
    problem(response, 422, "validation_error")


async def test_operations_answer(client: httpx.AsyncClient) -> None:
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"/api/v1/portfolio", "/api/v1/portfolio/history"} <= set(paths)
    assert (await client.get("/metrics")).status_code == 200


async def test_old_history_keeps_what_the_coarser_timeframes_show(instance: Instance) -> None:
    user, other = uuid.uuid4(), uuid.uuid4()
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    week_old, year_old = now - timedelta(days=10), now - timedelta(days=400)
    recent = now - timedelta(days=2)
    samples = {
        user: [
            *(week_old.replace(hour=14, minute=m) for m in (0, 20, 40)),
            week_old.replace(hour=15, minute=10),
            *(recent.replace(hour=10, minute=m) for m in (0, 30)),
            *(year_old.replace(hour=h) for h in (1, 13, 23)),
        ],
        other: [week_old.replace(hour=14, minute=50)],
    }
    for who, buckets in samples.items():
        for bucket in buckets:
            await sample(instance.db, who, bucket, "100")

    removed = await instance.db.run(lambda session: thin_history(session, now))

    kept = {
        who: [b for b in buckets if b in await buckets_of(instance, who)]
        for who, buckets in samples.items()
    }
    assert kept[user] == [
        week_old.replace(hour=14, minute=40),  # the last of its hour
        week_old.replace(hour=15, minute=10),
        *(recent.replace(hour=10, minute=m) for m in (0, 30)),  # within the week: all
        year_old.replace(hour=23),  # the last of its day
    ]
    assert kept[other] == samples[other]  # another user's hour is its own
    assert removed >= 4  # other tests' old samples are thinned too
    assert await instance.db.run(lambda session: thin_history(session, now)) == 0


async def buckets_of(instance: Instance, user: uuid.UUID) -> set[datetime]:
    async with instance.db.transaction() as session:
        rows = await session.execute(
            select(equity_samples.c.bucket).where(equity_samples.c.user_id == user)
        )
        return set(rows.scalars())
