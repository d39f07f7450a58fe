"""Public market data through the HTTP API (API.md, Market data): no token needed,
decimals as strings, problem+json errors."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bourse.common.db import Database
from bourse.common.pagination import encode_cursor
from bourse.contracts import Envelope
from bourse.contracts.events import BookChanged, TradeExecuted
from bourse.stock import market

Make = Callable[[], Awaitable[str]]
Staged = Callable[[str], Awaitable[list[Envelope]]]
SEEDED = {"AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA"}
T0 = datetime(2026, 3, 9, 14, 0, 10, tzinfo=UTC)
FAR = datetime(2100, 1, 1, tzinfo=UTC)
QUOTE_FIELDS = {"symbol", "bid", "bid_size", "ask", "ask_size", "last", "last_size", "ts"}


async def trade(db: Database, symbol: str, price: str, seq: int, ts: datetime = T0) -> None:
    event = TradeExecuted(
        symbol=symbol,
        trade_id=f"{symbol}-{seq}",
        price=Decimal(price),
        qty=Decimal("2"),
        taker_side="sell",
        seq=seq,
        ts=ts,
    )
    await db.run(lambda s: market.trade_executed(s, event, timedelta(seconds=1), FAR))


def problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_lists_the_seeded_instruments(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/stocks")
    assert response.status_code == 200
    items = {item["symbol"]: item for item in response.json()["items"]}
    assert set(items) >= SEEDED
    assert items["AAPL"] == {
        "symbol": "AAPL",
        "name": "Apple Inc.",
        "tick_size": "0.01",
        "lot_size": "1",
        "status": "trading",
        "last_price": None,
        "maker_fee_bps": 0,  # the defaults (API.md)
        "taker_fee_bps": 5,
    }


async def test_every_instrument_is_announced_at_start(staged: Staged) -> None:
    for symbol in SEEDED:
        (event, *_) = await staged(f"instrument.changed.{symbol}")
        assert event.type == "instrument.changed"
        assert event.payload["symbol"] == symbol and event.payload["status"] == "trading"
        assert event.payload["tick_size"] == "0.01" and event.payload["lot_size"] == "1"


async def test_one_instrument(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/stocks/MSFT")
    assert response.status_code == 200
    assert response.json()["name"] == "Microsoft Corp."
    assert (await client.get("/api/v1/stocks/msft")).json()["symbol"] == "MSFT"


@pytest.mark.parametrize("suffix", ["", "/quote", "/book", "/trades", "/candles?interval=1h"])
async def test_an_unknown_symbol_is_a_404_problem(client: httpx.AsyncClient, suffix: str) -> None:
    problem(await client.get(f"/api/v1/stocks/NOSUCH{suffix}"), 404, "unknown_symbol")
    for impossible in ("A%00B", "X" * 300, "%F0%9F%92%A5"):
        problem(await client.get(f"/api/v1/stocks/{impossible}{suffix}"), 404, "unknown_symbol")


async def test_quote_before_and_after_trading(
    client: httpx.AsyncClient, db: Database, instrument: Make
) -> None:
    symbol = await instrument()
    empty = (await client.get(f"/api/v1/stocks/{symbol}/quote")).json()
    assert empty == {field: None for field in QUOTE_FIELDS} | {"symbol": symbol}
    await trade(db, symbol, "12.34", 1)
    quote = (await client.get(f"/api/v1/stocks/{symbol}/quote")).json()
    assert set(quote) == QUOTE_FIELDS
    assert (quote["last"], quote["last_size"]) == ("12.34", "2")
    assert datetime.fromisoformat(quote["ts"]) == T0
    listed = (await client.get(f"/api/v1/stocks/{symbol}")).json()
    assert listed["last_price"] == "12.34"


async def test_book_depth(client: httpx.AsyncClient, db: Database, instrument: Make) -> None:
    symbol = await instrument()
    assert (await client.get(f"/api/v1/stocks/{symbol}/book")).json() == {"bids": [], "asks": []}
    bids = [(Decimal(100 - i), Decimal(i + 1)) for i in range(15)]
    asks = [(Decimal(101 + i), Decimal("1.5")) for i in range(15)]
    event = BookChanged(symbol=symbol, bids=bids, asks=asks, seq=1, ts=T0)
    await db.run(lambda s: market.book_changed(s, event))
    default = (await client.get(f"/api/v1/stocks/{symbol}/book")).json()
    assert len(default["bids"]) == 10 and len(default["asks"]) == 10
    assert default["bids"][:2] == [["100", "1"], ["99", "2"]]
    assert default["asks"][0] == ["101", "1.5"]
    top = (await client.get(f"/api/v1/stocks/{symbol}/book?depth=1")).json()
    assert top == {"bids": [["100", "1"]], "asks": [["101", "1.5"]]}


@pytest.mark.parametrize("depth", ["0", "51", "ten"])
async def test_bad_depth_is_a_422_problem(client: httpx.AsyncClient, depth: str) -> None:
    problem(await client.get(f"/api/v1/stocks/AAPL/book?depth={depth}"), 422, "validation_error")


async def test_trades_newest_first_with_a_cursor(
    client: httpx.AsyncClient, db: Database, instrument: Make
) -> None:
    symbol = await instrument()
    for seq in range(1, 6):
        await trade(db, symbol, f"{100 + seq}", seq, T0 + timedelta(seconds=seq))
    url = f"/api/v1/stocks/{symbol}/trades"
    first = (await client.get(url, params={"limit": 2})).json()
    item = first["items"][0]
    assert item == {
        "id": f"{symbol}-5",
        "symbol": symbol,
        "price": "105",
        "qty": "2",
        "taker_side": "sell",
        "seq": 5,
        "ts": item["ts"],
    }
    seen = [t["seq"] for t in first["items"]]
    cursor = first["next"]
    while cursor is not None:
        page = (await client.get(url, params={"limit": 2, "after": cursor})).json()
        seen += [t["seq"] for t in page["items"]]
        cursor = page["next"]
    assert seen == [5, 4, 3, 2, 1]
    assert (await client.get(url)).json()["next"] is None


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=501",
        "after=not-a-cursor!",
        "after=Zm9v",
        "after=" + encode_cursor("2026-01-01T00:00:00+00:00|99999999999999999999|1"),
        "after=" + encode_cursor("0001-01-01T00:00:00+05:00|1|1"),  # before year 1 in UTC
    ],
)
async def test_bad_trade_queries_are_422(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/api/v1/stocks/AAPL/trades?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_candles(client: httpx.AsyncClient, db: Database, instrument: Make) -> None:
    symbol = await instrument()
    await trade(db, symbol, "10.00", 1, T0)
    await trade(db, symbol, "12.00", 2, T0 + timedelta(seconds=30))
    await trade(db, symbol, "11.00", 3, T0 + timedelta(minutes=1))
    url = f"/api/v1/stocks/{symbol}/candles"
    minutes = (await client.get(url, params={"interval": "1m"})).json()["items"]
    assert minutes == [  # canonical decimals: no trailing zeros
        {
            "start": "2026-03-09T14:00:00Z",
            "open": "10",
            "high": "12",
            "low": "10",
            "close": "12",
            "volume": "4",
            "trades": 2,
        },
        {
            "start": "2026-03-09T14:01:00Z",
            "open": "11",
            "high": "11",
            "low": "11",
            "close": "11",
            "volume": "2",
            "trades": 1,
        },
    ]
    hour = (await client.get(url, params={"interval": "1h"})).json()["items"]
    assert [(c["open"], c["close"], c["trades"]) for c in hour] == [("10", "11", 3)]
    ranged = await client.get(
        url,
        params={"interval": "1m", "start": "2026-03-09T14:00:30Z", "end": "2026-03-09T14:01:00Z"},
    )
    assert [c["start"] for c in ranged.json()["items"]] == ["2026-03-09T14:00:00Z"]
    later = await client.get(url, params={"interval": "1m", "start": "2026-03-09T14:01:00"})
    assert [c["start"] for c in later.json()["items"]] == ["2026-03-09T14:01:00Z"]
    inverted = {"interval": "1m", "start": "2026-03-09T14:00:30Z", "end": "2026-03-09T14:00:10Z"}
    assert (await client.get(url, params=inverted)).json() == {"items": []}
    capped = await client.get(url, params={"interval": "1m", "limit": 1})
    assert [c["start"] for c in capped.json()["items"]] == ["2026-03-09T14:01:00Z"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("interval=2m", "validation_error"),
        ("interval=", "validation_error"),
        ("interval=1m&start=yesterday", "validation_error"),
        ("interval=1m&limit=100000", "validation_error"),
        ("interval=1m&start=0001-01-01T00:00:00%2B05:00", "validation_error"),
        ("interval=1m&end=9999-12-31T23:59:59-05:00", "validation_error"),
    ],
)
async def test_bad_candle_queries_are_422_problems(
    client: httpx.AsyncClient, query: str, code: str
) -> None:
    problem(await client.get(f"/api/v1/stocks/AAPL/candles?{query}"), 422, code)


async def test_market_data_is_public_and_operations_answer(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/stocks/AAPL/quote")).status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    schema: dict[str, Any] = (await client.get("/openapi.json")).json()
    assert "/api/v1/stocks/{symbol}/candles" in schema["paths"]
