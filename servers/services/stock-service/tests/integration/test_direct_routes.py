"""GET /api/v1/stocks/{symbol}/quote and /book served directly (bourse.common.direct)
answer exactly as their FastAPI declarations do: a quote with a book and a trade, one
before any market activity (with or without its quotes row), a book empty or of several
levels at each depth, bad depths (422 problems), a symbol in lower case, and unknown or
impossible symbols (404 problems; an impossible one before a bad depth, an unknown one
after). And the routes are documented by their declarations."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete

from bourse.common.db import Database
from bourse.common.direct import undocumented
from bourse.contracts.events import BookChanged, TradeExecuted
from bourse.contracts.money import canonical
from bourse.stock import market
from bourse.stock.api.direct import ROUTES
from bourse.stock.db import quotes
from bourse.testing.direct import both, same

Make = Callable[[], Awaitable[str]]
T0 = datetime(2026, 3, 9, 14, 0, 10, tzinfo=UTC)
FAR = datetime(2100, 1, 1, tzinfo=UTC)


def quote_of(symbol: str) -> str:
    return f"/api/v1/stocks/{symbol}/quote"


def book_of(symbol: str, query: str = "") -> str:
    return f"/api/v1/stocks/{symbol}/book{query}"


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
    direct, declared = await both(app, client, "GET", book_of(symbol))
    same(direct, declared)
    assert direct.json() == {"bids": [], "asks": []}


def shown(levels: list[tuple[Decimal, Decimal]]) -> list[list[str]]:
    return [[canonical(price), canonical(qty)] for price, qty in levels]


async def book_answered(app: FastAPI, client: httpx.AsyncClient, path: str) -> Any:
    """The book at ``path``, once both routes have answered it alike."""
    direct, declared = await both(app, client, "GET", path)
    same(direct, declared)
    assert direct.status_code == 200
    return direct.json()


async def test_a_book_answers_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient, db: Database, instrument: Make
) -> None:
    symbol = await instrument()
    assert await book_answered(app, client, book_of(symbol)) == {"bids": [], "asks": []}
    assert await book_answered(app, client, book_of(symbol, "?depth=1")) == {"bids": [], "asks": []}

    bids = [(Decimal("99.90") - i, Decimal(i + 1)) for i in range(15)]  # best first
    asks = [(Decimal("100.10") + i, Decimal("1.50")) for i in range(15)]
    book = BookChanged(symbol=symbol, bids=bids, asks=asks, seq=1, ts=T0)
    await db.run(lambda s: market.book_changed(s, book))
    for spelling in (symbol, symbol.lower()):
        default = await book_answered(app, client, book_of(spelling))
        assert default == {"bids": shown(bids[:10]), "asks": shown(asks[:10])}
        assert default["bids"][:2] == [["99.9", "1"], ["98.9", "2"]]
    for query, levels in {"depth=1": 1, "depth=3": 3, "depth=50": 15, "depth=9&depth=2": 2}.items():
        top = await book_answered(app, client, book_of(symbol, f"?{query}"))
        assert top == {"bids": shown(bids[:levels]), "asks": shown(asks[:levels])}
    assert await book_answered(app, client, book_of(symbol, "?other=x")) == default


@pytest.mark.parametrize(
    "query",
    ["depth=0", "depth=51", "depth=-1", "depth=ten", "depth=", "depth=1.5", "depth=2&depth=0"],
)
async def test_a_bad_depth_answers_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient, query: str
) -> None:
    for spelling in ("AAPL", "aapl"):
        direct, declared = await both(app, client, "GET", book_of(spelling, f"?{query}"))
        same(direct, declared)
        assert direct.status_code == 422
        assert direct.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("symbol", ["NOSUCH", "nosuch", "A%00B", "X" * 300, "%F0%9F%92%A5", "1A"])
@pytest.mark.parametrize(
    "path_of",
    [quote_of, book_of, lambda s: book_of(s, "?depth=3")],
    ids=["quote", "book", "book-depth"],
)
async def test_an_unknown_or_impossible_symbol_answers_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient, symbol: str, path_of: Callable[[str], str]
) -> None:
    direct, declared = await both(app, client, "GET", path_of(symbol))
    same(direct, declared)
    assert direct.status_code == 404
    assert direct.headers["content-type"] == "application/problem+json"
    assert direct.json()["code"] == "unknown_symbol"


@pytest.mark.parametrize(
    ("symbol", "status"),
    [("NOSUCH", 422), ("nosuch", 422), ("A%00B", 404), ("X" * 300, 404), ("1A", 404)],
)
async def test_a_bad_depth_of_an_unknown_symbol_answers_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient, symbol: str, status: int
) -> None:
    """An impossible symbol is refused by the route's dependency, before the query is
    validated; an unknown one by the read, after."""
    direct, declared = await both(app, client, "GET", book_of(symbol, "?depth=0"))
    same(direct, declared)
    assert direct.status_code == status


@pytest.mark.parametrize("path", [quote_of("AAPL"), book_of("AAPL"), book_of("AAPL", "?depth=0")])
async def test_other_methods_on_the_path_are_the_declared_routes_business(
    app: FastAPI, client: httpx.AsyncClient, path: str
) -> None:
    for method in ("PUT", "HEAD"):
        direct, declared = await both(app, client, method, path)
        assert direct.status_code == declared.status_code == 405
        assert direct.headers["allow"] == declared.headers["allow"]
