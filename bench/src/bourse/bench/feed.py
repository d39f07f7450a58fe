"""Trade -> WebSocket update, through the whole stack: many /ws/portfolio clients via nginx.

    uv run python -m bourse.bench.feed --clients 1000 --users 20 --seconds 30

Needs the stack (`make up`). ``--users`` users each buy the same fresh symbol, then
``--clients`` WebSockets are opened on /ws/portfolio through nginx, spread over those
users (and so over both portfolio replicas). Two other traders then trade the symbol
every ``--interval`` seconds, each trade at a new price. A client records when it first
sees each price as its position's market price; the trade's own time comes from the
exchange (the stock tape). The delay covers the whole path: exchange -> stock (which
publishes at most one market.price per symbol per 250 ms) -> portfolio's fan-out queue
-> hub -> nginx -> client. Prices the throttle coalesced away are never shown, so they
are not counted. Prints one JSON object. Everything runs on 127.0.0.1.
"""

import argparse
import asyncio
import json
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bourse.bench.gateway import add_gateway_option, websocket_url
from bourse.bench.stats import percentile
from bourse.testing.api import Trader, fresh_symbol, signup

BASE_PRICE = Decimal("100.00")
TICK = Decimal("0.01")


async def holders(api: httpx.AsyncClient, symbol: str, users: int) -> list[Trader]:
    """``users`` traders who each bought 1 share of ``symbol`` from one seller."""
    seller = await signup(api)
    await seller.deposit_shares(symbol, str(users))
    buyers = [await signup(api) for _ in range(users)]
    for buyer in buyers:
        await buyer.deposit("1000.00")
        await seller.order(symbol=symbol, side="sell", qty="1", limit_price=str(BASE_PRICE))
        order = await buyer.order(symbol=symbol, side="buy", qty="1", limit_price=str(BASE_PRICE))
        await buyer.wait_status(order["id"], "filled")
    return buyers


class Client:
    def __init__(self, socket: ClientConnection, symbol: str) -> None:
        self.socket, self.symbol = socket, symbol
        self.seen: dict[str, float] = {}  # price -> wall time first seen

    async def listen(self) -> None:
        async for raw in self.socket:
            now = time.time()
            message = json.loads(raw)
            for position in message.get("positions", []):
                price = position.get("market_price")
                if position["symbol"] == self.symbol and price and price not in self.seen:
                    self.seen[price] = now


async def open_clients(base: str, traders: list[Trader], count: int, symbol: str) -> list[Client]:
    url = websocket_url(base, "/ws/portfolio?token=")
    sockets = await asyncio.gather(
        *(
            connect(url + traders[i % len(traders)].token, open_timeout=60, proxy=None)
            for i in range(count)
        )
    )
    return [Client(socket, symbol) for socket in sockets]


async def trade(api: httpx.AsyncClient, symbol: str, seconds: float, interval: float) -> int:
    """One trade per ``interval`` at a new price each time; returns how many."""
    seller, buyer = await signup(api), await signup(api)
    await seller.deposit_shares(symbol, "100000")
    await buyer.deposit("100000000.00")
    trades, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        trades += 1
        price = str(BASE_PRICE + TICK * trades)
        await seller.order(symbol=symbol, side="sell", qty="1", limit_price=price)
        await buyer.order(symbol=symbol, side="buy", qty="1", limit_price=price)
        await asyncio.sleep(interval)
    return trades


async def trade_times(api: httpx.AsyncClient, symbol: str) -> dict[str, float]:
    """price -> the exchange's time of the trade at that price."""
    times: dict[str, float] = {}
    after = None
    while True:
        params: dict[str, Any] = {"limit": 500, **({"after": after} if after else {})}
        page = (await api.get(f"/api/v1/stocks/{symbol}/trades", params=params)).json()
        for item in page["items"]:
            times.setdefault(item["price"], _ts(item["ts"]))  # canonical strings, as shown
        if not (after := page.get("next")):
            return times


def _ts(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_gateway_option(parser)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--interval", type=float, default=0.3)
    args = parser.parse_args()
    async with httpx.AsyncClient(base_url=args.base_url, timeout=30, trust_env=False) as api:
        symbol = await fresh_symbol(api)
        traders = await holders(api, symbol, args.users)
        started = time.monotonic()
        clients = await open_clients(args.base_url, traders, args.clients, symbol)
        connect_s = time.monotonic() - started
        listeners = [asyncio.create_task(c.listen()) for c in clients]
        await asyncio.sleep(2)  # the snapshots
        for client in clients:
            client.seen.clear()
        trades = await trade(api, symbol, args.seconds, args.interval)
        await asyncio.sleep(3)
        for client in clients:
            await client.socket.close()
        await asyncio.gather(*listeners, return_exceptions=True)
        traded_at = await trade_times(api, symbol)
    delays = [
        (seen_at - traded_at[price]) * 1000
        for client in clients
        for price, seen_at in client.seen.items()
        if price in traded_at
    ]
    shown = {price for client in clients for price in client.seen}
    print(
        json.dumps(
            {
                "clients": args.clients,
                "users": args.users,
                "connect_all_s": round(connect_s, 2),
                "trades": trades,
                "prices_shown": len(shown & set(traded_at)),
                "updates_measured": len(delays),
                "trade_to_client_ms": {
                    "p50": round(percentile(delays, 0.50), 1),
                    "p90": round(percentile(delays, 0.90), 1),
                    "p99": round(percentile(delays, 0.99), 1),
                    "max": round(max(delays, default=0.0), 1),
                },
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
