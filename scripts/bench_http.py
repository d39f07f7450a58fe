"""The floor under bench-e2e: CPU per authenticated request at the edge, no messaging.

    uv run python scripts/bench_http.py --seconds 10 --connections 16

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
import shutil
import subprocess
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scripts.stack import cpu_seconds
from tests.e2e.helpers import fresh_symbol, signup

ROOT = Path(__file__).resolve().parents[1]


async def resting_order(base_url: str) -> tuple[str, str]:
    """(order id, access token) of a fresh user's resting buy."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as api:
        symbol = await fresh_symbol(api)
        trader = await signup(api)
        await trader.deposit("1000.00")
        order = await trader.order(symbol=symbol, side="buy", qty="1", limit_price="1.00")
        return str(order["id"]), trader.token


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run([str(ROOT / "scripts" / "apt-install.sh"), "wrk"], check=True)
    return shutil.which("wrk") or sys.exit("bench_http: wrk did not install")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8080")
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
