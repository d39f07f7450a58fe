"""WebSocket fan-out benchmark of portfolio-service: many clients, price ticks, latency.

    uv run python -m bourse.bench.portfolio_ws --clients 1000

Starts its own service process (``python -m bourse.portfolio serve``) on a throwaway
PostgreSQL database and RabbitMQ vhost, with a JWKS served from here. Seeds every user
with a few symbols (fills and cash, through the broker, as in production), opens one
WebSocket per user, then publishes ``market.price`` events at ``--rate`` per second,
round-robin over the symbols, each with a new price. A client records, for every
(symbol, price) it sees for the first time, the delay since that price was handed to the
broker: event -> broker -> fan-out queue -> hub -> frame -> client. Prints one JSON
object: the latency percentiles, frames expected / seen, and the service's memory per
connection (the RSS growth of the service process while the clients connected, divided
by their number). Everything runs on 127.0.0.1.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import asyncpg
import httpx
from websockets.asyncio.client import ClientConnection, connect

from bourse.auth.signing import jwks
from bourse.bench.processes import own_cpu_seconds, rss_kib
from bourse.bench.stats import percentile
from bourse.common.migrations import upgrade
from bourse.messaging.broker import Broker
from bourse.portfolio.main import MIGRATIONS
from bourse.stack.processes import cpu_seconds_of
from bourse.testing.auth import TestIssuer
from bourse.testing.infra import ensure_services, temporary_database, temporary_vhost
from bourse.testing.portfolio import cash, fill, price

Json = dict[str, Any]
Compression = Literal["deflate", "none"]
NAN = float("nan")  # a figure with no update seen


@dataclass(frozen=True)
class Options:
    clients: int
    symbols: int
    per_user: int
    rate: float
    seconds: float
    compression: Compression


@dataclass
class Client:
    user_id: uuid.UUID
    symbols: list[str]
    websocket: ClientConnection | None = None
    seen: set[tuple[str, Decimal]] = field(default_factory=set)


@dataclass
class Run:
    """What the publisher sent and what the clients measured."""

    sent_at: dict[tuple[str, Decimal], float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    frames: int = 0


# -- the service under test ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def jwks_server(issuer: TestIssuer) -> Iterator[str]:
    body = json.dumps(jwks([issuer.key])).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks"
    finally:
        server.shutdown()


@contextlib.asynccontextmanager
async def service(
    database_url: str, amqp_url: str, jwks_url: str
) -> AsyncIterator[tuple[int, str]]:
    """The service in its own process: yields its pid and base URL."""
    port = free_port()
    env = os.environ | {
        "BOURSE_PORTFOLIO_DATABASE_URL": database_url,
        "BOURSE_PORTFOLIO_AMQP_URL": amqp_url,
        "BOURSE_PORTFOLIO_JWKS_URL": jwks_url,
        "BOURSE_PORTFOLIO_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "bourse.portfolio", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base, process)
        yield process.pid, base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


async def wait_ready(base: str, process: "subprocess.Popen[bytes]") -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError("the service exited during start-up")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise TimeoutError("the service did not become ready")


# -- seeding ---------------------------------------------------------------------------


def make_clients(options: Options) -> tuple[list[Client], list[str]]:
    symbols = [f"B{i:03d}" for i in range(options.symbols)]
    rng = random.Random(7)
    clients = [
        Client(uuid.uuid4(), rng.sample(symbols, options.per_user)) for _ in range(options.clients)
    ]
    return clients, symbols


async def seed(
    broker: Broker, database_url: str, clients: list[Client], symbols: list[str]
) -> None:
    """Cash and a few positions per user and a price per symbol, through the broker;
    returns once the service has applied all of it."""
    for symbol in symbols:
        await broker.publish(price(symbol, "100"))
    for client in clients:
        await broker.publish(cash(client.user_id, "10000"))
        for symbol in client.symbols:
            await broker.publish(fill(client.user_id, symbol, "buy", "10", "100"))
    wanted = sum(len(c.symbols) for c in clients)
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        for _ in range(1200):
            if await conn.fetchval("SELECT count(*) FROM positions WHERE qty > 0") == wanted:
                return
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    raise TimeoutError("seeding did not finish")


# -- clients ---------------------------------------------------------------------------


async def open_clients(
    feed_url: str, issuer: TestIssuer, clients: list[Client], compression: Compression
) -> None:
    gate = asyncio.Semaphore(100)

    async def open_one(client: Client) -> None:
        async with gate:
            url = f"{feed_url}?token={issuer.token(client.user_id, ttl=3600)}"
            mode = "deflate" if compression == "deflate" else None
            client.websocket = await connect(url, compression=mode, open_timeout=60)
            snapshot = json.loads(await client.websocket.recv())
            assert snapshot["type"] == "snapshot", snapshot

    await asyncio.gather(*(open_one(c) for c in clients))


async def listen(client: Client, run: Run) -> None:
    assert client.websocket is not None
    with contextlib.suppress(Exception):
        async for raw in client.websocket:
            received = time.perf_counter()
            run.frames += 1
            for position in json.loads(raw)["positions"]:
                key = (position["symbol"], Decimal(position["market_price"]))
                sent = run.sent_at.get(key)
                if sent is not None and key not in client.seen:
                    client.seen.add(key)
                    run.latencies.append(received - sent)


async def publish_prices(broker: Broker, symbols: list[str], options: Options, run: Run) -> int:
    """Paced price changes, each a new price of the next symbol; returns how many."""
    total = int(options.rate * options.seconds)
    start = time.perf_counter()
    for i in range(total):
        delay = start + i / options.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        symbol = symbols[i % len(symbols)]
        value = Decimal(100) + Decimal(i + 1) / 100
        run.sent_at[(symbol, value)] = time.perf_counter()
        await broker.publish(price(symbol, str(value)))
    return total


def expected_frames(clients: list[Client], symbols: list[str], published: int) -> int:
    holders = {s: sum(s in c.symbols for c in clients) for s in symbols}
    return sum(holders[symbols[i % len(symbols)]] for i in range(published))


# -- the run ---------------------------------------------------------------------------


async def bench(options: Options) -> Json:
    ensure_services()
    issuer = TestIssuer()
    with temporary_vhost("bourse_bench_portfolio") as amqp_url, jwks_server(issuer) as jwks_url:
        async with temporary_database("bourse_bench_portfolio") as database_url:
            await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
            async with service(database_url, amqp_url, jwks_url) as (pid, base):
                return await measure(options, issuer, pid, base, database_url, amqp_url)


async def measure(
    options: Options, issuer: TestIssuer, pid: int, base: str, database_url: str, amqp_url: str
) -> Json:
    broker = Broker(amqp_url, "bench-portfolio")
    await broker.connect()
    clients, symbols = make_clients(options)
    try:
        await seed(broker, database_url, clients, symbols)
        await asyncio.sleep(1.0)
        rss_before = rss_kib(pid) * 1024
        connect_start = time.perf_counter()
        await open_clients(
            base.replace("http", "ws") + "/ws/portfolio", issuer, clients, options.compression
        )
        connect_seconds = time.perf_counter() - connect_start
        await asyncio.sleep(2.0)
        rss_after = rss_kib(pid) * 1024
        run = Run()
        listeners = [asyncio.create_task(listen(c, run)) for c in clients]
        cpu_before = cpu_seconds_of(pid), own_cpu_seconds()
        published = await publish_prices(broker, symbols, options, run)
        await asyncio.sleep(3.0)  # stragglers
        cpu_used = cpu_seconds_of(pid) - cpu_before[0], own_cpu_seconds() - cpu_before[1]
        for client in clients:
            if client.websocket is not None:
                await client.websocket.close()
        await asyncio.gather(*listeners)
    finally:
        await broker.close()
    return report(
        options, clients, symbols, published, run, rss_before, rss_after, connect_seconds, cpu_used
    )


def report(
    options: Options,
    clients: list[Client],
    symbols: list[str],
    published: int,
    run: Run,
    rss_before: int,
    rss_after: int,
    connect_seconds: float,
    cpu_used: tuple[float, float],
) -> Json:
    ms = [v * 1000 for v in run.latencies]
    return {
        "clients": options.clients,
        "symbols": options.symbols,
        "symbols_per_user": options.per_user,
        "compression": options.compression,
        "price_events": published,
        "price_events_per_s": options.rate,
        "updates_expected": expected_frames(clients, symbols, published),
        "updates_seen": len(ms),
        "frames_received": run.frames,
        "latency_ms": {
            "p50": round(percentile(ms, 0.50, NAN), 2),
            "p90": round(percentile(ms, 0.90, NAN), 2),
            "p99": round(percentile(ms, 0.99, NAN), 2),
            "max": round(max(ms, default=NAN), 2),
        },
        "connect_all_s": round(connect_seconds, 2),
        "service_rss_mb": {
            "before": round(rss_before / 2**20, 1),
            "after": round(rss_after / 2**20, 1),
        },
        "memory_per_connection_kb": round((rss_after - rss_before) / options.clients / 1024, 1),
        "cpu_s_during_ticks": {"service": round(cpu_used[0], 2), "bench": round(cpu_used[1], 2)},
        "host": {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)},
        "measured_at": datetime.now(UTC).isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--per-user", type=int, default=3)
    parser.add_argument("--rate", type=float, default=20.0, help="price events per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--compression", choices=["deflate", "none"], default="deflate")
    args = parser.parse_args()
    options = Options(
        args.clients, args.symbols, args.per_user, args.rate, args.seconds, args.compression
    )
    print(json.dumps(asyncio.run(bench(options)), indent=2))


if __name__ == "__main__":
    main()
