"""The floor under bench-e2e: CPU per authenticated request at the edge, no messaging.

    uv run python -m bourse.bench.http --seconds 10 --connections 16 --reads order,account

One user with cash, shares and one resting order; for each read asked for, wrk
(Debian's package, installed when missing and root) sends it through nginx as fast as
it can, first for a short unmeasured warm-up (pools fill, statements get prepared), then
for ``--seconds``: token verified, the service's reads, the JSON answer. Prints, per
read, requests/s, the CPU each part of the stack spent per request, and wrk's own CPU
apart. A POST that places an order does at least this much work, so the order read
bounds how many orders per second two cores can take in at all. Needs `make up`.
"""

import argparse
import asyncio
import json
import re
import subprocess
from dataclasses import dataclass
from typing import Any

import httpx

from bourse.bench.gateway import add_gateway_option
from bourse.bench.processes import children_cpu_seconds
from bourse.bench.wrk import ensure_wrk
from bourse.stack import cpu_seconds
from bourse.testing.api import fresh_symbol, signup

WARM_UP_SECONDS = 2


@dataclass(frozen=True)
class Reader:
    """A user's token, their resting order and its symbol."""

    token: str
    order_id: str
    symbol: str

    def paths(self) -> dict[str, str]:
        """The reads a trading client polls, by name."""
        return {
            "order": f"/api/v1/orders/{self.order_id}",
            "account": "/api/v1/account",
            "portfolio": "/api/v1/portfolio",
            "quote": f"/api/v1/stocks/{self.symbol}/quote",
            "book": f"/api/v1/stocks/{self.symbol}/book",
            "orders": "/api/v1/orders?status=open",
            "notifications": "/api/v1/notifications",
            "fills": "/api/v1/fills",
            "me": "/api/v1/users/me",
        }


async def reader(base_url: str) -> Reader:
    """A fresh user holding cash, shares of a fresh symbol, and a resting buy of it."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as api:
        symbol = await fresh_symbol(api)
        trader = await signup(api)
        await trader.deposit("1000.00")
        await trader.deposit_shares(symbol, "10")
        order = await trader.order(symbol=symbol, side="buy", qty="1", limit_price="1.00")
        return Reader(trader.token, str(order["id"]), symbol)


def wrk(url: str, token: str, seconds: int, connections: int) -> str:
    command = [ensure_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    headers = ["-H", f"Authorization: Bearer {token}"]
    return subprocess.run(
        [*command, *headers, url], check=True, capture_output=True, text=True
    ).stdout


def measure(url: str, token: str, seconds: int, connections: int) -> dict[str, Any]:
    wrk(url, token, WARM_UP_SECONDS, connections)
    before, wrk_before = cpu_seconds(), children_cpu_seconds()
    out = wrk(url, token, seconds, connections)
    after, wrk_after = cpu_seconds(), children_cpu_seconds()
    done = re.search(r"(\d+) requests in", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = int(done.group(1)) if done else 0
    spent = {k: (after[k] - before.get(k, 0.0)) * 1000 / max(requests, 1) for k in after}
    return {
        "requests": requests,
        "requests_per_s": round(requests / seconds, 1),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "cpu_ms_per_request": {
            k: round(v, 3) for k, v in sorted(spent.items(), key=lambda kv: -kv[1]) if v >= 0.001
        },
        "cpu_ms_per_request_total": round(sum(spent.values()), 2),
        "load_generator_cpu_ms_per_request": round(
            (wrk_after - wrk_before) * 1000 / max(requests, 1), 3
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_gateway_option(parser)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--reads", default="order", help="comma-separated names (--reads all)")
    args = parser.parse_args()
    user = asyncio.run(reader(args.base_url))
    paths = user.paths()
    wanted = list(paths) if args.reads == "all" else args.reads.split(",")
    unknown = set(wanted) - set(paths)
    if unknown:
        parser.error(f"unknown reads {sorted(unknown)}; known: {', '.join(paths)}")
    for name in wanted:
        figures = measure(args.base_url + paths[name], user.token, args.seconds, args.connections)
        print(json.dumps({"read": name, **figures}))


if __name__ == "__main__":
    main()
