"""The floor under bench-e2e: CPU per authenticated request at the edge, no messaging.

    uv run python -m bourse.bench.http --seconds 10 --connections 16

One user, one resting order; wrk (Debian's package, installed when missing and root)
reads that order through nginx as fast as it can: token verified, one indexed SELECT in
its own transaction, the JSON answer. Prints requests/s and the CPU each part of the
stack spent per request. A POST that places an order does at least this much work, so
this bounds how many orders per second two cores can take in at all. Needs `make up`.
"""

import argparse
import asyncio
import json
import re
import subprocess

import httpx

from bourse.bench.gateway import add_gateway_option
from bourse.bench.wrk import ensure_wrk
from bourse.stack import cpu_seconds
from bourse.testing.api import fresh_symbol, signup


async def resting_order(base_url: str) -> tuple[str, str]:
    """(order id, access token) of a fresh user's resting buy."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as api:
        symbol = await fresh_symbol(api)
        trader = await signup(api)
        await trader.deposit("1000.00")
        order = await trader.order(symbol=symbol, side="buy", qty="1", limit_price="1.00")
        return str(order["id"]), trader.token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_gateway_option(parser)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    wrk = ensure_wrk()
    order_id, token = asyncio.run(resting_order(args.base_url))
    url = f"{args.base_url}/api/v1/orders/{order_id}"
    command = [wrk, "-t1", f"-c{args.connections}", f"-d{args.seconds}s", "--latency"]
    before = cpu_seconds()
    out = subprocess.run(
        [*command, "-H", f"Authorization: Bearer {token}", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    after = cpu_seconds()
    done = re.search(r"(\d+) requests in", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = int(done.group(1)) if done else 0
    spent = {k: (after[k] - before.get(k, 0.0)) * 1000 / max(requests, 1) for k in after}
    print(
        json.dumps(
            {
                "requests": requests,
                "requests_per_s": round(requests / args.seconds, 1),
                "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
                "cpu_ms_per_request": {
                    k: round(v, 3) for k, v in sorted(spent.items(), key=lambda kv: -kv[1])
                },
                "cpu_ms_per_request_total": round(sum(spent.values()), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
