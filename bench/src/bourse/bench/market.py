"""/ws/market under load, through the gateway: many public clients on 20 symbols' trades
(some on their books too) while bench-e2e's crossing orders trade those symbols.

    uv run python -m bourse.bench.market --clients 1000 --symbols 20 --rate 200 --seconds 20

Needs the stack (`make up`; ``--base-url`` picks another gateway, BOURSE_STACK=e2e with
BOURSE_E2E_TAG its test instance). Creates ``--symbols`` fresh instruments, opens
``--clients`` WebSockets on /ws/market (``--book-share`` of them subscribe to the books as
well), then runs bourse.bench.e2e (a separate process, so its CPU is not the
generator's; wrk sends its orders) at ``--rate`` orders/s over those symbols. Measures:

* trade -> client latency: the client's receipt (wall clock) minus the trade's exchange
  time (``ts``, the journal's): p50 / p99 / max over every (client, trade);
* messages missed: per client and symbol, the tape's trades (GET /trades, every page)
  that the client never received, and book updates whose ``seq`` skipped (gaps);
* memory per client: the stock-service replicas' RSS after every client subscribed,
  minus before any connected, divided by the clients;
* the generator's own CPU: in all, per message, and per wall second while trade messages
  arrived (when that nears one core, the latencies are the generator's, not the platform's).

Prints one JSON object. Everything runs on 127.0.0.1.
"""

import argparse
import asyncio
import json
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

import httpx

from bourse.bench.gateway import add_gateway_option, websocket_url
from bourse.bench.processes import rss_kib
from bourse.bench.stats import percentile
from bourse.bench.ws_client import LeanWebSocket, connect
from bourse.stack import process_states
from bourse.testing.api import all_pages, fresh_symbol, signup

Json = dict[str, Any]


class Trades:
    """Each trade's exchange time, parsed once for every client that receives it."""

    def __init__(self) -> None:
        self.times: dict[tuple[str, int], float] = {}
        # (wall, CPU) of this process at the first and the latest trade message received
        self.first: tuple[float, float] | None = None
        self.last: tuple[float, float] = (0.0, 0.0)

    def received(self) -> None:
        self.last = (time.monotonic(), time.process_time())
        if self.first is None:
            self.first = self.last

    def busy_share(self) -> float:
        """The generator's CPU per wall second while trade messages arrived."""
        if self.first is None or self.last[0] <= self.first[0]:
            return 0.0
        return (self.last[1] - self.first[1]) / (self.last[0] - self.first[0])

    def time_of(self, message: Json) -> float:
        key = (message["symbol"], message["seq"])
        found = self.times.get(key)
        if found is None:
            found = self.times[key] = datetime.fromisoformat(message["ts"]).timestamp()
        return found


class Client:
    """One /ws/market subscriber; messages are handled as the socket parses them
    (bourse.bench.ws_client: the generator's CPU is taken from the stack's cores)."""

    __slots__ = ("book_gaps", "book_seq", "latencies", "reply", "seen", "socket", "trades")

    def __init__(self, trades: Trades, latencies: list[float]) -> None:
        self.trades, self.latencies = trades, latencies
        self.socket: LeanWebSocket | None = None
        self.reply: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        self.seen: dict[str, set[int]] = {}
        self.book_seq: dict[str, int] = {}
        self.book_gaps = 0

    async def subscribe(self, symbols: list[str], book: bool) -> None:
        assert self.socket is not None
        request: Json = {"action": "subscribe", "trades": symbols}
        if book:
            request["book"] = symbols
        self.socket.send_text(json.dumps(request))
        reply = await self.reply
        if reply.get("type") != "subscription":
            raise RuntimeError(f"subscription refused: {reply}")

    def on_message(self, raw: bytes) -> None:
        received = time.time()
        message = json.loads(raw)
        kind = message["type"]
        if kind == "trade":
            self.trades.received()
            self.latencies.append((received - self.trades.time_of(message)) * 1000)
            self.seen.setdefault(message["symbol"], set()).add(message["seq"])
        elif kind == "book_update":
            symbol, seq = message["symbol"], message["seq"]
            if seq != self.book_seq.get(symbol, seq - 1) + 1:
                self.book_gaps += 1
            self.book_seq[symbol] = seq
        elif kind == "book_snapshot":
            self.book_seq[message["symbol"]] = message["seq"]
        elif not self.reply.done():
            self.reply.set_result(message)

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()


def stock_rss_kib() -> int:
    """Resident memory of every stock-service replica (supervisor's pids), in KiB."""
    return sum(
        rss_kib(int(info["pid"]))
        for name, info in (process_states() or {}).items()
        if name.split("-")[0] == "stock" and info.get("pid")
    )


async def open_clients(
    base_url: str, count: int, symbols: list[str], book_share: float
) -> tuple[list[Client], Trades, list[float]]:
    url = websocket_url(base_url, "/ws/market")
    trades, latencies = Trades(), list[float]()
    gate = asyncio.Semaphore(50)
    every = max(int(1 / book_share), 1) if book_share > 0 else 0

    async def one(n: int) -> Client:
        async with gate:
            client = Client(trades, latencies)
            client.socket = await connect(url, client.on_message)
            await client.subscribe(symbols, book=bool(every) and n % every == 0)
            return client

    clients = list(await asyncio.gather(*(one(n) for n in range(count))))
    return clients, trades, latencies


def run_order_load(args: argparse.Namespace, symbols: list[str]) -> Json:
    command = [
        sys.executable, "-m", "bourse.bench.e2e", "--base-url", args.base_url,
        "--rate", str(args.rate), "--seconds", str(args.seconds), "--users", str(args.users),
        "--symbols", ",".join(symbols), "--generator", "wrk",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr[-2000:]}
    result: Json = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def tape_of(
    api: httpx.AsyncClient, symbols: list[str], timeout: float
) -> dict[str, set[int]]:
    """Each symbol's trade seqs on the tape, once stock-service's consumer has written them
    all (the tape stops growing), or whatever it holds at the timeout."""
    reader = await signup(api)
    deadline, previous = time.monotonic() + timeout, -1
    while True:
        tape = {
            s: {t["seq"] for t in await all_pages(reader, f"/api/v1/stocks/{s}/trades")}
            for s in symbols
        }
        size = sum(len(seqs) for seqs in tape.values())
        if size == previous or time.monotonic() > deadline:
            return tape
        previous = size
        await asyncio.sleep(3)


def missed(tape: dict[str, set[int]], clients: list[Client]) -> Json:
    lost = sum(len(seqs - c.seen.get(s, set())) for c in clients for s, seqs in tape.items())
    extra = sum(len(c.seen.get(s, set()) - seqs) for c in clients for s, seqs in tape.items())
    return {
        "trades_on_tape": sum(len(seqs) for seqs in tape.values()),
        "trade_messages_missed": lost,
        "trade_messages_not_on_tape": extra,
        "book_seq_gaps": sum(c.book_gaps for c in clients),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_gateway_option(parser, help="the gateway")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--book-share", type=float, default=0.1, help="of clients: books too")
    parser.add_argument("--rate", type=float, default=200, help="orders per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--users", type=int, default=40, help="bench-e2e's traders")
    args = parser.parse_args()
    async with httpx.AsyncClient(base_url=args.base_url, timeout=30) as api:
        symbols = [await fresh_symbol(api) for _ in range(args.symbols)]
        rss_before = stock_rss_kib()
        clients, trades, latencies = await open_clients(
            args.base_url, args.clients, symbols, args.book_share
        )
        await asyncio.sleep(2)
        rss_subscribed = stock_rss_kib()
        cpu_before = time.process_time()
        load = asyncio.create_task(asyncio.to_thread(run_order_load, args, symbols))
        while not load.done():  # the clients keep reading while the load runs
            await asyncio.sleep(0.5)
        cpu = time.process_time() - cpu_before
        tape = await tape_of(api, symbols, timeout=120)
        result = {
            "clients": len(clients),
            "symbols": len(symbols),
            "book_clients": sum(1 for c in clients if c.book_seq),
            "trade_messages": len(latencies),
            "trade_to_client_p50_ms": round(percentile(latencies, 0.50), 1),
            "trade_to_client_p99_ms": round(percentile(latencies, 0.99), 1),
            "trade_to_client_max_ms": round(max(latencies, default=0.0), 1),
            **missed(tape, clients),
            "stock_rss_mib_before": round(rss_before / 1024, 1),
            "stock_rss_mib_subscribed": round(rss_subscribed / 1024, 1),
            "stock_rss_kib_per_client": round((rss_subscribed - rss_before) / len(clients), 1),
            "generator_cpu_s": round(cpu, 2),
            "generator_cpu_us_per_message": round(cpu * 1e6 / max(len(latencies), 1), 1),
            "generator_cpu_share_of_a_core": round(trades.busy_share(), 2),
            "order_load": await load,
        }
        for client in clients:
            client.close()
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
