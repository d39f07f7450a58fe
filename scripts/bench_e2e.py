"""End-to-end load benchmark through nginx: many users placing crossing orders.

    uv run python scripts/bench_e2e.py --rate 1000 --seconds 20 --users 100

Sellers rest limit sells, buyers cross them at the same price, at a target rate of
orders per second (paced, bounded concurrency). Afterwards every order is read back:
nothing may be lost (each ends filled), and latency is measured from POST to filled with
the server's own timestamps (created_at -> filled_at), so polling never skews it.
Prints one JSON object. Needs the stack (`make up`); traffic goes to 127.0.0.1 only.
"""

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scripts.stack import cpu_seconds
from tests.e2e.helpers import Trader, all_pages, fresh_symbol, signup

Json = dict[str, Any]


async def prepare(api: httpx.AsyncClient, users: int, symbol: str) -> list[tuple[Trader, Trader]]:
    """Users for the run, signed up a few at a time: the edge rate-limits auth per IP and
    every request here comes from 127.0.0.1 (set-up is not what is measured)."""
    gate = asyncio.Semaphore(8)

    async def pair() -> tuple[Trader, Trader]:
        async with gate:
            seller, buyer = await signup(api), await signup(api)
            await seller.deposit_shares(symbol, "1000000")
            await buyer.deposit("100000000.00")
        return seller, buyer

    return list(await asyncio.gather(*(pair() for _ in range(users // 2))))


async def load(
    pairs: list[tuple[Trader, Trader]], symbol: str, rate: float, seconds: float, concurrency: int
) -> tuple[list[tuple[Trader, str]], int, float]:
    """Place crossing orders at ``rate``/s for ``seconds``; returns (orders, errors, elapsed)."""
    placed: list[tuple[Trader, str]] = []
    errors = 0
    gate = asyncio.Semaphore(concurrency)
    total = int(rate * seconds) // 2 * 2

    async def send(trader: Trader, side: str) -> None:
        nonlocal errors
        async with gate:
            body = {
                "symbol": symbol,
                "side": side,
                "type": "limit",
                "time_in_force": "gtc",
                "qty": "1",
                "limit_price": "100.00",
                "client_order_id": uuid.uuid4().hex,
            }
            try:
                response = await trader.post("/api/v1/orders", body)
            except httpx.HTTPError:
                errors += 1
                return
            if response.status_code == 202:
                placed.append((trader, response.json()["id"]))
            else:
                errors += 1

    start = time.perf_counter()
    tasks = []
    for i in range(total):
        seller, buyer = pairs[(i // 2) % len(pairs)]
        due = start + i / rate
        if (delay := due - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        tasks.append(
            asyncio.create_task(
                send(seller if i % 2 == 0 else buyer, "sell" if i % 2 == 0 else "buy")
            )
        )
    await asyncio.gather(*tasks)
    return placed, errors, time.perf_counter() - start


async def settle(placed: list[tuple[Trader, str]], timeout: float) -> list[Json]:
    """Read every order back until all are final (or the timeout passes)."""
    by_trader: dict[str, tuple[Trader, set[str]]] = {}
    for trader, order_id in placed:
        by_trader.setdefault(trader.user_id, (trader, set()))[1].add(order_id)
    deadline = time.monotonic() + timeout
    while True:
        orders = [o for trader, ids in by_trader.values() for o in await _orders(trader, ids)]
        if all(o["status"] in ("filled", "canceled", "rejected") for o in orders):
            return orders
        if time.monotonic() > deadline:
            return orders
        await asyncio.sleep(1)


async def _orders(trader: Trader, ids: set[str]) -> list[Json]:
    return [o for o in await all_pages(trader, "/api/v1/orders", status="all") if o["id"] in ids]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def latencies_ms(orders: list[Json]) -> list[float]:
    return [
        (
            datetime.fromisoformat(o["filled_at"]) - datetime.fromisoformat(o["created_at"])
        ).total_seconds()
        * 1000
        for o in orders
    ]


def completed_per_second(filled: list[Json]) -> float:
    """Orders filled per second, from the first POST to the last fill (server clocks).
    Above capacity the POSTs are still accepted at the offered rate while the queues
    grow: this is the rate the platform actually got through."""
    if not filled:
        return 0.0
    first = min(datetime.fromisoformat(o["created_at"]) for o in filled)
    last = max(datetime.fromisoformat(o["filled_at"]) for o in filled)
    return round(len(filled) / max((last - first).total_seconds(), 1e-3), 1)


def report(orders: list[Json], placed: int, errors: int, elapsed: float, rate: float) -> Json:
    """Latency is reported for takers (the buys, which cross a resting sell on arrival):
    a resting sell's POST -> filled also contains the wait for its counterparty, which is
    the market's doing, not the platform's; both sides are shown."""
    filled = [o for o in orders if o["status"] == "filled"]
    takers = latencies_ms([o for o in filled if o["side"] == "buy"])
    everyone = latencies_ms(filled)
    return {
        "target_rate": rate,
        "orders_placed": placed,
        "post_errors": errors,
        "accepted_orders_per_s": round(placed / elapsed, 1),
        "completed_orders_per_s": completed_per_second(filled),
        "filled": len(filled),
        "not_filled": {
            s: sum(o["status"] == s for o in orders)
            for s in {o["status"] for o in orders} - {"filled"}
        },
        "lost": placed - len(orders),
        "taker_p50_ms": round(percentile(takers, 0.50), 1),
        "taker_p99_ms": round(percentile(takers, 0.99), 1),
        "all_p50_ms": round(percentile(everyone, 0.50), 1),
        "all_p99_ms": round(percentile(everyone, 0.99), 1),
        "max_ms": round(max(everyone, default=0.0), 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8080")
    parser.add_argument("--rate", type=float, default=1000, help="orders per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--settle-timeout", type=float, default=120)
    args = parser.parse_args()
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    async with httpx.AsyncClient(base_url=args.base_url, timeout=30, limits=limits) as api:
        symbol = await fresh_symbol(api)
        pairs = await prepare(api, args.users, symbol)
        await asyncio.sleep(3)  # the set-up's events (accounts, deposits) settle first
        before = cpu_seconds()
        placed, errors, elapsed = await load(
            pairs, symbol, args.rate, args.seconds, args.concurrency
        )
        orders = await settle(placed, args.settle_timeout)
        after = cpu_seconds()
    result = report(orders, len(placed), errors, elapsed, args.rate)
    # CPU of each part of the stack per order placed, load phase only (idle work included)
    per_order = {k: (after[k] - before.get(k, 0.0)) * 1000 / max(len(placed), 1) for k in after}
    result["cpu_ms_per_order"] = {
        k: round(v, 2) for k, v in sorted(per_order.items(), key=lambda item: -item[1])
    }
    result["cpu_ms_per_order_total"] = round(sum(per_order.values()), 1)
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
