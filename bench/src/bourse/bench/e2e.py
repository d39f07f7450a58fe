"""End-to-end load benchmark through nginx: many users placing crossing orders.

    uv run python -m bourse.bench.e2e --rate 1000 --seconds 20 --users 100

Sellers rest limit sells, buyers cross them at the same price, at a target rate of
orders per second (paced, bounded concurrency), one order per POST /orders or ``--batch
N`` orders per POST /orders/batch. Afterwards every order is read back: nothing may be
lost (each ends filled), and latency is measured from the moment the client sent the
order to the server's ``filled_at`` (one machine, one clock), so polling never skews it.
CPU is counted from the first order sent until the consumers have applied everything the
orders caused (their counters stop moving; the read-back is not counted), per program of
the stack, and the load generator's own CPU apart.
Prints one JSON object. Needs the stack (`make up`); traffic goes to 127.0.0.1 only.
"""

import argparse
import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bourse.bench import wrk
from bourse.bench.gateway import add_gateway_option
from bourse.bench.stats import percentile
from bourse.bench.wrk import Placed
from bourse.stack import SERVICES, cpu_seconds
from bourse.testing.api import Trader, all_pages, fresh_symbol, signup

Json = dict[str, Any]


async def prepare(
    api: httpx.AsyncClient, users: int, symbols: list[str]
) -> list[tuple[Trader, Trader]]:
    """Users for the run, signed up a few at a time: the edge rate-limits auth per IP and
    every request here comes from 127.0.0.1 (set-up is not what is measured)."""
    gate = asyncio.Semaphore(8)

    async def pair() -> tuple[Trader, Trader]:
        async with gate:
            seller, buyer = await signup(api), await signup(api)
            for symbol in symbols:
                await seller.deposit_shares(symbol, "1000000")
            await buyer.deposit("100000000.00")
        return seller, buyer

    return list(await asyncio.gather(*(pair() for _ in range(users // 2))))


def order_body(symbol: str, side: str) -> Json:
    return {
        "symbol": symbol,
        "side": side,
        "type": "limit",
        "time_in_force": "gtc",
        "qty": "1",
        "limit_price": "100.00",
        "client_order_id": uuid.uuid4().hex,
    }


async def load(
    pairs: list[tuple[Trader, Trader]],
    symbols: list[str],
    rate: float,
    seconds: float,
    concurrency: int,
    batch: int,
) -> tuple[list[Placed], int, float]:
    """Place crossing orders at ``rate``/s for ``seconds``, ``batch`` per request (1: POST
    /orders); returns (orders, errors, elapsed)."""
    placed: list[Placed] = []
    errors = 0
    gate = asyncio.Semaphore(concurrency)
    requests = int(rate * seconds) // batch // 2 * 2

    async def send(trader: Trader, side: str, symbol: str) -> None:
        nonlocal errors
        bodies = [order_body(symbol, side) for _ in range(batch)]
        async with gate:
            sent_at = datetime.now(UTC)
            try:
                if batch == 1:
                    response = await trader.post("/api/v1/orders", bodies[0])
                else:
                    response = await trader.post("/api/v1/orders/batch", {"orders": bodies})
            except httpx.HTTPError:
                errors += batch
                return
        if response.status_code == 202:
            placed.append((trader, response.json()["id"], sent_at))
        elif response.status_code == 200:
            for result in response.json()["results"]:
                if "order" in result:
                    placed.append((trader, result["order"]["id"], sent_at))
                else:
                    errors += 1
        else:
            errors += batch

    start = time.perf_counter()
    tasks = []
    for i in range(requests):
        seller, buyer = pairs[(i // 2) % len(pairs)]
        due = start + i * batch / rate
        if (delay := due - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        trader, side = (seller, "sell") if i % 2 == 0 else (buyer, "buy")
        symbol = symbols[(i // 2) % len(symbols)]  # a sell and the buy that crosses it
        tasks.append(asyncio.create_task(send(trader, side, symbol)))
    await asyncio.gather(*tasks)
    return placed, errors, time.perf_counter() - start


async def last_filled(placed: list[Placed], timeout: float) -> None:
    """Until the last order sent is final: cheap to ask (one order), so the stack's CPU
    can be read then, before the read-back of every order."""
    if not placed:
        return
    trader, order_id, _ = max(placed, key=lambda item: item[2])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        order = (await trader.get(f"/api/v1/orders/{order_id}")).json()
        if order.get("status") in ("filled", "canceled", "rejected"):
            return
        await asyncio.sleep(0.2)


async def settle(placed: list[Placed], timeout: float) -> list[Json]:
    """Read every order back until all are final (or the timeout passes); each order
    carries the time its client sent it (``sent_at``)."""
    by_trader: dict[str, tuple[Trader, set[str]]] = {}
    sent = {order_id: sent_at for _, order_id, sent_at in placed}
    for trader, order_id, _ in placed:
        by_trader.setdefault(trader.user_id, (trader, set()))[1].add(order_id)
    deadline = time.monotonic() + timeout
    while True:
        orders = [o for trader, ids in by_trader.values() for o in await _orders(trader, ids)]
        for order in orders:
            order["sent_at"] = sent[order["id"]]
        if all(o["status"] in ("filled", "canceled", "rejected") for o in orders):
            return orders
        if time.monotonic() > deadline:
            return orders
        await asyncio.sleep(1)


async def _orders(trader: Trader, ids: set[str]) -> list[Json]:
    return [o for o in await all_pages(trader, "/api/v1/orders", status="all") if o["id"] in ids]


def latencies_ms(orders: list[Json]) -> list[float]:
    """From the client's send to the server's fill."""
    return [
        (datetime.fromisoformat(o["filled_at"]) - o["sent_at"]).total_seconds() * 1000
        for o in orders
    ]


def completed_per_second(filled: list[Json]) -> float:
    """Orders filled per second, from the first POST to the last fill (server clocks).
    Above capacity the POSTs are still accepted at the offered rate while the queues
    grow: this is the rate the platform actually got through."""
    if not filled:
        return 0.0
    first: datetime = min(o["sent_at"] for o in filled)
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


Counts = dict[tuple[str, ...], float]


def messaging_counts() -> Counts:
    """The messaging counters of every running service process, summed over replicas:
    (metric, queue or event type[, outcome]) -> value."""
    counts: Counts = {}
    for service in (s for s in SERVICES if s.kind == "service"):
        try:
            answer = httpx.get(f"{service.url}/metrics", timeout=5)
        except httpx.HTTPError:
            continue
        for family in text_string_to_metric_families(answer.text):
            for sample in family.samples:
                key = _count_key(sample.name, sample.labels)
                if key is not None:
                    counts[key] = counts.get(key, 0.0) + sample.value
    return counts


async def drained(timeout: float) -> Counts:
    """Until the consumers have applied everything the run caused (the last fill still
    has settlements and notifications behind it): the messaging counters
    no longer move between two reads 0.5 s apart. Returns the last read."""
    deadline = time.monotonic() + timeout
    counts = messaging_counts()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        counts, previous = messaging_counts(), counts
        if counts == previous:
            break
    return counts


def _count_key(name: str, labels: dict[str, str]) -> tuple[str, ...] | None:
    if name in ("bourse_consumer_batch_events_sum", "bourse_consumer_batch_events_count"):
        return (name.rsplit("_", 1)[1], labels["queue"])
    if name == "bourse_messages_consumed_total":
        return ("consumed", labels["queue"], labels["outcome"])
    if name in ("bourse_messages_published_total", "bourse_messages_unroutable_total"):
        return (name.split("_")[2], labels["type"])
    return None


def messaging_report(before: Counts, after: Counts, orders: int) -> Json:
    """Per order placed: the events each queue applied and their mean batch (events per
    transaction), what it acked unread (skipped), and what was published with no queue
    bound (unroutable: work for nothing)."""
    delta = {k: v - before.get(k, 0.0) for k, v in after.items() if v - before.get(k, 0.0)}
    queues = sorted({k[1] for k in delta if k[0] in ("sum", "consumed")})
    per_queue = {}
    for queue in queues:
        events, batches = delta.get(("sum", queue), 0.0), delta.get(("count", queue), 0.0)
        per_queue[queue] = {
            "events_per_order": round(events / orders, 2),
            "mean_batch": round(events / batches, 1) if batches else 0.0,
            "skipped_per_order": round(delta.get(("consumed", queue, "skipped"), 0.0) / orders, 2),
        }
    unroutable = {k[1]: round(v / orders, 2) for k, v in delta.items() if k[0] == "unroutable"}
    return {"queues": per_queue, "unroutable_per_order": unroutable}


def add_load_options(parser: argparse.ArgumentParser, rate: float) -> None:
    """The gateway and the shape of the load (profile_e2e samples this load too)."""
    add_gateway_option(parser)
    parser.add_argument("--rate", type=float, default=rate, help="orders per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--users", type=int, default=100)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_load_options(parser, rate=1000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--settle-timeout", type=float, default=120)
    parser.add_argument("--batch", type=int, default=1, help="orders per POST /orders/batch")
    parser.add_argument(
        "--symbols", default="", help="existing symbols to trade, comma-separated (default: new)"
    )
    parser.add_argument(
        "--generator",
        choices=("python", "wrk"),
        default="python",
        help="who sends the orders: this script, or wrk (one order per POST, little CPU)",
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk's connections")
    args = parser.parse_args()
    if args.generator == "wrk" and args.batch != 1:
        parser.error("--generator wrk sends one order per POST /orders (--batch 1)")
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    async with httpx.AsyncClient(base_url=args.base_url, timeout=30, limits=limits) as api:
        symbols = args.symbols.split(",") if args.symbols else [await fresh_symbol(api)]
        pairs = await prepare(api, args.users, symbols)
        await asyncio.sleep(3)  # the set-up's events (accounts, deposits) settle first
        before, own_before = cpu_seconds(), time.process_time()
        counts_before = messaging_counts()
        if args.generator == "wrk":
            placed, errors, elapsed, generator_cpu = await wrk.load(
                args.base_url,
                pairs,
                symbols,
                args.rate,
                args.seconds,
                args.connections,
                order_body,
            )
        else:
            placed, errors, elapsed = await load(
                pairs, symbols, args.rate, args.seconds, args.concurrency, args.batch
            )
            generator_cpu = time.process_time() - own_before
        await last_filled(placed, args.settle_timeout)
        counts_after = await drained(args.settle_timeout)
        after = cpu_seconds()
        orders = await settle(placed, args.settle_timeout)
    result = report(orders, len(placed), errors, elapsed, args.rate)
    result["orders_per_request"] = args.batch
    result["generator"] = args.generator
    # CPU of each part of the stack per order placed, from the first order sent until the
    # consumers have applied all it caused (idle work included); the generator's apart
    count = max(len(placed), 1)
    per_order = {k: (after[k] - before.get(k, 0.0)) * 1000 / count for k in after}
    result["cpu_ms_per_order"] = {
        k: round(v, 2) for k, v in sorted(per_order.items(), key=lambda item: -item[1])
    }
    result["cpu_ms_per_order_total"] = round(sum(per_order.values()), 2)
    result["load_generator_cpu_ms_per_order"] = round(generator_cpu * 1000 / count, 2)
    result["messaging"] = messaging_report(counts_before, counts_after, count)
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
