"""GET /api/v1/stocks/{symbol}/quote served directly (bourse.common.direct) answers
exactly as its FastAPI declaration does: a quote with a book and a trade, one before any
market activity (with or without its quotes row), a symbol in lower case, and unknown or
impossible symbols (404 problems). And the route is documented by its declaration."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete

from bourse.common.db import Database
from bourse.common.direct import undocumented
from bourse.contracts.events import BookChanged, TradeExecuted
from bourse.stock import market
from bourse.stock.api.direct import ROUTES
from bourse.stock.db import quotes
from bourse.testing.direct import both, same

Make = Callable[[], Awaitable[str]]
T0 = datetime(2026, 3, 9, 14, 0, 10, tzinfo=UTC)
FAR = datetime(2100, 1, 1, tzinfo=UTC)


def quote_of(symbol: str) -> str:
    return f"/api/v1/stocks/{symbol}/quote"


async def trade_and_book(db: Database, symbol: str) -> None:
    trade = TradeExecuted(
        symbol=symbol,
        trade_id=f"{symbol}-1",
        price=Decimal("12.34"),
        qty=Decimal("2"),
        taker_side="sell",
        seq=1,
        ts=T0,
    )
    await db.run(lambda s: market.trade_executed(s, trade, timedelta(seconds=1), FAR))
    bids, asks = [(Decimal("12.30"), Decimal("5"))], [(Decimal("12.40"), Decimal("1.5"))]
    book = BookChanged(symbol=symbol, bids=bids, asks=asks, seq=2, ts=T0 + timedelta(seconds=1))
    await db.run(lambda s: market.book_changed(s, book))


def test_every_direct_route_is_documented(app: FastAPI) -> None:
    assert undocumented(app, ROUTES) == []


async def test_a_quote_answers_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient, db: Database, instrument: Make
) -> None:
    symbol = await instrument()
    direct, declared = await both(app, client, "GET", quote_of(symbol))
    same(direct, declared)
    assert set(direct.json().values()) == {symbol, None}  # before any market activity

    await trade_and_book(db, symbol)
    for spelling in (symbol, symbol.lower()):
        direct, declared = await both(app, client, "GET", quote_of(spelling))
        same(direct, declared)
        quote = direct.json()
        assert (quote["symbol"], quote["last"], quote["bid"], quote["ask_size"]) == (
            symbol,
            "12.34",
            "12.3",
            "1.5",
        )


async def test_an_instrument_without_a_quotes_row_answers_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient, db: Database, instrument: Make
) -> None:
    symbol = await instrument()
    async with db.transaction() as session:
        await session.execute(delete(quotes).where(quotes.c.symbol == symbol))
    direct, declared = await both(app, client, "GET", quote_of(symbol))
    same(direct, declared)
    assert direct.status_code == 200 and direct.json()["symbol"] == symbol


@pytest.mark.parametrize("symbol", ["NOSUCH", "nosuch", "A%00B", "X" * 300, "%F0%9F%92%A5", "1A"])
async def test_an_unknown_or_impossible_symbol_answers_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient, symbol: str
) -> None:
    direct, declared = await both(app, client, "GET", quote_of(symbol))
    same(direct, declared)
    assert direct.status_code == 404
    assert direct.headers["content-type"] == "application/problem+json"
    assert direct.json()["code"] == "unknown_symbol"


async def test_other_methods_on_the_path_are_the_declared_routes_business(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for method in ("PUT", "HEAD"):
        direct, declared = await both(app, client, method, quote_of("AAPL"))
        assert direct.status_code == declared.status_code == 405
        assert direct.headers["allow"] == declared.headers["allow"]
